import Foundation
import NIOConcurrencyHelpers

/// Handles the messages of one SIP call (one Call-ID) in the order they arrived, while messages of
/// different calls run concurrently. Datagrams are handled in tasks of their own for throughput;
/// without this a 200 could overtake the 180 sent before it, or a BYE its ACK. `enqueue` is called
/// from the receive loop, in arrival order.
final class MessageSequencer: Sendable {
    private let tails = NIOLockedValueBox([String: (token: UUID, task: Task<Void, Never>)]())

    @discardableResult
    func enqueue(key: String, _ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        tails.withLockedValue { tails in
            let previous = tails[key]?.task
            let token = UUID()
            let task = Task { [weak self] in
                await previous?.value
                await work()
                self?.tails.withLockedValue { tails in
                    if tails[key]?.token == token { tails.removeValue(forKey: key) }
                }
            }
            tails[key] = (token, task)
            return task
        }
    }
}
