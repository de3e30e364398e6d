import Logging
import Messaging
import ServiceLifecycle

/// Sends this deployment's outbox to Kafka (see `Outbox`): at once when this process commits a row,
/// and every `poll` otherwise, for rows a process left when it died or whose send failed. Every
/// service runs one, so any of them delivers what another left. Shut down last: the services that
/// write the outbox stop first, and what they wrote is sent before the producer closes.
struct OutboxRelay: Service {
    let outbox: Outbox
    let logger: Logger
    /// How often rows committed by other processes (the CLI, a process that died) are looked for:
    /// one indexed query a poll.
    let poll: Duration

    func run() async throws {
        outbox.registerRelay()
        await withGracefulShutdownHandler {
            var failures = 0
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                do {
                    let sent = try await outbox.relay()
                    failures = 0
                    if sent > 0 { continue }  // there may be more
                    await outbox.waitForWork(timeout: poll)
                } catch {
                    failures += 1
                    if failures == 1 || failures % 30 == 0 {
                        logger.warning("outbox not relayed; retrying", metadata: ["attempt": "\(failures)", "error": "\(error)"])
                    }
                    try? await Task.sleep(for: Backoff.exponential(failures))
                }
            }
        } onGracefulShutdown: {
            outbox.committed()
        }
        // What the stopping services wrote last.
        await outbox.drain()
    }
}
