import ServiceLifecycle

/// Ends the message-summary subscriptions whose expiry passed without a refresh, each with its
/// `terminated;reason=timeout` NOTIFY (RFC 6665 §4.2.2).
struct SubscriptionSweeper: Service {
    let messageWaiting: MessageWaiting
    var interval: Duration = .seconds(15)

    func run() async throws {
        // Shutdown cancels the wait between passes, so the service stops at once.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await messageWaiting.sweep()
                try await Task.sleep(for: interval)
            }
        }
    }
}
