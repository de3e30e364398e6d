import SIP
import Testing

@Suite("SIP events: Event, Subscription-State, simple-message-summary")
struct SIPEventsTests {
    @Test("Event headers: the package, its id, spaces around parameters", arguments: [
        ("message-summary", "message-summary", nil as String?),
        ("message-summary;id=7", "message-summary", "7"),
        ("presence.winfo ; ID = a1 ; other=x", "presence.winfo", "a1"),
        ("dialog;vendor", "dialog", nil),
    ])
    func parses(text: String, type: String, id: String?) throws {
        let event = try #require(SIPEvent(text))
        #expect(event.type == type && event.id == id)
    }

    @Test("malformed Event headers are refused", arguments: ["", ";id=1", "message summary", "message-summary;id=", "message-summary;id",
                                                               "message-summary;=1", "mess@ge", "message-summary;id=a b"])
    func refuses(text: String) {
        #expect(SIPEvent(text) == nil)
    }

    @Test("an Event is written back with its id")
    func writes() {
        #expect(SIPEvent(type: "message-summary", id: "9").description == "message-summary;id=9")
        #expect(SIPEvent(type: "message-summary").description == "message-summary")
    }

    @Test("Subscription-State values")
    func states() {
        #expect(SubscriptionState.active(expires: 600).description == "active;expires=600")
        #expect(SubscriptionState.active(expires: nil).description == "active")
        #expect(SubscriptionState.terminated(.timeout).description == "terminated;reason=timeout")
        #expect(SubscriptionState.terminated(.noresource).description == "terminated;reason=noresource")
    }

    @Test("the RFC 3842 body: status line first, the account, new/old (urgent new/urgent old)")
    func body() {
        let waiting = SimpleMessageSummary(account: "sip:1001@acme.example", new: 2, old: 8, urgentNew: 1, urgentOld: 0)
        #expect(String(decoding: waiting.body, as: UTF8.self)
            == "Messages-Waiting: yes\r\nMessage-Account: sip:1001@acme.example\r\nVoice-Message: 2/8 (1/0)\r\n")
        let none = SimpleMessageSummary(account: "sip:1001@acme.example", new: 0, old: 3, urgentNew: 0, urgentOld: 1)
        #expect(String(decoding: none.body, as: UTF8.self).hasPrefix("Messages-Waiting: no\r\n"))
        #expect(!none.messagesWaiting)
    }

    @Test("a request says it takes NOTIFY through Allow, Allow-Events or its Contact's methods", arguments: [
        ("Allow: INVITE, ACK, BYE, notify\r\n", true), ("Allow-Events: presence, message-summary\r\n", true),
        ("Allow-Events: presence\r\n", false), ("Allow: INVITE, ACK, BYE\r\n", false), ("", false),
        ("Contact: <sip:1001@10.0.0.7>;methods=\"INVITE, NOTIFY\"\r\n", true), ("Contact: <sip:1001@10.0.0.7>;methods=\"INVITE\"\r\n", false),
    ])
    func takesNotify(headers: String, takes: Bool) throws {
        let request = try SIPParser.parse(Array("""
            REGISTER sip:acme.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bK1\r\nFrom: <sip:1001@acme.example>;tag=1\r\n\
            To: <sip:1001@acme.example>\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n\(headers)\r\n
            """.utf8))
        #expect(request.takesNotify(of: "message-summary", contact: request["Contact"]) == takes)
    }

    @Test("Accept: absent, the type, its wildcards accept; other types do not")
    func accept() {
        #expect(SimpleMessageSummary.isAccepted(by: []))
        #expect(SimpleMessageSummary.isAccepted(by: ["application/simple-message-summary"]))
        #expect(SimpleMessageSummary.isAccepted(by: ["text/plain", "Application/Simple-Message-Summary;q=0.5"]))
        #expect(SimpleMessageSummary.isAccepted(by: ["application/*"]))
        #expect(SimpleMessageSummary.isAccepted(by: ["*/*"]))
        #expect(!SimpleMessageSummary.isAccepted(by: ["application/pidf+xml"]))
    }
}
