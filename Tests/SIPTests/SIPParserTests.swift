import Foundation
import SIP
import Testing

func wire(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
}

@Suite("SIP parser and serializer")
struct SIPParserTests {
    let options = wire("""
        OPTIONS sip:demo.localhost SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:15071;branch=z9hG4bK-1;rport
        f: <sip:1001@demo.localhost>;tag=a
        t: "Bob, the \\"builder\\"" <sip:1002@demo.localhost>
        i: x1
        CSeq: 1 OPTIONS
        Max-Forwards: 70
        Contact: <sip:a@1.2.3.4>, <sip:b@[::1]:5070;transport=tcp>;expires=60
        l: 0


        """)

    @Test("a request parses with compact forms expanded and lists split")
    func parsesRequest() throws {
        let message = try SIPParser.parse(options)
        #expect(message.method == "OPTIONS")
        #expect(message.requestURI == "sip:demo.localhost")
        #expect(message["Call-ID"] == "x1")
        #expect(message["from"] == "<sip:1001@demo.localhost>;tag=a")
        #expect(message.values("Contact") == ["<sip:a@1.2.3.4>", "<sip:b@[::1]:5070;transport=tcp>;expires=60"])
        let to = try #require(message["To"].flatMap(NameAddress.init))
        #expect(to.displayName == "Bob, the \\\"builder\\\"")
        #expect(to.uri == "sip:1002@demo.localhost")
        let contact = try #require(SIPURI(NameAddress(message.values("Contact")[1])?.uri ?? ""))
        #expect(contact.host == "[::1]" && contact.port == 5070 && contact.user == "b")
        #expect(NameAddress.parameter("expires", in: message.values("Contact")[1]) == "60")
    }

    @Test("serialize then parse gives the same message")
    func roundTrip() throws {
        let message = try SIPParser.parse(options)
        #expect(try SIPParser.parse(message.serialized()) == message)
    }

    @Test("a response copies Via, From, To, Call-ID and CSeq and adds a To tag")
    func response() throws {
        let response = try SIPParser.parse(options).response(200, toTag: "xyz")
        #expect(response.status == 200)
        #expect(response["Via"] == "SIP/2.0/UDP 127.0.0.1:15071;branch=z9hG4bK-1;rport")
        #expect(response["To"]?.hasSuffix(";tag=xyz") == true)
        #expect(response["CSeq"] == "1 OPTIONS")
        #expect(try SIPParser.parse(response.serialized()).status == 200)
    }

