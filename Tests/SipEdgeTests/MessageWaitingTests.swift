import Events
import Foundation
import SIP
import Testing

@testable import SipEdge

/// The message-summary subscription as a value and its table, without I/O.
@Suite("message-waiting subscriptions")
struct MessageWaitingTests {
    let start = ContinuousClock.now
    let edge = EdgeAddress(host: "192.0.2.10", port: 5060)
    let phone = SIPTarget(transport: "UDP", host: "198.51.100.7", port: 40_123)

    func subscription(callID: String = "sub-1", box: String = "1001", source: SIPTarget? = nil, contact: String = "sip:1001@10.0.0.7:5060",
                      created: Duration = .zero, expires: Duration = .seconds(600),
                      summary: MessageSummary = .empty) -> SummarySubscription {
        let dialog = Dialog(callID: callID, localURI: "<sip:\(box)@acme.example>", localTag: "edge-\(callID)", remoteURI: "<sip:1001@acme.example>",
                            remoteTag: "phone", remoteTarget: contact, localCSeq: 0, remoteCSeq: 1)
        return SummarySubscription(id: SubscriptionID(callID: callID, localTag: "edge-\(callID)", remoteTag: "phone"),
                                   box: BoxKey(tenant: "acme", box: box), account: "sip:\(box)@acme.example",
                                   event: SIPEvent(type: "message-summary", id: "3"), source: source ?? phone, dialog: dialog,
                                   created: start + created, expires: start + created + expires, summary: summary, edge: edge)
    }

    func body(_ message: SIPMessage?) -> String { String(decoding: message?.body ?? [], as: UTF8.self) }

    @Test("the first NOTIFY: in the dialog, to the Contact, the counts, active with the seconds left")
    func firstNotify() throws {
        var watched = subscription(summary: MessageSummary(new: 1, old: 2, urgentNew: 1, urgentOld: 0))
        let first = watched.notify(now: start + .seconds(10))
        let notify = try #require(first)
        #expect(notify.requestURI == "sip:1001@10.0.0.7:5060")
        #expect(notify["CSeq"] == "1 NOTIFY")
        #expect(notify["From"] == "<sip:1001@acme.example>;tag=edge-sub-1")
        #expect(notify["To"] == "<sip:1001@acme.example>;tag=phone")
        #expect(notify["Event"] == "message-summary;id=3")
        #expect(notify["Subscription-State"] == "active;expires=590")
        #expect(notify["Content-Type"] == "application/simple-message-summary")
        #expect(notify["Via"]?.hasPrefix("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK") == true)
        #expect(notify["Contact"] == "<sip:edge@192.0.2.10:5060>")
        #expect(body(notify) == "Messages-Waiting: yes\r\nMessage-Account: sip:1001@acme.example\r\nVoice-Message: 1/2 (1/0)\r\n")
    }

    @Test("changes while a NOTIFY is in flight wait for its answer and go as one, with the newest counts and the next CSeq")
    func coalesces() throws {
        var watched = subscription()
        #expect(watched.notify(now: start) != nil)
        #expect(watched.changed(to: MessageSummary(new: 1, old: 0, urgentNew: 0, urgentOld: 0), now: start) == nil)
        #expect(watched.changed(to: MessageSummary(new: 0, old: 1, urgentNew: 0, urgentOld: 0), now: start) == nil)
        guard case .send(let next) = watched.answered(200, now: start) else { Issue.record("no NOTIFY after the answer"); return }
        #expect(next["CSeq"] == "2 NOTIFY")
        #expect(body(next).contains("Voice-Message: 0/1 (0/0)"))
        #expect(watched.answered(200, now: start) == .wait, "nothing changed since")
        #expect(watched.phase == .idle)
    }

    @Test("a 481, a refusal that ends the usage, or no answer at all removes the subscription; a 500 does not", arguments: [
        (481 as Int?, true), (489, true), (408, true), (nil, true), (500, false), (503, false),
    ])
    func failures(status: Int?, removes: Bool) {
        var watched = subscription()
        _ = watched.notify(now: start)
        #expect((watched.answered(status, now: start) == .remove) == removes)
    }

