import Events
import Foundation
import NIOConcurrencyHelpers
import SIP

/// The `message-summary` subscriptions this edge instance holds, by dialog and by box. Each is
/// changed under the lock; what it returns to send is sent by the caller, outside it.
final class SummarySubscriptions: Sendable {
    /// A NOTIFY to send in a subscription, and where the device was heard from.
    struct Outgoing: Sendable {
        let id: SubscriptionID
        let box: BoxKey
        let request: SIPMessage
        let source: SIPTarget

        init(_ subscription: SummarySubscription, _ request: SIPMessage) {
            id = subscription.id
            box = subscription.box
            self.request = request
            source = subscription.source
        }
    }

    /// What an in-dialog SUBSCRIBE finds.
    enum Refresh: Sendable {
        /// No such subscription (or it is ending): 481.
        case unknown
        case outOfOrder
        case accepted(Outgoing?)
    }

    private struct Table {
        var byID: [SubscriptionID: SummarySubscription] = [:]
        var byBox: [BoxKey: Set<SubscriptionID>] = [:]

        mutating func insert(_ subscription: SummarySubscription) {
            byID[subscription.id] = subscription
            byBox[subscription.box, default: []].insert(subscription.id)
            SIPMetrics.mwiSubscriptions.increment()
        }

        mutating func remove(_ id: SubscriptionID) {
            guard let removed = byID.removeValue(forKey: id) else { return }
            byBox[removed.box]?.remove(id)
            if byBox[removed.box]?.isEmpty == true { byBox[removed.box] = nil }
            SIPMetrics.mwiSubscriptions.decrement()
        }
    }

    private let table = NIOLockedValueBox(Table())
    /// Beyond this many, new subscriptions are refused (bounded memory).
    let limit: Int

    init(limit: Int = 100_000) {
        self.limit = limit
    }

    var count: Int { table.withLockedValue { $0.byID.count } }

    func subscription(_ id: SubscriptionID) -> SummarySubscription? { table.withLockedValue { $0.byID[id] } }

    /// Adds a subscription and returns its first NOTIFY (for a `fetch`, Expires 0, the final one);
    /// nil when the table is full. A device that subscribes to a box again from the same place has
    /// forgotten its older subscription to it (it restarted): that one goes without a word, so stale
    /// dialogs do not pile up.
    func add(_ subscription: SummarySubscription, fetch: Bool = false, now: ContinuousClock.Instant) -> Outgoing? {
        table.withLockedValue { table in
            for old in table.byBox[subscription.box] ?? [] {
                guard let other = table.byID[old], other.source == subscription.source,
                      other.dialog.remoteTarget == subscription.dialog.remoteTarget else { continue }
                table.remove(old)
            }
            guard table.byID.count < limit else { return nil }
            var added = subscription
            guard let first = fetch ? added.end(.timeout) : added.notify(now: now) else { return nil }
            table.insert(added)
            return Outgoing(added, first)
        }
    }

    /// An in-dialog SUBSCRIBE: refreshed until `expires`, or ended (nil `expires`: Expires 0).
    func refresh(_ id: SubscriptionID, event: SIPEvent, cseq: UInt32, until expires: ContinuousClock.Instant?,
                 contact: String, source: SIPTarget, now: ContinuousClock.Instant) -> Refresh {
        table.withLockedValue { table in
            guard var subscription = table.byID[id], subscription.isActive, subscription.event == event else { return .unknown }
            guard subscription.accept(cseq: cseq) else {
                table.byID[id] = subscription
                return .outOfOrder
            }
            let request: SIPMessage?
            if let expires {
                request = subscription.refreshed(until: expires, contact: contact, source: source, now: now)
            } else {
                subscription.source = source
                request = subscription.end(.timeout)
            }
            table.byID[id] = subscription
            return .accepted(request.map { Outgoing(subscription, $0) })
        }
    }

    /// A box's counts changed: the NOTIFYs to send now (the others follow their answers).
    func changed(_ box: BoxKey, to summary: MessageSummary, now: ContinuousClock.Instant) -> [Outgoing] {
        table.withLockedValue { table in
            var outgoing: [Outgoing] = []
            for id in table.byBox[box] ?? [] {
                guard var subscription = table.byID[id] else { continue }
                if let request = subscription.changed(to: summary, now: now) {
                    outgoing.append(Outgoing(subscription, request))
                }
                table.byID[id] = subscription
            }
            return outgoing
        }
    }

    /// The NOTIFY in flight in `id` got its final answer (nil: none); returns the next one to send.
    func answered(_ id: SubscriptionID, status: Int?, now: ContinuousClock.Instant) -> Outgoing? {
        table.withLockedValue { table in
            guard var subscription = table.byID[id] else { return nil }
            switch subscription.answered(status, now: now) {
            case .remove:
                table.remove(id)
                return nil
            case .wait:
                table.byID[id] = subscription
                return nil
            case .send(let request):
                table.byID[id] = subscription
                return Outgoing(subscription, request)
            }
        }
    }

    /// Ends the subscriptions whose time is up: their final NOTIFYs.
    func expired(now: ContinuousClock.Instant) -> [Outgoing] {
        table.withLockedValue { table in
            var outgoing: [Outgoing] = []
            for (id, var subscription) in table.byID where subscription.isActive && subscription.expires <= now {
                if let request = subscription.end(.timeout) {
                    outgoing.append(Outgoing(subscription, request))
                }
                table.byID[id] = subscription
            }
            return outgoing
        }
    }

    /// A device registered anew at `registered`: the NOTIFYs of the current state in the
    /// subscriptions it held from before, or nil when it holds none here. A subscription made since
    /// is left alone: its first NOTIFY already told the device.
    /// Whether any active subscription belongs to this device (by source or contact): only those
    /// held at registration time are told of it (`registered`).
    func holdsAny(tenant: String, source: SIPTarget, contact: String) -> Bool {
        table.withLockedValue { table in
            table.byID.values.contains { $0.isActive && $0.box.tenant == tenant && ($0.source == source || $0.dialog.remoteTarget == contact) }
        }
    }

    func registered(tenant: String, source: SIPTarget, contact: String, at registered: ContinuousClock.Instant,
                    now: ContinuousClock.Instant) -> [Outgoing]? {
        table.withLockedValue { table in
            let held = table.byID.values.filter {
                $0.isActive && $0.box.tenant == tenant && ($0.source == source || $0.dialog.remoteTarget == contact)
            }
            guard !held.isEmpty else { return nil }
            var outgoing: [Outgoing] = []
            for var subscription in held where subscription.created < registered {
                if let request = subscription.notify(now: now) {
                    outgoing.append(Outgoing(subscription, request))
                }
                table.byID[subscription.id] = subscription
            }
            return outgoing
        }
    }
}
