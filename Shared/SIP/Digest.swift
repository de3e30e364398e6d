import Crypto
import Foundation

/// Digest authentication (RFC 2617 / RFC 8760): MD5 and SHA-256, qop=auth, stateless nonces that
/// carry their own time and an HMAC, so any edge instance can check them, with expiry (`stale=true`)
/// and nonce-count replay checks.
package struct DigestAuthenticator: Sendable {
    package enum Algorithm: String, Sendable, CaseIterable {
        case sha256 = "SHA-256"
        case md5 = "MD5"
    }

    /// What a check concluded.
    package enum Outcome: Equatable, Sendable {
        case valid(username: String)
        /// The response was computed from a nonce that has expired: challenge again with stale=true.
        case stale
        case invalid(reason: String)
    }

    // Key bytes; a SymmetricKey is made per use (it is not Sendable).
    let secretBytes: [UInt8]
    var secret: SymmetricKey { SymmetricKey(data: secretBytes) }
    let nonceLifetime: TimeInterval
    let replays: NonceCounter
    /// Challenges are offered in this order; RFC 8760 clients answer the first they support.
    let algorithms: [Algorithm]

    package init(secret: [UInt8], algorithms: [Algorithm] = [.md5, .sha256], nonceLifetime: TimeInterval = 300) {
        self.algorithms = algorithms.isEmpty ? [.md5] : algorithms
        self.secretBytes = secret
        self.nonceLifetime = nonceLifetime
        self.replays = NonceCounter()
    }

    /// A fresh nonce for `realm`: issue time, 8 random bytes (so no two challenges share a nonce and
    /// its nonce counts), and an HMAC over both and the realm.
    package func nonce(realm: String, now: Date = Date()) -> String {
        let time = UInt64(now.timeIntervalSince1970)
        var bytes = withUnsafeBytes(of: time.bigEndian) { Array($0) }
        var generator = SystemRandomNumberGenerator()
        bytes += withUnsafeBytes(of: generator.next() as UInt64) { Array($0) }
        bytes += Array(HMAC<SHA256>.authenticationCode(for: bytes + Array(realm.utf8), using: secret)).prefix(16)
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
    }

    /// The WWW-Authenticate / Proxy-Authenticate values to send, one per algorithm in order of
    /// preference (RFC 8760 §2.4).
    package func challenges(realm: String, stale: Bool = false, now: Date = Date()) -> [String] {
        let nonce = nonce(realm: realm, now: now)
        return algorithms.map { algorithm in
            "Digest realm=\"\(realm)\", nonce=\"\(nonce)\", algorithm=\(algorithm.rawValue), qop=\"auth\""
                + (stale ? ", stale=true" : "")
        }
    }

    /// Checks an Authorization header against the stored HA1 of the user it names.
    /// - Parameter ha1: the stored H(username:realm:password) for the header's username and algorithm,
    ///   or nil when there is no such user.
    package func check(authorization: DigestCredentials, method: String, realm: String, ha1: String?,
                       now: Date = Date()) -> Outcome {
        guard authorization.realm == realm else { return .invalid(reason: "wrong realm") }
        guard let ha1 else { return .invalid(reason: "unknown user") }
        guard let issued = nonceTime(authorization.nonce, realm: realm) else { return .invalid(reason: "forged nonce") }
        let algorithm = Algorithm(rawValue: authorization.algorithm.uppercased() == "MD5" ? "MD5" : authorization.algorithm.uppercased())
        guard let algorithm else { return .invalid(reason: "unsupported algorithm \(authorization.algorithm)") }
        let ha2 = Self.hash(algorithm, "\(method):\(authorization.uri)")
        let expected: String
        if let qop = authorization.qop {
            guard qop == "auth", let nc = authorization.nonceCount, let cnonce = authorization.cnonce else {
                return .invalid(reason: "qop=auth needs nc and cnonce")
            }
            expected = Self.hash(algorithm, "\(ha1):\(authorization.nonce):\(nc):\(cnonce):\(qop):\(ha2)")
        } else {
            expected = Self.hash(algorithm, "\(ha1):\(authorization.nonce):\(ha2)")
        }
        guard constantTimeEqual(expected, authorization.response.lowercased()) else { return .invalid(reason: "wrong password") }
        if now.timeIntervalSince(issued) > nonceLifetime || issued.timeIntervalSince(now) > 30 { return .stale }
        if let nc = authorization.nonceCount.flatMap({ UInt32($0, radix: 16) }) {
            guard replays.accept(nonce: authorization.nonce, count: nc, expires: issued.addingTimeInterval(nonceLifetime)) else {
                return .invalid(reason: "replayed nonce count")
            }
        }
        return .valid(username: authorization.username)
    }

    func nonceTime(_ nonce: String, realm: String) -> Date? {
        let standard = nonce.replacingOccurrences(of: "_", with: "/").replacingOccurrences(of: "-", with: "+")
        guard let data = Data(base64Encoded: standard), data.count == 32 else { return nil }
        let bytes = Array(data)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: Array(bytes[0..<16]) + Array(realm.utf8), using: secret)).prefix(16)
        guard Array(mac) == Array(bytes[16..<32]) else { return nil }
        let time = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Date(timeIntervalSince1970: TimeInterval(time))
    }

    package static func hash(_ algorithm: Algorithm, _ text: String) -> String {
        let data = Data(text.utf8)
        switch algorithm {
        case .md5: return hex(Insecure.MD5.hash(data: data))
        case .sha256: return hex(SHA256.hash(data: data))
        }
    }

    /// Lower-case hex, from a table (`String(format:)` per byte cost more than the hash).
    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The parameters of an `Authorization: Digest ...` header.