    @Test("ending while a NOTIFY is in flight: the terminated NOTIFY follows its answer, then the subscription goes")
    func endsAfterTheNotifyInFlight() throws {
        var watched = subscription()
        _ = watched.notify(now: start)
        #expect(watched.end(.timeout) == nil)
        #expect(!watched.isActive)
        #expect(watched.changed(to: MessageSummary(new: 5, old: 0, urgentNew: 0, urgentOld: 0), now: start) == nil,
                "an ending subscription takes no changes")
        guard case .send(let final) = watched.answered(200, now: start) else { Issue.record("no final NOTIFY"); return }
        #expect(final["Subscription-State"] == "terminated;reason=timeout")
        #expect(final["CSeq"] == "2 NOTIFY")
        #expect(body(final).contains("Voice-Message: 0/0 (0/0)"))
        #expect(watched.answered(200, now: start) == .remove)
    }

    @Test("a refresh moves the expiry and the target, and NOTIFYs; an older CSeq is out of order")
    func refresh() throws {
        var watched = subscription()
        _ = watched.notify(now: start)
        #expect(watched.answered(200, now: start) == .wait)
        let inOrder = watched.accept(cseq: 2)
        #expect(inOrder)
        let moved = SIPTarget(transport: "UDP", host: "198.51.100.7", port: 40_999)
        let refreshed = watched.refreshed(until: start + .seconds(3600), contact: "sip:1001@10.0.0.7:5070", source: moved,
                                          now: start + .seconds(100))
        let notify = try #require(refreshed)
        #expect(notify["Subscription-State"] == "active;expires=3500")
        #expect(notify.requestURI == "sip:1001@10.0.0.7:5070")
        #expect(watched.source == moved)
        let again = watched.accept(cseq: 2)
        #expect(!again)
    }

    @Test("the table: NOTIFYs for the changed box only; one subscription per device, box and place; expiry ends with timeout")
    func table() throws {
        let table = SummarySubscriptions()
        let first = try #require(table.add(subscription(callID: "a"), now: start))
        #expect(first.request["CSeq"] == "1 NOTIFY")
        let elsewhere = SIPTarget(transport: "UDP", host: "198.51.100.8", port: 5060)
        let second = try #require(table.add(subscription(callID: "b", box: "2000", source: elsewhere), now: start))
        #expect(table.count == 2)
        _ = table.answered(first.id, status: 200, now: start)
        _ = table.answered(second.id, status: 200, now: start)
        let changed = table.changed(BoxKey(tenant: "acme", box: "1001"), to: MessageSummary(new: 1, old: 0, urgentNew: 0, urgentOld: 0), now: start)
        #expect(changed.map(\.id.callID) == ["a"])
        #expect(table.changed(BoxKey(tenant: "other", box: "1001"), to: .empty, now: start).isEmpty, "another tenant's box of the same number")

        // The same phone subscribing to the box again (it restarted) replaces its forgotten subscription.
        _ = table.add(subscription(callID: "c"), now: start)
        #expect(table.subscription(SubscriptionID(callID: "a", localTag: "edge-a", remoteTag: "phone")) == nil)
        #expect(table.count == 2)

        let ended = table.expired(now: start + .seconds(601))
        #expect(Set(ended.map(\.id.callID)) == ["b"], "c's first NOTIFY is still in flight; it ends after its answer")
        #expect(ended.first?.request["Subscription-State"] == "terminated;reason=timeout")
        _ = table.answered(ended[0].id, status: 200, now: start)
        #expect(table.count == 1)
    }

    @Test("a full table refuses new subscriptions")
    func bounded() {
        let table = SummarySubscriptions(limit: 1)
        #expect(table.add(subscription(callID: "a"), now: start) != nil)
        #expect(table.add(subscription(callID: "b", box: "2000"), now: start) == nil)
    }

    @Test("a fetch (Expires 0) gets one terminated NOTIFY and is gone after its answer")
    func fetch() throws {
        let table = SummarySubscriptions()
        let only = try #require(table.add(subscription(callID: "f", expires: .zero), fetch: true, now: start))
        #expect(only.request["Subscription-State"] == "terminated;reason=timeout")
        #expect(table.answered(only.id, status: 200, now: start) == nil)
        #expect(table.count == 0)
    }

    @Test("a device that registers anew: NOTIFY in subscriptions from before, none in one made since, nil when it holds none")
    func registeredAnew() throws {
        let table = SummarySubscriptions()
        let old = try #require(table.add(subscription(callID: "old"), now: start))
        _ = table.answered(old.id, status: 200, now: start)
        let resent = try #require(table.registered(tenant: "acme", source: phone, contact: "sip:1001@10.0.0.7:5060",
                                                   at: start + .seconds(5), now: start + .seconds(7)))
        #expect(resent.map(\.id.callID) == ["old"])
        #expect(resent.first?.request["CSeq"] == "2 NOTIFY")

        let since = try #require(table.registered(tenant: "acme", source: phone, contact: "sip:1001@10.0.0.7:5060",
                                                  at: start - .seconds(5), now: start + .seconds(7)))
        #expect(since.isEmpty, "made after the registration: its first NOTIFY told the device")
        let elsewhere = SIPTarget(transport: "UDP", host: "203.0.113.1", port: 5060)
        #expect(table.registered(tenant: "acme", source: elsewhere, contact: "sip:1001@203.0.113.1", at: start, now: start) == nil)
        #expect(table.registered(tenant: "other", source: phone, contact: "sip:1001@10.0.0.7:5060", at: start, now: start) == nil)
    }

    @Test("the box of a SUBSCRIBE: the Request-URI's user, else the To's; only box numbers")
    func box() throws {
        func subscribe(_ uri: String, to: String) throws -> SIPMessage {
            try SIPParser.parse(Array("""
                SUBSCRIBE \(uri) SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bK1\r\nFrom: <sip:1001@acme.example>;tag=1\r\n\
                To: \(to)\r\nCall-ID: s1\r\nCSeq: 1 SUBSCRIBE\r\nEvent: message-summary\r\n\r\n
                """.utf8))
        }
        #expect(MessageWaiting.box(of: try subscribe("sip:1001@acme.example", to: "<sip:9999@acme.example>")) == "1001")
        #expect(MessageWaiting.box(of: try subscribe("sip:acme.example", to: "<sip:2000@acme.example>")) == "2000")
        #expect(MessageWaiting.box(of: try subscribe("sip:alice@acme.example", to: "<sip:alice@acme.example>")) == nil)
        #expect(MessageWaiting.box(of: try subscribe("sip:1234567@acme.example", to: "<sip:1@acme.example>")) == nil)
    }
}
