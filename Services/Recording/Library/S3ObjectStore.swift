import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Runtime

/// The store for clusters: an S3-compatible bucket, one object per key at
/// `endpoint/bucket/prefix/owner/sha256` (path-style, which every S3 takes). S3 makes an object
/// visible whole or not at all, and checks the body against the signed `x-amz-content-sha256`, so
/// a put is atomic and a body damaged on the way is refused.
struct S3ObjectStore: ObjectStore {
    let configuration: S3Configuration
    let client: HTTPClient
    /// Each request's deadline; an hour of 8 kHz audio is a few tens of megabytes.
    var timeout: TimeAmount = .seconds(60)
    private let signer: SigV4Signer
    /// `host[:port]` as the Host header carries it (the configuration checked the endpoint).
    private let host: String

    init(configuration: S3Configuration, client: HTTPClient) {
        self.configuration = configuration
        self.client = client
        signer = SigV4Signer(accessKeyID: configuration.accessKeyID, secretAccessKey: configuration.secretAccessKey,
                             region: configuration.region)
        let url = URLComponents(string: configuration.endpoint)
        host = [url?.host, url?.port.map(String.init)].compactMap { $0 }.joined(separator: ":")
    }

    /// The largest object a get takes: far above any recording, a bound on what a wrong endpoint
    /// could make the service hold in memory.
    static let maximumObjectBytes = 1 << 30

    func put(_ key: ObjectKey, bytes: [UInt8]) async throws {
        let answer = try await send(.PUT, key, body: bytes)
        guard answer.status == .ok else { throw try await S3Error(answer, operation: "PUT \(key)") }
        _ = try await answer.body.collect(upTo: S3Error.maximumBodyBytes)
    }

    func get(_ key: ObjectKey) async throws -> [UInt8]? {
        let answer = try await send(.GET, key)
        guard answer.status == .ok else {
            let failure = try await S3Error(answer, operation: "GET \(key)")
            if failure.isMissingObject { return nil }
            throw failure
        }
        return Array(buffer: try await answer.body.collect(upTo: Self.maximumObjectBytes))
    }

    /// S3 answers 204 whether the object was there or not; some compatible stores answer 404.
    func delete(_ key: ObjectKey) async throws {
        let answer = try await send(.DELETE, key)
        guard answer.status == .noContent || answer.status == .ok else {
            let failure = try await S3Error(answer, operation: "DELETE \(key)")
            if failure.isMissingObject { return }
            throw failure
        }
        _ = try await answer.body.collect(upTo: S3Error.maximumBodyBytes)
    }

    /// Lists the owner's objects a page (ListObjectsV2, up to 1000) at a time and deletes each.
    func deleteAll(owner: String) async throws -> Int {
        let folder = configuration.prefix.isEmpty ? "" : "\(configuration.prefix)/"
        var deleted = 0
        var token: String?
        repeat {
            var query = ["list-type": "2", "prefix": "\(folder)\(owner)/"]
            if let token { query["continuation-token"] = token }
            let answer = try await send(.GET, path: "/\(configuration.bucket)", query: query)
            guard answer.status == .ok else { throw try await S3Error(answer, operation: "LIST \(owner)") }
            let page = String(buffer: try await answer.body.collect(upTo: S3Error.maximumBodyBytes))
            for name in S3Error.elements("Key", in: page) {
                guard let key = ObjectKey(owner: owner, sha256: String(name.split(separator: "/").last ?? "")) else { continue }
                try await delete(key)
                deleted += 1
            }
            token = S3Error.element("IsTruncated", in: page) == "true" ? S3Error.element("NextContinuationToken", in: page) : nil
        } while token != nil
        return deleted
    }

    private func send(_ method: HTTPMethod, _ key: ObjectKey, body: [UInt8] = []) async throws -> HTTPClientResponse {
        let folder = configuration.prefix.isEmpty ? "" : "\(configuration.prefix)/"
        return try await send(method, path: "/\(configuration.bucket)/\(folder)\(key)", body: body)
    }

    private func send(_ method: HTTPMethod, path: String, query: [String: String] = [:], body: [UInt8] = []) async throws -> HTTPClientResponse {
        let signed = signer.sign(.init(method: method.rawValue, path: path, query: query, headers: ["host": host],
                                       payloadSHA256: SigV4Signer.sha256(body)), at: Date())
        let queryString = query.isEmpty ? ""
            : "?" + query.sorted { $0.key < $1.key }.map { "\(SigV4Signer.escape($0.key))=\(SigV4Signer.escape($0.value))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: configuration.endpoint + SigV4Signer.escape(path: path) + queryString)
        request.method = method
        // Sent as signed (the client would add the same, but the signature depends on it).
        request.headers.add(name: "host", value: host)
        for header in signed { request.headers.add(name: header.name, value: header.value) }
        if method == .PUT { request.body = .bytes(ByteBuffer(bytes: body)) }
        return try await client.execute(request, timeout: timeout)
    }
}

/// An answer of S3 other than success: the status, and the error code and message from its XML
/// body (`SignatureDoesNotMatch`, `NoSuchBucket`, …).
struct S3Error: Error, CustomStringConvertible {
    let operation: String
    let status: Int
    let code: String
    let message: String

    /// S3's error documents are small; a bound for anything else answering.
    static let maximumBodyBytes = 64 * 1024

    var description: String { "S3 \(operation): \(status) \(code): \(message)" }

    /// A 404 for the object; one for the bucket is a configuration to fix.
    var isMissingObject: Bool { status == 404 && code != "NoSuchBucket" }
}

extension S3Error {
    init(_ answer: HTTPClientResponse, operation: String) async throws {
        let body = String(buffer: try await answer.body.collect(upTo: Self.maximumBodyBytes))
        self.init(operation: operation, status: Int(answer.status.code),
                  code: Self.element("Code", in: body) ?? answer.status.reasonPhrase,
                  message: Self.element("Message", in: body) ?? "")
    }

    /// The texts of every `<name>…</name>`, in order (a listing's keys).
    static func elements(_ name: String, in body: String) -> [String] {
        body.components(separatedBy: "<\(name)>").dropFirst().compactMap { $0.components(separatedBy: "</\(name)>").first }
    }

    /// The text of `<name>…</name>`: the error document has no nesting worth an XML parser.
    static func element(_ name: String, in body: String) -> String? {
        guard let start = body.range(of: "<\(name)>"),
              let end = body.range(of: "</\(name)>", range: start.upperBound..<body.endIndex) else { return nil }
        return String(body[start.upperBound..<end.lowerBound])
    }
}
