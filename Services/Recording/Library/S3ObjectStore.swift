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

    /// Parts of a multipart upload: S3 takes at least 5 MiB for each but the last.
    static let partBytes = 8 << 20

    /// One PUT for an object up to a part's size; above, a multipart upload of 8 MiB parts, each
    /// checked against its signed hash like a PUT, and aborted (its parts deleted) if one fails.
    func put(_ key: ObjectKey, chunks next: () async throws -> [UInt8]?) async throws {
        var part: [UInt8] = []
        var ended = false
        func fill() async throws {
            while !ended && part.count < Self.partBytes {
                if let chunk = try await next() { part += chunk } else { ended = true }
            }
        }
        try await fill()
        guard !ended || part.count > Self.partBytes else {
            let answer = try await send(.PUT, key, body: part)
            guard answer.status == .ok else { throw try await S3Error(answer, operation: "PUT \(key)") }
            _ = try await answer.body.collect(upTo: S3Error.maximumBodyBytes)
            return
        }
        let upload = try await createUpload(key)
        do {
            var etags: [String] = []
            repeat {
                let body = Array(part.prefix(Self.partBytes))
                part.removeFirst(body.count)
                etags.append(try await uploadPart(key, upload: upload, number: etags.count + 1, body: body))
                try await fill()
            } while !part.isEmpty
            try await completeUpload(key, upload: upload, etags: etags)
        } catch {
            _ = try? await send(.DELETE, key, query: ["uploadId": upload])
            throw error
        }
    }

    private func createUpload(_ key: ObjectKey) async throws -> String {
        let answer = try await send(.POST, key, query: ["uploads": ""])
        guard answer.status == .ok else { throw try await S3Error(answer, operation: "CreateMultipartUpload \(key)") }
        let body = String(buffer: try await answer.body.collect(upTo: S3Error.maximumBodyBytes))
        guard let upload = S3Error.element("UploadId", in: body) else {
            throw S3Error(operation: "CreateMultipartUpload \(key)", status: 200, code: "NoUploadId", message: body)
        }
        return upload
    }

    private func uploadPart(_ key: ObjectKey, upload: String, number: Int, body: [UInt8]) async throws -> String {
        let answer = try await send(.PUT, key, query: ["partNumber": String(number), "uploadId": upload], body: body)
        guard answer.status == .ok, let etag = answer.headers.first(name: "etag") else {
            throw try await S3Error(answer, operation: "UploadPart \(number) of \(key)")
        }
        _ = try await answer.body.collect(upTo: S3Error.maximumBodyBytes)
        return etag
    }

    /// S3 may answer 200 and still fail, with an error document for a body.
    private func completeUpload(_ key: ObjectKey, upload: String, etags: [String]) async throws {
        let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }
        let document = Array("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
        let answer = try await send(.POST, key, query: ["uploadId": upload], body: document)
        let body = String(buffer: try await answer.body.collect(upTo: S3Error.maximumBodyBytes))
        guard answer.status == .ok, !body.contains("<Error>") else {
            throw S3Error(operation: "CompleteMultipartUpload \(key)", status: Int(answer.status.code),
                          code: S3Error.element("Code", in: body) ?? answer.status.reasonPhrase, message: S3Error.element("Message", in: body) ?? "")
        }
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

    func size(_ key: ObjectKey) async throws -> Int? {
        let answer = try await send(.HEAD, key)
        if answer.status == .notFound { return nil }
        guard answer.status == .ok, let length = answer.headers.first(name: "content-length").flatMap(Int.init) else {
            throw S3Error(operation: "HEAD \(key)", status: Int(answer.status.code), code: answer.status.reasonPhrase, message: "")
        }
        return length
    }

    func get(_ key: ObjectKey, range: Range<Int>) async throws -> [UInt8] {
        guard !range.isEmpty else { return [] }
        let answer = try await send(.GET, key, headers: ["range": "bytes=\(range.lowerBound)-\(range.upperBound - 1)"])
        guard answer.status == .partialContent || answer.status == .ok else {
            let failure = try await S3Error(answer, operation: "GET \(key) bytes \(range)")
            if failure.isMissingObject || answer.status == .rangeNotSatisfiable { throw ObjectStoreError.missing(key, range: range) }
            throw failure
        }
        var bytes = Array(buffer: try await answer.body.collect(upTo: range.count + S3Error.maximumBodyBytes))
        // A store that ignores Range answers 200 with the whole object.
        if answer.status == .ok { bytes = bytes.count >= range.upperBound ? Array(bytes[range]) : [] }
        guard bytes.count == range.count else { throw ObjectStoreError.missing(key, range: range) }
        return bytes
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

    private func send(_ method: HTTPMethod, _ key: ObjectKey, query: [String: String] = [:], headers: [String: String] = [:],
                      body: [UInt8] = []) async throws -> HTTPClientResponse {
        let folder = configuration.prefix.isEmpty ? "" : "\(configuration.prefix)/"
        return try await send(method, path: "/\(configuration.bucket)/\(folder)\(key)", query: query, headers: headers, body: body)
    }

    /// `headers` are sent unsigned (a Range, which S3 does not need signed).
    private func send(_ method: HTTPMethod, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                      body: [UInt8] = []) async throws -> HTTPClientResponse {
        let signed = signer.sign(.init(method: method.rawValue, path: path, query: query, headers: ["host": host],
                                       payloadSHA256: SigV4Signer.sha256(body)), at: Date())
        let queryString = query.isEmpty ? ""
            : "?" + query.sorted { $0.key < $1.key }.map { "\(SigV4Signer.escape($0.key))=\(SigV4Signer.escape($0.value))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: configuration.endpoint + SigV4Signer.escape(path: path) + queryString)
        request.method = method
        // Sent as signed (the client would add the same, but the signature depends on it).
        request.headers.add(name: "host", value: host)
        for header in signed { request.headers.add(name: header.name, value: header.value) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if method == .PUT || method == .POST { request.body = .bytes(ByteBuffer(bytes: body)) }
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
