import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// Runs a short blocking C call in a loop on a thread of its own until stopped: librdkafka's
/// callbacks (delivery reports) are served there, never on the cooperative pool.
final class Poller: Sendable {
    private let running = NIOLockedValueBox(true)
    private let finished = ConditionLock(value: false)

    init(name: String, body: @escaping @Sendable () -> Void) {
        let running = self.running
        let finished = self.finished
        let thread = Thread {
            while running.withLockedValue({ $0 }) { body() }
            finished.lock()
            finished.unlock(withValue: true)
        }
        thread.name = name
        thread.start()
    }

    /// Stops the loop and waits for the current iteration to end. Idempotent.
    func stop() {
        running.withLockedValue { $0 = false }
        finished.lock(whenValue: true)
        finished.unlock()
    }

    /// Runs one blocking call on NIO's blocking-I/O thread pool.
    static func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        // runIfActive only throws when the singleton pool was shut down, which never happens.
        (try? await NIOThreadPool.singleton.runIfActive(body)) ?? body()
    }

    static func runBlockingThrowing<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
