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

    @Test("garbage never traps", arguments: 0..<200)
    func fuzz(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        var bytes = options
        for _ in 0..<(1 + seed % 20) {
            let index = Int(generator.next() % UInt64(bytes.count))
            bytes[index] = UInt8(truncatingIfNeeded: generator.next())
        }
        if seed % 3 == 0 { bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count)))) }
        _ = try? SIPParser.parse(bytes)
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
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
