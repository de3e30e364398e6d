import Foundation
import Testing

@testable import SIP

@Suite("Digest authentication")
struct DigestTests {
    let authenticator = DigestAuthenticator(secret: Array("test-secret".utf8))
    let realm = "acme.example.com"
    let ha1MD5 = DigestAuthenticator.hash(.md5, "1001:acme.example.com:pass-1001")
    let ha1SHA = DigestAuthenticator.hash(.sha256, "1001:acme.example.com:pass-1001")

    /// What a UA sends for a challenge (RFC 2617 §3.2.2 with qop=auth).
    func authorization(_ algorithm: DigestAuthenticator.Algorithm, nonce: String, ha1: String, nc: String = "00000001",
                       uri: String = "sip:acme.example.com") -> DigestCredentials {
        let ha2 = DigestAuthenticator.hash(algorithm, "REGISTER:\(uri)")
        let response = DigestAuthenticator.hash(algorithm, "\(ha1):\(nonce):\(nc):abcd:auth:\(ha2)")
        return DigestCredentials("""
            Digest username="1001", realm="\(realm)", nonce="\(nonce)", uri="\(uri)", response="\(response)", \
            algorithm=\(algorithm.rawValue), qop=auth, nc=\(nc), cnonce="abcd"
            """)!
    }

    func nonce(from challenge: String) -> String {
        String(challenge.split(separator: "nonce=\"")[1].prefix { $0 != "\"" })
    }

    @Test("MD5 and SHA-256 responses computed from the right password are accepted", arguments: DigestAuthenticator.Algorithm.allCases)
    func valid(algorithm: DigestAuthenticator.Algorithm) {
        let nonce = nonce(from: authenticator.challenges(realm: realm)[0])
        let ha1 = algorithm == .md5 ? ha1MD5 : ha1SHA
        #expect(authenticator.check(authorization: authorization(algorithm, nonce: nonce, ha1: ha1), method: "REGISTER",
                                    realm: realm, ha1: ha1) == .valid(username: "1001"))
    }

    @Test("a wrong password, a forged nonce and another realm are refused")
    func invalid() {
        let nonce = nonce(from: authenticator.challenges(realm: realm)[0])
        let wrong = DigestAuthenticator.hash(.md5, "1001:acme.example.com:guess")
        #expect(authenticator.check(authorization: authorization(.md5, nonce: nonce, ha1: wrong), method: "REGISTER", realm: realm,
                                    ha1: ha1MD5) == .invalid(reason: "wrong password"))
        let forged = String(nonce.reversed())
        #expect(authenticator.check(authorization: authorization(.md5, nonce: forged, ha1: ha1MD5), method: "REGISTER", realm: realm,
                                    ha1: ha1MD5) != .valid(username: "1001"))
        #expect(authenticator.check(authorization: authorization(.md5, nonce: nonce, ha1: ha1MD5), method: "REGISTER",
                                    realm: "other.example.com", ha1: ha1MD5) == .invalid(reason: "wrong realm"))
    }

    @Test("an old nonce is stale, so the UA is challenged again rather than refused")
    func stale() {
        let old = Date().addingTimeInterval(-600)
        let nonce = nonce(from: authenticator.challenges(realm: realm, now: old)[0])
        #expect(authenticator.check(authorization: authorization(.md5, nonce: nonce, ha1: ha1MD5), method: "REGISTER", realm: realm,
                                    ha1: ha1MD5) == .stale)
        #expect(authenticator.challenges(realm: realm, stale: true).allSatisfy { $0.hasSuffix("stale=true") })
    }

    @Test("a nonce count used twice is a replay")
    func replay() {
        let nonce = nonce(from: authenticator.challenges(realm: realm)[0])
        let first = authorization(.md5, nonce: nonce, ha1: ha1MD5, nc: "00000001")
        #expect(authenticator.check(authorization: first, method: "REGISTER", realm: realm, ha1: ha1MD5) == .valid(username: "1001"))
        #expect(authenticator.check(authorization: first, method: "REGISTER", realm: realm, ha1: ha1MD5) == .invalid(reason: "replayed nonce count"))
        let next = authorization(.md5, nonce: nonce, ha1: ha1MD5, nc: "00000002")
        #expect(authenticator.check(authorization: next, method: "REGISTER", realm: realm, ha1: ha1MD5) == .valid(username: "1001"))
    }

    @Test("challenges come in the configured order of preference")
    func order() {
        let preferring = DigestAuthenticator(secret: [1], algorithms: [.sha256, .md5])
        let challenges = preferring.challenges(realm: realm)
        #expect(challenges.count == 2)
        #expect(challenges[0].contains("algorithm=SHA-256") && challenges[1].contains("algorithm=MD5"))
    }

    @Test("hashes are lower-case hex of the standard digests (known answers)")
    func knownAnswers() {
        #expect(DigestAuthenticator.hash(.md5, "") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(DigestAuthenticator.hash(.sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("nonce counts: a count not above the last is a replay; expired nonces are forgotten in order, without a scan")
    func nonceCounts() {
        let counter = NonceCounter()
        let start = Date()
        #expect(counter.accept(nonce: "a", count: 1, expires: start + 300, now: start))
        #expect(!counter.accept(nonce: "a", count: 1, expires: start + 300, now: start), "the same count again")
        #expect(counter.accept(nonce: "a", count: 2, expires: start + 300, now: start))
        for index in 0..<5_000 {
            #expect(counter.accept(nonce: "n\(index)", count: 1, expires: start + 300 + Double(index) / 100, now: start + Double(index) / 100))
        }
        #expect(counter.count == 5_001)
        // Just past 320 s: "a" and the 2,001 nonces that expire by then are gone; "late" is new.
        _ = counter.accept(nonce: "late", count: 1, expires: start + 620, now: start + 320.005)
        #expect(counter.count == 5_001 - 2_002 + 1)
    }
}
