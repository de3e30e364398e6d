import Foundation
import SIP
import Testing

/// The torture messages of RFC 4475, byte for byte (Fixtures/rfc4475, see its README).
enum Torture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rfc4475")

    static func names(_ kind: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(kind).path)) ?? [])
            .filter { $0.hasSuffix(".sip") }.map { String($0.dropLast(4)) }.sorted()
    }

    static func bytes(_ kind: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: folder.appendingPathComponent("\(kind)/\(name).sip")))
    }
}

/// What a parser must find in a valid torture message: the start line, the dialog identifiers,
/// the Vias and the body it delimits.
struct TortureValues: Sendable, CustomTestStringConvertible {
    var start: SIPMessage.StartLine
    var callID: String
    var cseq: (UInt32, String)
    /// The top Via: transport, host, port, branch.
    var via: (String, String, Int?, String?)
    var viaCount: Int
    var fromTag: String
    var bodyLength: Int
    var testDescription: String { "\(start)" }
}

@Suite("RFC 4475 torture messages")
struct RFC4475Tests {
    static let validValues: [String: TortureValues] = [
        "dblreq": TortureValues(start: .request(method: "REGISTER", uri: "sip:example.com"), callID: "dblreq.0ha0isndaksdj99sdfafnl3lk233412",
                                cseq: (8, "REGISTER"), via: ("UDP", "192.0.2.125", nil, "z9hG4bKkdjuw23492"), viaCount: 1,
                                fromTag: "43251j3j324", bodyLength: 0),
        "esc01": TortureValues(start: .request(method: "INVITE", uri: "sip:sips%3Auser%40example.com@example.net"),
                               callID: "esc01.239409asdfakjkn23onasd0-3234", cseq: (234_234, "INVITE"),
                               via: ("UDP", "host5.example.net", nil, "z9hG4bKkdjuw"), viaCount: 1, fromTag: "938", bodyLength: 150),
        "esc02": TortureValues(start: .request(method: "RE%47IST%45R", uri: "sip:registrar.example.com"),
                               callID: "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf", cseq: (29_344, "RE%47IST%45R"),
                               via: ("TCP", "host.example.com", nil, "z9hG4bK209%fzsnel234"), viaCount: 1, fromTag: "f232jadfj23", bodyLength: 0),
        "escnull": TortureValues(start: .request(method: "REGISTER", uri: "sip:example.com"), callID: "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
                                 cseq: (14_398_234, "REGISTER"), via: ("UDP", "host5.example.com", nil, "z9hG4bKkdjuw"), viaCount: 1,
                                 fromTag: "839923423", bodyLength: 0),
        "intmeth": TortureValues(
            start: .request(method: "!interesting-Method0123456789_*+`.%indeed'~",
                            uri: "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com"),
            callID: #"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#, cseq: (139_122_385, "!interesting-Method0123456789_*+`.%indeed'~"),
            via: ("TCP", "host1.example.com", nil, "z9hG4bK-.!%66*_+`'~"), viaCount: 1, fromTag: "_token~1'+`*%!-.", bodyLength: 0),
        "longreq": TortureValues(start: .request(method: "INVITE", uri: "sip:user@example.com"),
                                 callID: "longreq.one" + String(repeating: "really", count: 20) + "longcallid", cseq: (3_882_340, "INVITE"),
                                 via: ("TCP", "sip33.example.com", nil, nil), viaCount: 34,
                                 fromTag: "1" + String(repeating: "298", count: 50) + "2424", bodyLength: 150),
        "lwsdisp": TortureValues(start: .request(method: "OPTIONS", uri: "sip:user@example.com"), callID: "lwsdisp.1234abcd@funky.example.com",
                                 cseq: (60, "OPTIONS"), via: ("UDP", "funky.example.com", nil, "z9hG4bKkdjuw"), viaCount: 1,
                                 fromTag: "323", bodyLength: 0),
        "mpart01": TortureValues(start: .request(method: "MESSAGE", uri: "sip:kumiko@example.org"),
                                 callID: "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..", cseq: (1, "MESSAGE"),
                                 via: ("UDP", "127.0.0.1", 5070, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-"), viaCount: 1,
                                 fromTag: "2fb0dcc9", bodyLength: 553),
        "noreason": TortureValues(start: .response(status: 100, reason: ""), callID: "noreason.asndj203insdf99223ndf", cseq: (35, "INVITE"),
                                  via: ("UDP", "192.0.2.105", nil, "z9hG4bK2398ndaoe"), viaCount: 1, fromTag: "39ansfi3", bodyLength: 0),
        "semiuri": TortureValues(start: .request(method: "OPTIONS", uri: "sip:user;par=u%40example.net@example.com"),
                                 callID: "semiuri.0ha0isndaksdj", cseq: (8, "OPTIONS"), via: ("UDP", "192.0.2.1", nil, "z9hG4bKkdjuw"),
                                 viaCount: 1, fromTag: "33242", bodyLength: 0),
        "transports": TortureValues(start: .request(method: "OPTIONS", uri: "sip:user@example.com"),
                                    callID: "transports.kijh4akdnaqjkwendsasfdj", cseq: (60, "OPTIONS"),
                                    via: ("UDP", "t1.example.com", nil, "z9hG4bKkdjuw"), viaCount: 5, fromTag: "323", bodyLength: 0),
        "unreason": TortureValues(start: .response(status: 200, reason: "= 2**3 * 5**2 но сто девяносто девять - простое"),
                                  callID: "unreason.1234ksdfak3j2erwedfsASdf", cseq: (35, "INVITE"),
                                  via: ("UDP", "192.0.2.198", nil, "z9hG4bK1324923"), viaCount: 1, fromTag: "11141343", bodyLength: 154),
        "wsinv": TortureValues(start: .request(method: "INVITE", uri: "sip:vivekg@chair-dnrc.example.com;unknownparam"),
                               callID: "wsinv.ndaksdj@192.0.2.1", cseq: (9, "INVITE"), via: ("UDP", "192.0.2.2", nil, "390skdjuw"),
                               viaCount: 3, fromTag: "98asjd8", bodyLength: 150),
    ]

    @Test("the fixtures are all there: a missing folder or file fails instead of testing nothing")
    func fixturesPresent() {
        #expect(Set(Torture.names("valid")) == Set(Self.validValues.keys))
        #expect(Set(Torture.names("invalid")) == Set(Self.expectedInvalid.keys))
        #expect(Torture.names("semantic").count == 17)
        #expect(Set(Self.expectedSemantic.keys).isSubset(of: Set(Torture.names("semantic"))))
    }

    @Test("every valid message of §3.1.1 is accepted with the values it holds", arguments: validValues.keys.sorted())
    func valid(name: String) throws {
        let message = try SIPParser.parse(try Torture.bytes("valid", name))
        let expected = try #require(Self.validValues[name])
        #expect(message.startLine == expected.start)
        #expect(message["Call-ID"] == expected.callID)
        let cseq = try #require(message["CSeq"].flatMap(CSeq.init))
        #expect(cseq.number == expected.cseq.0 && cseq.method == expected.cseq.1)
        let vias = message.values("Via")
        #expect(vias.count == expected.viaCount)
        let top = try #require(vias.first.flatMap(Via.init))
        #expect(top.transport == expected.via.0 && top.host == expected.via.1 && top.port == expected.via.2 && top.branch == expected.via.3,
                "\(top)")
        #expect(message["From"].flatMap(NameAddress.init)?.tag == expected.fromTag)
        #expect(message.body.count == expected.bodyLength)
        // What the parser found must survive serialization (which always writes Content-Length).
        var again = try SIPParser.parse(message.serialized())
        again.remove("Content-Length")
        var original = message
        original.remove("Content-Length")
        #expect(again == original)
    }