    @Test("malformed requests get the status RFC 3261 prescribes", arguments: [
        ("OPTIONS sip:a SIP/7.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 505),
        ("OPTIONS http:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 416),
        ("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", 400),
        ("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 400),
        ("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 99\r\n\r\nshort", 400),
        ("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 300\r\n\r\n", 400),
        ("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: -1 OPTIONS\r\n\r\n", 400),
    ])
    func malformed(text: String, status: Int) {
        #expect(throws: SIPParseError.self) { try SIPParser.parse(Array(text.utf8)) }
        do {
            _ = try SIPParser.parse(Array(text.utf8))
        } catch {
            #expect(error.status == status, "\(error)")
        }
    }

    /// Inputs that once trapped (found by the fuzzer, Fuzz/README.md): each must be refused with
    /// the RFC's answer instead.
    @Test("a Via whose sent-by is empty or out of range is malformed, not a crash", arguments: [
        "SIP/2.0/UDP :", "SIP/2.0/UDP :5060", "SIP/2.0/UDP [", "SIP/2.0/UDP []:5060", "SIP/2.0/UDP h:0",
        "SIP/2.0/UDP h:99999", "SIP/2.0/UDP h:5060:1", "SIP/2.0/UDP [::1]x",
    ])
    func viaWithoutHost(via: String) {
        #expect(Via(via) == nil)
        let text = "OPTIONS sip:edge@127.0.0.1 SIP/2.0\r\nVia: \(via)\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
            + "Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        #expect(throws: SIPParseError(400, "Malformed Via")) { try SIPParser.parse(Array(text.utf8)) }
    }

    @Test("a Via's sent-by: host, port, IPv6 reference")
    func viaSentBy() throws {
        let v4 = try #require(Via("SIP/2.0/TCP 192.0.2.1:5070;branch=z9hG4bK1;rport"))
        #expect(v4.transport == "TCP" && v4.host == "192.0.2.1" && v4.port == 5070 && v4.branch == "z9hG4bK1" && v4.hasRport)
        let v6 = try #require(Via("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK2"))
        #expect(v6.host == "[2001:db8::1]" && v6.port == 5060)
        let bare = try #require(Via("SIP/2.0/UDP edge.example.com"))
        #expect(bare.host == "edge.example.com" && bare.port == nil && bare.branch == nil)
    }

    @Test("a malformed header line or non-UTF-8 headers are refused with the rest of the headers kept", arguments: [
        ("Bad Name: x\r\n", "Malformed header name"), ("no colon here\r\n", "Header line without a colon"),
        ("Subject: caf\u{FF}\r\n", "Headers are not UTF-8"),
    ])
    func malformedHeaderKeepsOthers(line: String, reason: String) throws {
        var bytes = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n".utf8)
        bytes += line == "Subject: caf\u{FF}\r\n" ? Array("Subject: caf".utf8) + [0xFF, 13, 10] : Array(line.utf8)
        bytes += Array("\r\n".utf8)
        do {
            _ = try SIPParser.parseUnvalidated(bytes)
            Issue.record("accepted")
        } catch {
            #expect(error == SIPParseError(400, reason))
            #expect(error.partial?["Call-ID"] == "c" && error.partial?["CSeq"] == "1 OPTIONS")
        }
    }

    @Test("a datagram whose Content-Length runs past its end is answered 400 with its headers")
    func shortBodyKeepsHeaders() throws {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
            + "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 99\r\n\r\nshort"
        do {
            _ = try SIPParser.parseUnvalidated(Array(text.utf8))
            Issue.record("a short body was accepted")
        } catch {
            #expect(error.status == 400)
            let partial = try #require(error.partial)
            #expect(partial["Call-ID"] == "c" && partial.method == "OPTIONS")
        }
    }

    @Test("the Date header is RFC 1123 in GMT, whatever the machine's time zone")
    func dateHeader() {
        // RFC 3261 §20.17's example instant.
        #expect(SIPDate.format(Date(timeIntervalSince1970: 1_289_690_940)) == "Sat, 13 Nov 2010 23:29:00 GMT")
        #expect(SIPDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test("oversized messages are refused with 513")
    func oversized() {
        let big = options + [UInt8](repeating: 65, count: 70_000)
        #expect(throws: SIPParseError(513, "Message Too Large")) { try SIPParser.parse(big) }
    }

    @Test("header parameters after a quoted '>' (RFC 5626 +sip.instance, as baresip sends) are found")
    func parametersAfterInstanceID() throws {
        let contact = "<sip:1001-0x55@127.0.0.1:5081;transport=udp>;+sip.instance=\"<urn:uuid:9b2c>\";expires=0"
        let address = try #require(NameAddress(contact))
        #expect(address.uri == "sip:1001-0x55@127.0.0.1:5081;transport=udp")
        #expect(NameAddress.parameter("expires", in: contact) == "0")
        #expect(NameAddress.parameter("expires", in: address.parameters) == "0")
        #expect(NameAddress.parameter("transport", in: contact) == nil, "URI parameters are not header parameters")
        #expect(NameAddress.parameter("expires", in: "sip:a@b;expires=30") == "30")
    }

    @Test("a URI's user part is decoded once, where it is parsed (RFC 3261 §19.1.4): an escaped # is the same URI as a raw one, and is escaped again when sent")
    func escapedUserPart() throws {
        let escaped = try #require(SIPURI("sip:*31%235535683@demo.localhost;user=phone"))
        #expect(escaped.user == "*31#5535683")
        #expect(escaped.description == "sip:*31%235535683@demo.localhost;user=phone", "RFC 3261 §19.1.2: # is escaped in a SIP URI")
        #expect(SIPURI("sip:*31#5535683@demo.localhost;user=phone") == escaped)
        #expect(SIPURI("sip:%31%30%30%31@demo.localhost")?.user == "1001")
        #expect(SIPURI("sip:%31%30%30%31@demo.localhost") == SIPURI("sip:1001@demo.localhost"))
        #expect(SIPURI("sip:+372%205551234@demo.localhost")?.description == "sip:+372%205551234@demo.localhost")
        #expect(SIPURI("sip:bad%zz@demo.localhost") == nil, "a broken escape is no URI")
    }
}