package struct DigestCredentials: Sendable, Equatable {
    package var username: String
    package var realm: String
    package var nonce: String
    package var uri: String
    package var response: String
    package var algorithm: String
    package var qop: String?
    package var nonceCount: String?
    package var cnonce: String?

    package init?(_ header: String) {
        let text = header.trimmingSIPWhitespace()
        guard text.lowercased().hasPrefix("digest ") else { return nil }
        var values: [String: String] = [:]
        for part in SIPHeader.splitList(String(text.dropFirst(7))) {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            var value = pair[1].trimmingSIPWhitespace()
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            values[pair[0].trimmingSIPWhitespace().lowercased()] = value
        }
        guard let username = values["username"], let realm = values["realm"], let nonce = values["nonce"],
              let uri = values["uri"], let response = values["response"]
        else { return nil }
        self.username = username
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.response = response
        algorithm = values["algorithm"] ?? "MD5"
        qop = values["qop"]
        nonceCount = values["nc"]
        cnonce = values["cnonce"]
    }
}

/// Highest nonce count seen per nonce, until the nonce expires: a repeated or lower count is a replay.
final class NonceCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String: (count: UInt32, expires: Date)] = [:]
    /// Nonces in the order first seen, with their expiry: all live the same time, so the front is
    /// (nearly) always the next to go, and expiring costs nothing per request. (Scanning the table
    /// once it held 100,000 nonces made every REGISTER cost milliseconds after a minute at load.)
    private var order: [(nonce: String, expires: Date)] = []
    private var head = 0

    func accept(nonce: String, count: UInt32, expires: Date, now: Date = Date()) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while head < order.count, order[head].expires <= now {
            if let entry = seen[order[head].nonce], entry.expires == order[head].expires { seen.removeValue(forKey: order[head].nonce) }
            head += 1
        }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        if let previous = seen[nonce], previous.count >= count { return false }
        if seen[nonce] == nil { order.append((nonce, expires)) }
        seen[nonce] = (count, expires)
        return true
    }

    /// Nonces remembered (for tests).
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return seen.count
    }
}
