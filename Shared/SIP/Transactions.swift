/// RFC 3261 §17 transaction state machines as values: each takes an event and returns the actions
/// to carry out (send, hand a response up, start or stop a timer). They never read a clock or do
/// I/O, so tests drive them with any timeline and the transport layer schedules the timers.

/// T1, T2, T4 of RFC 3261 §17.1.1.1 (defaults 500 ms, 4 s, 5 s).
package struct SIPTimerValues: Sendable, Equatable {
    package var t1: Duration = .milliseconds(500)
    package var t2: Duration = .seconds(4)
    package var t4: Duration = .seconds(5)
    package init() {}
}

/// The timers of RFC 3261 §17 (Table 4).
package enum SIPTimer: String, Sendable, Hashable {
    case a, b, d, e, f, k, g, h, i, j
}

package enum TransactionAction: Sendable, Equatable {
    /// (Re)send the request (client) or the last response (server).
    case send
    /// Send an ACK for a non-2xx final response (client INVITE, §17.1.1.3).
    case sendAck
    /// Hand a response to the transaction user.
    case passUp(status: Int)
    /// The transaction timed out (Timer B/F, or H without ACK): the TU sees a 408 / failure.
    case timeout
    case start(SIPTimer, Duration)
    case cancel(SIPTimer)
    /// The transaction is over and may be removed.
    case terminate
}

/// A client transaction (§17.1): INVITE (Figure 5) or non-INVITE (Figure 6).
package struct ClientTransaction: Sendable {
    package enum State: Sendable, Equatable { case calling, trying, proceeding, completed, terminated }

    package let isInvite: Bool
    package let reliable: Bool
    package let timers: SIPTimerValues
    package private(set) var state: State
    private var retransmitInterval: Duration

    package init(isInvite: Bool, reliable: Bool, timers: SIPTimerValues = SIPTimerValues()) {
        self.isInvite = isInvite
        self.reliable = reliable
        self.timers = timers
        state = isInvite ? .calling : .trying
        retransmitInterval = timers.t1
    }

    /// Sends the request and starts the timers.
    package mutating func start() -> [TransactionAction] {
        var actions: [TransactionAction] = [.send]
        if !reliable { actions.append(.start(isInvite ? .a : .e, timers.t1)) }
        actions.append(.start(isInvite ? .b : .f, timers.t1 * 64))
        return actions
    }

    package mutating func receive(status: Int) -> [TransactionAction] {
        switch (state, status) {
        case (.calling, 100..<200), (.trying, 100..<200):
            state = .proceeding
            // An INVITE stops retransmitting once it is proceeding; a non-INVITE goes on at T2 (§17.1.2.2).
            return isInvite ? [.cancel(.a), .passUp(status: status)] : [.passUp(status: status)]
        case (.proceeding, 100..<200):
            return [.passUp(status: status)]
        case (.calling, 200..<300), (.proceeding, 200..<300) where isInvite:
            // A 2xx ends an INVITE client transaction; the TU (dialog) sends the ACK (§17.1.1.2).
            state = .terminated
            return [.cancel(.a), .cancel(.b), .passUp(status: status), .terminate]
        case (.calling, 300...699), (.proceeding, 300...699) where isInvite:
            state = .completed
            return [.cancel(.a), .cancel(.b), .sendAck, .passUp(status: status), .start(.d, reliable ? .zero : .seconds(32))]
        case (.completed, 300...699) where isInvite:
            return [.sendAck]  // a retransmitted final response is ACKed again and not passed up
        case (.trying, 200...699), (.proceeding, 200...699):
            state = .completed
            return [.cancel(.e), .cancel(.f), .passUp(status: status), .start(.k, reliable ? .zero : timers.t4)]
        default:
            return []  // stray or retransmitted responses are absorbed
        }
    }

    package mutating func fire(_ timer: SIPTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.calling, .a):
            retransmitInterval = retransmitInterval * 2
            return [.send, .start(.a, retransmitInterval)]
        case (.trying, .e), (.proceeding, .e):
            retransmitInterval = state == .proceeding ? timers.t2 : min(retransmitInterval * 2, timers.t2)
            return [.send, .start(.e, retransmitInterval)]
        case (.calling, .b), (.trying, .f), (.proceeding, .f), (.proceeding, .b):
            state = .terminated
            return [.cancel(.a), .cancel(.e), .timeout, .terminate]
        case (.completed, .d), (.completed, .k):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    /// A transport error ends the transaction (§17.1.4).
    package mutating func transportError() -> [TransactionAction] {
        guard state != .terminated else { return [] }
        state = .terminated
        return [.timeout, .terminate]
    }
}

/// A server transaction (§17.2): INVITE (Figure 7) or non-INVITE (Figure 8). Created when a
/// request arrives; the TU answers through `respond`.
package struct ServerTransaction: Sendable {
    package enum State: Sendable, Equatable { case proceeding, trying, completed, confirmed, terminated }

    package let isInvite: Bool
    package let reliable: Bool
    package let timers: SIPTimerValues
    package private(set) var state: State
    private var retransmitInterval: Duration

    package init(isInvite: Bool, reliable: Bool, timers: SIPTimerValues = SIPTimerValues()) {
        self.isInvite = isInvite
        self.reliable = reliable
        self.timers = timers
        state = isInvite ? .proceeding : .trying
        retransmitInterval = timers.t1
    }

    /// The TU sends a response; returns what to do with it.
    package mutating func respond(status: Int) -> [TransactionAction] {
        switch (state, status) {
        case (.proceeding, 100..<200), (.trying, 100..<200):
            state = .proceeding
            return [.send]
        case (.proceeding, 200..<300) where isInvite:
            // 2xx to INVITE: the TU (dialog) retransmits it until the ACK (§13.3.1.4).
            state = .terminated
            return [.send, .terminate]
        case (.proceeding, 300...699) where isInvite:
            state = .completed
            var actions: [TransactionAction] = [.send, .start(.h, timers.t1 * 64)]
            if !reliable { actions.insert(.start(.g, timers.t1), at: 1) }
            return actions
        case (.trying, 200...699), (.proceeding, 200...699):
            state = .completed
            return [.send, .start(.j, reliable ? .zero : timers.t1 * 64)]
        default:
            return []
        }
    }

    /// The same request arrived again.
    package mutating func retransmittedRequest() -> [TransactionAction] {
        switch state {
        case .proceeding, .completed: [.send]  // the last response again (nothing if none was sent yet is the TU's 100)
        default: []
        }
    }

    /// An ACK for a non-2xx final response (INVITE only).
    package mutating func ack() -> [TransactionAction] {
        guard isInvite, state == .completed else { return [] }
        state = .confirmed
        return [.cancel(.g), .cancel(.h), .start(.i, reliable ? .zero : timers.t4)]
    }

    package mutating func fire(_ timer: SIPTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.completed, .g):
            retransmitInterval = min(retransmitInterval * 2, timers.t2)
            return [.send, .start(.g, retransmitInterval)]
        case (.completed, .h):
            state = .terminated
            return [.cancel(.g), .timeout, .terminate]
        case (.confirmed, .i), (.completed, .j):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }
}
