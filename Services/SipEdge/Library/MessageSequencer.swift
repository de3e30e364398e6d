import Foundation
import NIOConcurrencyHelpers

/// Handles the messages of one SIP call (one Call-ID) in the order they arrived, while messages of
/// different calls run concurrently. Datagrams are handled in tasks of their own for throughput;
/// without this a 200 could overtake the 180 sent before it, or a BYE its ACK. `enqueue` is called
/// from the receive loop, in arrival order.
final class MessageSequencer: Sendable {
    private struct Tails {
        var byKey: [String: (token: UInt64, task: Task<Void, Never>)] = [:]
        var nextToken: UInt64 = 0
    }
    private let tails = NIOLockedValueBox(Tails())

    @discardableResult
    func enqueue(key: String, _ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        tails.withLockedValue { tails in
            let previous = tails.byKey[key]?.task
            tails.nextToken &+= 1
            let token = tails.nextToken
            let task = Task { [weak self] in
                await previous?.value
                await work()
                self?.tails.withLockedValue { tails in
                    if tails.byKey[key]?.token == token { tails.byKey.removeValue(forKey: key) }
                }
            }
            tails.byKey[key] = (token, task)
            return task
        }
    }
}
