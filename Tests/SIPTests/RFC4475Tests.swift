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

@Suite("RFC 4475 torture messages")
struct RFC4475Tests {
    @Test("every valid message of §3.1.1 is accepted", arguments: Torture.names("valid"))
    func valid(name: String) throws {
        let message = try SIPParser.parse(try Torture.bytes("valid", name))
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

    @Test("every invalid message of §3.1.2 gets the RFC's answer and never a crash", arguments: Torture.names("invalid"))
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
