import Logging
import NIOConcurrencyHelpers
import Runtime
import ServiceLifecycle

/// Runs every call of this edge as a child task, and drains them on shutdown (DESIGN §9): the edge
/// reports not ready and refuses new calls (503 with Retry-After, so callers and proxies try
/// another edge), live calls go on for up to `drainTime`, then the rest are ended (BYE on both
/// legs, a CDR each). `run()` returns once every call and its journal (events, the CDR in the
/// outbox) have finished, so the services stopped after it (command listener, transports, the
/// outbox relay, the producer) still serve them until then.
final class CallSupervisor: Service, Sendable {
    let registry: CallRegistry
    let readiness: Readiness
    let drainTime: Duration
    /// How long ended calls may take to finish their journals once terminated.
    let endTime: Duration = .seconds(30)
    let logger: Logger
    private let calls: AsyncStream<Call>
    private let continuation: AsyncStream<Call>.Continuation
    private let draining = NIOLockedValueBox(false)

    init(registry: CallRegistry, readiness: Readiness, drainTime: Duration, logger: Logger) {
        self.registry = registry
        self.readiness = readiness
        self.drainTime = drainTime
        self.logger = logger
        (calls, continuation) = AsyncStream<Call>.makeStream()
    }

    /// Whether the edge is draining: new calls are refused.
    var isDraining: Bool { draining.withLockedValue { $0 } }

    /// Runs `call` under the supervisor; false when the edge is draining (refuse the call).
    func start(_ call: Call) -> Bool {
        guard !isDraining else { return false }
        continuation.yield(call)
        return true
    }

    func run() async {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await call in calls {
                    group.addTask { await call.run() }
                }
            } onGracefulShutdown: {
                self.beginDrain()
            }
        }
        logger.info("every call ended")
    }

    private func beginDrain() {
        draining.withLockedValue { $0 = true }
        readiness.set("not draining", false)
        logger.notice("draining: new calls refused", metadata: ["live": "\(registry.count)", "drainSeconds": "\(drainTime.components.seconds)"])
        Task {
            let deadline = ContinuousClock.now + drainTime
            while registry.count > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(200)) }
            let left = registry.all
            if !left.isEmpty {
                logger.notice("drain time over: ending the calls left", metadata: ["calls": "\(left.count)"])
                for call in left { call.post(.terminate(reason: "edge shutdown")) }
            }
            let ended = ContinuousClock.now + endTime
            while registry.count > 0, ContinuousClock.now < ended { try? await Task.sleep(for: .milliseconds(100)) }
            continuation.finish()
        }
    }
}
