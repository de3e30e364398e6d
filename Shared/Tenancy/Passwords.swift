import _CryptoExtras
import Crypto
import Foundation
import NIOCore
import NIOPosix

/// Console and API passwords (operators, tenant admins, users): PBKDF2-HMAC-SHA256 with a random
/// 16-byte salt, stored as `pbkdf2-sha256$<rounds>$<salt base64>$<key base64>` so the work factor
/// can be raised later without invalidating stored hashes. SIP device secrets are not these: SIP
/// digest needs HA1 (see `DigestCredentials`).
package enum PasswordHash {
    /// OWASP's floor for PBKDF2-HMAC-SHA256; swift-crypto refuses fewer.
    package static let rounds = 210_000

    /// PBKDF2 costs a tenth of a second of CPU per hash. It runs on a pool of its own, half the cores,
    /// never on the cooperative pool or an event loop: a flood of logins queues here while health
    /// checks and every other request are still answered at once.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, System.coreCount / 2))
        pool.start()
        return pool
    }()

    /// A stored value for `password`, hashed on the password pool.
    /// - Throws: `TenancyError.invalid` for a password shorter than 10 characters or longer than 200.
    package static func make(_ password: String) async throws -> String {
        try await pool.runIfActive { try makeNow(password) }
    }

    /// Whether `password` matches `stored`, checked on the password pool; false for a malformed stored value.
    package static func verify(_ password: String, against stored: String) async -> Bool {
        (try? await pool.runIfActive { verifyNow(password, against: stored) }) ?? false
    }

    static func makeNow(_ password: String) throws -> String {
        guard (10...200).contains(password.unicodeScalars.count) else {
            throw TenancyError.invalid("a password must have 10–200 characters")
        }
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        let key = try derive(password, salt: salt, rounds: rounds)
        return "pbkdf2-sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(key.base64EncodedString())"
    }

    static func verifyNow(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= self.rounds,
              let salt = Data(base64Encoded: parts[2]), let expected = Data(base64Encoded: parts[3]),
              let key = try? derive(password, salt: [UInt8](salt), rounds: rounds) else { return false }
        // Constant time: the comparison must not tell how many leading bytes matched.
        return key.count == expected.count && zip(key, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A stored value no password matches (for a user who cannot log in to the console): verifying
    /// against it costs the same time, so a login does not reveal whether the account exists.
    package static let unusable = "pbkdf2-sha256$\(rounds)$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    private static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> Data {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                   outputByteCount: 32, rounds: rounds)
        return key.withUnsafeBytes { Data($0) }
    }
}

/// Random secrets: API tokens and generated SIP passwords.
package enum Secrets {
    /// `bytes` random bytes as unpadded base64url.
    package static func token(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A SIP password phones accept in any settings screen: 20 letters and digits.
    package static func sipPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator) ?? "x" })
    }

    /// SHA-256 of a token, hex: only this is stored, so a database leak gives no usable token.
    package static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
