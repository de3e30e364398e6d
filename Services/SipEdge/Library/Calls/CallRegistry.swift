import NIOConcurrencyHelpers

/// The live calls of this edge, found by the Call-ID of any of their legs (the caller's, and the
/// one the edge made for each branch) and by call id.
final class CallRegistry: Sendable {
    private let byCallID = NIOLockedValueBox<[String: Call]>([:])
    private let byID = NIOLockedValueBox<[String: Call]>([:])

    func add(_ call: Call, callerCallID: String) {
        byID.withLockedValue { $0[call.setup.id] = call }
        attach(callID: callerCallID, to: call)
        SIPMetrics.callsActive.increment()
    }

    func attach(callID: String, to call: Call) {
        byCallID.withLockedValue { $0[callID] = call }
    }

    func call(sipCallID: String) -> Call? { byCallID.withLockedValue { $0[sipCallID] } }
    func call(id: String) -> Call? { byID.withLockedValue { $0[id] } }
    var count: Int { byID.withLockedValue { $0.count } }
    var all: [Call] { byID.withLockedValue { Array($0.values) } }

    func remove(_ call: Call, callIDs: [String]) {
        guard byID.withLockedValue({ $0.removeValue(forKey: call.setup.id) }) != nil else { return }
        byCallID.withLockedValue { table in
            for callID in callIDs where table[callID] === call { table.removeValue(forKey: callID) }
        }
        SIPMetrics.callsActive.decrement()
    }
}
