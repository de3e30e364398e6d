import NIOConcurrencyHelpers
import SIP

/// Non-INVITE server transactions in their simplest correct form (RFC 3261 §17.2.2): a
/// retransmitted request is not processed again; while it is in progress it is absorbed, once
/// answered the same final response is sent again, for Timer J (64·T1 = 32 s).
final class ServerTransactions: Sendable {
    enum State {
        case proceeding
        case completed([UInt8], until: ContinuousClock.Instant)
    }

    private struct Table {
        var states: [String: State] = [:]
        /// Completed transactions in the order they end: every one lives `lifetime`, so the oldest
        /// is always at the front and expiring costs nothing per message.
        var ending: [(key: String, at: ContinuousClock.Instant)] = []
        var head = 0

        mutating func expire(now: ContinuousClock.Instant) {
            while head < ending.count, ending[head].at <= now {
                // Only the entry this one ended: the key may have been forgotten and begun again.
                if case .completed(_, let until) = states[ending[head].key], until == ending[head].at {
                    states.removeValue(forKey: ending[head].key)
                }
                head += 1
            }
            // Compact once the expired front is the larger part.
            if head > 1024, head * 2 > ending.count {
                ending.removeFirst(head)
                head = 0
            }
        }
    }

    private let table = NIOLockedValueBox(Table())
    let lifetime: Duration = .seconds(32)

    /// nil when the request is new (the caller processes it), otherwise what to send again, if anything.
    func retransmission(of request: SIPMessage, source: String) -> [UInt8]?? {
        let key = Self.key(request, source: source)
        return table.withLockedValue { table in
            switch table.states[key] {
            case nil:
                table.states[key] = .proceeding
                return nil
            case .proceeding:
                return .some(nil)
            case .completed(let bytes, _):
                return .some(bytes)
            }
        }
    }

    func complete(_ request: SIPMessage, source: String, response: [UInt8], now: ContinuousClock.Instant = .now) {
        let key = Self.key(request, source: source)
        table.withLockedValue { table in
            table.expire(now: now)
            table.states[key] = .completed(response, until: now + lifetime)
            table.ending.append((key, now + lifetime))
        }
    }

    /// Whether this request's transaction is known (in progress or completed).
    func holds(_ request: SIPMessage, source: String) -> Bool {
        let key = Self.key(request, source: source)
        return table.withLockedValue { $0.states[key] != nil }
    }

    /// Transactions held (in progress or completed and absorbing retransmissions).
    var count: Int { table.withLockedValue { $0.states.count } }

    /// Drops a request's entry: a call took over its INVITE and answers retransmissions itself.
    func forget(_ request: SIPMessage, source: String) {
        _ = table.withLockedValue { $0.states.removeValue(forKey: Self.key(request, source: source)) }
    }

    static func key(_ request: SIPMessage, source: String) -> String {
        let branch = request["Via"].flatMap(Via.init)?.branch ?? (request["Call-ID"] ?? "") + (request["CSeq"] ?? "")
        return "\(source)|\(branch)|\(request.method ?? "")"
    }
}
