import Crypto
import Foundation

/// AWS Signature Version 4 in the `Authorization` header, the payload hashed whole ("a single
/// chunk"), as S3 takes it. Pure: the caller gives the time, so AWS's published examples are tests.
struct SigV4Signer: Sendable {
    let accessKeyID: String
    let secretAccessKey: String
    let region: String
    var service = "s3"

    /// What of a request is signed.
    struct Request: Sendable {
        var method: String
        /// The path unescaped. The signer escapes it once, as S3 expects (other services want it
        /// twice); `SigV4Signer.escape(path:)` gives the same path to send.
        var path: String
        var query: [String: String] = [:]
        /// Every header to sign besides the two the signer adds; `host` is required. Names in any case.
        var headers: [String: String]
        /// Hex SHA-256 of the body.
        var payloadSHA256: String
    }

    /// The headers to send besides `request.headers`: `x-amz-date`, `x-amz-content-sha256` and
    /// `authorization`.
    func sign(_ request: Request, at date: Date) -> [(name: String, value: String)] {
        let timestamp = Self.timestamp(date)
        let names = Self.signedHeaders(request, timestamp: timestamp).map(\.name).joined(separator: ";")
        let text = Data(stringToSign(request, timestamp: timestamp).utf8)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: text, using: signingKey(day: String(timestamp.prefix(8)))))
        let credential = "\(accessKeyID)/\(scope(timestamp))"
        return [
            ("x-amz-date", timestamp),
            ("x-amz-content-sha256", request.payloadSHA256),
            ("authorization", "AWS4-HMAC-SHA256 Credential=\(credential), SignedHeaders=\(names), Signature=\(signature)"),
        ]
    }

    /// The canonical request: method, path, query, headers, their names, payload hash, one a line.
    static func canonicalRequest(_ request: Request, timestamp: String) -> String {
        let headers = signedHeaders(request, timestamp: timestamp)
        let query = request.query.map { (escape($0.key), escape($0.value)) }.sorted { $0 < $1 }
        return [
            request.method,
            escape(path: request.path),
            query.map { "\($0.0)=\($0.1)" }.joined(separator: "&"),
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            headers.map(\.name).joined(separator: ";"),
            request.payloadSHA256,
        ].joined(separator: "\n")
    }

    /// The algorithm, the time, the scope and the canonical request's hash: what the key signs.
    func stringToSign(_ request: Request, timestamp: String) -> String {
        let canonical = Self.canonicalRequest(request, timestamp: timestamp)
        return ["AWS4-HMAC-SHA256", timestamp, scope(timestamp), Self.sha256(Array(canonical.utf8))]
            .joined(separator: "\n")
    }

    /// `day/region/service/aws4_request`: what the key is valid for.
    private func scope(_ timestamp: String) -> String { "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request" }

    /// `AWS4` + secret, chained through the day, region and service.
    private func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key))
        }
        return key
    }

    /// Lower-cased names sorted, values trimmed with inner runs of spaces made one.
    private static func signedHeaders(_ request: Request, timestamp: String) -> [(name: String, value: String)] {
        var headers = request.headers.map { (name: $0.key.lowercased(), value: collapse($0.value)) }
        headers += [("x-amz-content-sha256", request.payloadSHA256), ("x-amz-date", timestamp)]
        return headers.sorted { $0.name < $1.name }
    }

    private static func collapse(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// `yyyyMMdd'T'HHmmss'Z'`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(dateSeparator: .omitted, timeSeparator: .omitted, timeZone: .gmt))
    }

    /// RFC 3986 escaping of everything but the unreserved characters (and `/` in a path).
    static func escape(path: String) -> String { escape(path, keeping: "/") }

    /// A query name or value, or (keeping "/") a path, escaped as the canonical request has it.
    static func escape(_ text: String, keeping kept: Character? = nil) -> String {
        var out = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte.isUnreserved || character == kept {
                out.append(character)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Hex SHA-256.
    static func sha256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    private static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

extension UInt8 {
    fileprivate var isUnreserved: Bool {
        switch self {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
