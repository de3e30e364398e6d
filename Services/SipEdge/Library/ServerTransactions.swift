import NIOConcurrencyHelpers
import SIP

/// Non-INVITE server transactions in their simplest correct form (RFC 3261 §17.2.2): a
/// retransmitted request is not processed again; while it is in progress it is absorbed, once
/// answered the same final response is sent again, for Timer J (64·T1 = 32 s).
final class ServerTransactions: Sendable {
    enum State {
        case proceeding
        case completed([UInt8], ContinuousClock.Instant)
    }
    private let table = NIOLockedValueBox([String: State]())
    let lifetime: Duration = .seconds(32)

    /// nil when the request is new (the caller processes it), otherwise what to send again, if anything.
    func retransmission(of request: SIPMessage, source: String) -> [UInt8]?? {
        let key = Self.key(request, source: source)
        return table.withLockedValue { table in
            switch table[key] {
            case nil:
                table[key] = .proceeding
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
            table[key] = .completed(response, now)
            if table.count > 10_000 {
                table = table.filter {
                    if case .completed(_, let at) = $0.value { return now - at < lifetime }
                    return true
                }
            }
        }
    }

    /// Drops a request's entry: a call took over its INVITE and answers retransmissions itself.
    func forget(_ request: SIPMessage, source: String) {
        _ = table.withLockedValue { $0.removeValue(forKey: Self.key(request, source: source)) }
    }

    static func key(_ request: SIPMessage, source: String) -> String {
        let branch = request["Via"].flatMap(Via.init)?.branch ?? (request["Call-ID"] ?? "") + (request["CSeq"] ?? "")
        return "\(source)|\(branch)|\(request.method ?? "")"
    }
}
