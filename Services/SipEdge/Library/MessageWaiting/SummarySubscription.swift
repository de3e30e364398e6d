import Events
import SIP

/// Identifies a subscription by its dialog (RFC 6665 §4.1.2): the Call-ID and both tags.
struct SubscriptionID: Hashable, Sendable {
    let callID: String
    /// The edge's tag: the To tag of its 200 OK, the From tag of its NOTIFYs.
    let localTag: String
    let remoteTag: String
}

/// A tenant's voicemail box, as `voicemail.box-changed` names it.
struct BoxKey: Hashable, Sendable {
    /// The tenant's slug.
    let tenant: String
    let box: String
}

/// One `message-summary` subscription as its notifier keeps it (RFC 6665 §4.2): the dialog its
/// NOTIFYs go in, the box it watches and its latest counts, when it expires, and the NOTIFY in
/// flight. NOTIFYs of one subscription go one at a time: their CSeqs arrive in order, and a burst of
/// changes costs one NOTIFY per round trip, each with the newest counts. A value without I/O: the
/// table runs it under its lock and the edge sends what it returns.
struct SummarySubscription: Sendable {
    enum Phase: Sendable, Equatable {
        case idle
        /// A NOTIFY is in flight; `again`: the state changed since, so another follows its answer.
        case notifying(again: Bool)
        /// Ends with this reason once the NOTIFY in flight is answered.
        case ending(SubscriptionState.Reason)
        /// The final NOTIFY is in flight; its answer removes the subscription.
        case ended
    }

    /// What comes after the answer to a NOTIFY.
    enum Next: Sendable, Equatable {
        case send(SIPMessage)
        case wait
        case remove
    }

    let id: SubscriptionID
    let box: BoxKey
    /// The box's URI, the NOTIFY body's Message-Account.
    let account: String
    let event: SIPEvent
    /// Where the device was last heard from: its NAT binding or connection.
    var source: SIPTarget
    private(set) var dialog: Dialog
    let created: ContinuousClock.Instant
    private(set) var expires: ContinuousClock.Instant
    private(set) var summary: MessageSummary
    private(set) var phase: Phase = .idle
    /// How the edge names itself in the NOTIFY's Via and Contact.
    let edge: EdgeAddress

    init(id: SubscriptionID, box: BoxKey, account: String, event: SIPEvent, source: SIPTarget, dialog: Dialog,
         created: ContinuousClock.Instant, expires: ContinuousClock.Instant, summary: MessageSummary, edge: EdgeAddress) {
        self.id = id
        self.box = box
        self.account = account
        self.event = event
        self.source = source
        self.dialog = dialog
        self.created = created
        self.expires = expires
        self.summary = summary
        self.edge = edge
    }

    /// Whether the subscription still takes changes and refreshes (it is not ending).
    var isActive: Bool {
        switch phase {
        case .idle, .notifying: true
        case .ending, .ended: false
        }
    }

    /// The NOTIFY of the current state: at once, or after the one in flight.
    mutating func notify(now: ContinuousClock.Instant) -> SIPMessage? {
        switch phase {
        case .idle:
            phase = .notifying(again: false)
            return request(.active(expires: remaining(now)))
        case .notifying:
            phase = .notifying(again: true)
            return nil
        case .ending, .ended:
            return nil
        }
    }

    /// The box's counts changed.
    mutating func changed(to summary: MessageSummary, now: ContinuousClock.Instant) -> SIPMessage? {
        guard isActive else { return nil }
        self.summary = summary
        return notify(now: now)
    }

    /// Checks the CSeq of an in-dialog SUBSCRIBE; false for one out of order (RFC 3261 §12.2.2).
    mutating func accept(cseq: UInt32) -> Bool {
        dialog.acceptRemote(cseq: cseq, method: "SUBSCRIBE")
    }

    /// An in-dialog SUBSCRIBE refreshed it (§4.2.1.2): a new expiry, and SUBSCRIBE being a target
    /// refresh request, the device's new Contact and source.
    mutating func refreshed(until expires: ContinuousClock.Instant, contact: String, source: SIPTarget,
                            now: ContinuousClock.Instant) -> SIPMessage? {
        guard isActive else { return nil }
        self.expires = expires
        self.source = source
        dialog.remoteTarget = contact
        return notify(now: now)
    }

    /// Ends it (Expires: 0, expiry): the final NOTIFY, at once or after the one in flight.
    mutating func end(_ reason: SubscriptionState.Reason) -> SIPMessage? {
        switch phase {
        case .idle:
            phase = .ended
            return request(.terminated(reason))
        case .notifying:
            phase = .ending(reason)
            return nil
        case .ending, .ended:
            return nil
        }
    }

    /// The NOTIFY in flight got its final answer; nil `status`: none came in time, or the transport failed.
    mutating func answered(_ status: Int?, now: ContinuousClock.Instant) -> Next {
        // The device no longer knows the dialog, or will never take this NOTIFY (RFC 6665 §4.2.2, RFC 5057 §5).
        if status.map(Self.endsSubscription) ?? true { return .remove }
        switch phase {
        case .idle:
            return .wait
        case .notifying(let again):
            phase = .idle
            guard again, let next = notify(now: now) else { return .wait }
            return .send(next)
        case .ending(let reason):
            phase = .ended
            return .send(request(.terminated(reason)))
        case .ended:
            return .remove
        }
    }

    static func endsSubscription(_ status: Int) -> Bool {
        [404, 405, 408, 410, 416, 480, 481, 489, 501, 604].contains(status)
    }

    /// Whole seconds left, at least one (an active subscription has not expired yet).
    func remaining(_ now: ContinuousClock.Instant) -> Int {
        let left = expires - now
        return max(1, Int(left.components.seconds) + (left.components.attoseconds > 0 ? 1 : 0))
    }

    private mutating func request(_ state: SubscriptionState) -> SIPMessage {
        let counts = SimpleMessageSummary(account: account, new: summary.new, old: summary.old, urgentNew: summary.urgentNew,
                                          urgentOld: summary.urgentOld)
        var notify = dialog.request("NOTIFY", via: edge.via(transport: source.transport), contact: edge.contact(transport: source.transport),
                                    body: counts.body, contentType: SimpleMessageSummary.contentType)
        notify.add("Event", event.description)
        notify.add("Subscription-State", state.description)
        return notify
    }
}