    /// §3.1.2: the status a server answers with; nil where the RFC lets it accept the message or
    /// drop it (a response, not a request).
    static let expectedInvalid: [String: Int?] = [
        "badinv01": 400, "clerr": 400, "ncl": 400, "scalar02": 400, "scalarlg": nil, "quotbal": 400,
        "ltgtruri": 400, "lwsruri": 400, "lwsstart": nil, "trws": nil, "escruri": nil, "baddate": nil,
        "regbadct": 400, "badaspec": 400, "baddn": 400, "badvers": 505, "mismatch01": 400, "mismatch02": 400,
        "bigcode": nil,
    ]

    @Test("every invalid message of §3.1.2 gets the RFC's answer and never a crash", arguments: expectedInvalid.keys.sorted())
    func invalid(name: String) throws {
        let bytes = try Torture.bytes("invalid", name)
        let expected = try #require(Self.expectedInvalid[name], "no expectation for \(name)")
        do {
            let message = try SIPParser.parse(bytes)
            #expect(expected == nil, "\(name) was accepted but needs \(String(describing: expected)): \(message.startLine)")
        } catch {
            if let expected { #expect(error.status == expected, "\(name): \(error)") }
        }
    }

    static let expectedSemantic: [String: Int] = ["insuf": 400, "unkscm": 416, "novelsc": 416, "multi01": 400, "mcl01": 400]

    @Test("application-layer checks of §3.3 that belong to parsing", arguments: expectedSemantic.keys.sorted())
    func semantic(name: String) throws {
        let bytes = try Torture.bytes("semantic", name)
        #expect(throws: SIPParseError.self) { try SIPParser.parse(bytes) }
        do {
            _ = try SIPParser.parse(bytes)
        } catch {
            #expect(error.status == Self.expectedSemantic[name], "\(name): \(error)")
        }
    }

    @Test("the other semantic messages parse without trapping", arguments: Torture.names("semantic"))
    func noTrap(name: String) throws {
        _ = try? SIPParser.parse(try Torture.bytes("semantic", name))
    }
}
