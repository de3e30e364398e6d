import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Runtime
import Testing
import Tenancy
import TestSupport

@testable import Recording

/// moto's standalone server (scripts/bootstrap installs it) as an S3 that checks signatures. Started
/// with `INITIAL_NO_AUTH_ACTION_COUNT`, it takes that many requests unsigned (the setup: an IAM user
/// allowed `s3:*`, its access key, the bucket) and then refuses every request not signed by a key
/// its IAM knows.
struct MotoS3 {
    let server: ServiceProcess
    let endpoint: String
    let accessKeyID: String
    let secretAccessKey: String
    let bucket = "media"

    /// CreateUser, PutUserPolicy, CreateAccessKey, CreateBucket.
    static let unsignedRequests = 4
    static let policy = #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#

    static func start() async throws -> MotoS3 {
        let moto = TestEnvironment.tool("moto_server")
        try #require(FileManager.default.isExecutableFile(atPath: moto), "no moto at \(moto): run scripts/bootstrap")
        let port = try freePort()
        let server = try ServiceProcess(program: moto, arguments: ["-H", "127.0.0.1", "-p", String(port)],
                                        environment: ["INITIAL_NO_AUTH_ACTION_COUNT": String(unsignedRequests)])
        let endpoint = "http://127.0.0.1:\(port)"
        // moto's own API, which does not count as one of the unsigned requests.
        let up = await eventually(timeout: .seconds(30)) {
            (try? await httpGet("\(endpoint)/moto-api/data.json").status) == 200
        }
        try #require(up, "moto did not start: \(server.log)")

        _ = try await iam(endpoint, "CreateUser", ["UserName": "recording"])
        _ = try await iam(endpoint, "PutUserPolicy",
                          ["UserName": "recording", "PolicyName": "media", "PolicyDocument": policy])
        let key = try await iam(endpoint, "CreateAccessKey", ["UserName": "recording"])
        let created = try await unsigned("PUT", "\(endpoint)/media")
        try #require(created.status == .ok, "CreateBucket: \(created.status) \(created.body)")
        return MotoS3(server: server, endpoint: endpoint,
                      accessKeyID: try #require(S3Error.element("AccessKeyId", in: key)),
                      secretAccessKey: try #require(S3Error.element("SecretAccessKey", in: key)))
    }

    func configuration(prefix: String = "") -> S3Configuration {
        S3Configuration(endpoint: endpoint, bucket: bucket, accessKeyID: accessKeyID, secretAccessKey: secretAccessKey,
                        prefix: prefix)
    }

    /// The settings that make `recording` use this bucket.
    func environment(prefix: String) -> [String: String] {
        ["SWITCHBOARD_MEDIA_STORE": "s3", "SWITCHBOARD_S3_ENDPOINT": endpoint, "SWITCHBOARD_S3_BUCKET": bucket,
         "SWITCHBOARD_S3_ACCESS_KEY_ID": accessKeyID, "SWITCHBOARD_S3_SECRET_ACCESS_KEY": secretAccessKey,
         "SWITCHBOARD_S3_PREFIX": prefix]
    }

    /// SIGKILL: on SIGTERM moto's server waits for its threads, which wait on the idle keep-alive
    /// connections of the tests' HTTP client.
    func stop() { server.stop(signal: SIGKILL) }

    /// An IAM query action, unsigned. The Authorization header only names the service: moto routes an
    /// unsigned request by it, and checks no signature while unsigned requests are still allowed.
    private static func iam(_ endpoint: String, _ action: String, _ parameters: [String: String]) async throws -> String {
        let form = parameters.merging(["Action": action, "Version": "2010-05-08"]) { $1 }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        let answer = try await unsigned("POST", endpoint + "/", body: form, headers: [
            "content-type": "application/x-www-form-urlencoded",
            "authorization": "AWS4-HMAC-SHA256 Credential=setup/20130524/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=none",
        ])
        try #require(answer.status == .ok, "\(action): \(answer.status) \(answer.body)")
        return answer.body
    }

    /// HTTPClient.shared in the tests: a client of a test's own would have to be shut down on every path
    /// out of the test, a thrown expectation too.
    static func unsigned(_ method: String, _ url: String, body: String = "", headers: [String: String] = [:]) async throws
        -> (status: HTTPResponseStatus, body: String)
    {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (answer.status, String(buffer: try await answer.body.collect(upTo: 1 << 20)))
    }
}

@Suite("S3 object store against moto", .timeLimit(.minutes(3)))
struct S3ObjectStoreTests {
    static func key(_ bytes: [UInt8], owner: String = ObjectKey.systemOwner) throws -> ObjectKey {
        try #require(ObjectKey(owner: owner, sha256: SigV4Signer.sha256(bytes)))
    }

    @Test("put and get round trip (an empty object too); a missing object is nil; a second put changes nothing; delete, twice; all of an owner's objects go, no other's")
    func roundTrip() async throws {
        let moto = try await MotoS3.start()
        let store = S3ObjectStore(configuration: moto.configuration(prefix: "test/media"), client: .shared)
        let bytes = (0..<300_000).map { _ in UInt8.random(in: 0...255) }
        let key = try Self.key(bytes)
        #expect(try await store.get(key) == nil)
        try await store.put(key, bytes: bytes)
        #expect(try await store.get(key) == bytes)
        try await store.put(key, bytes: bytes)
        #expect(try await store.get(key) == bytes)
        let elsewhere = S3ObjectStore(configuration: moto.configuration(), client: .shared)
        #expect(try await elsewhere.get(key) == nil, "the prefix is part of the object's name")

        let empty = try Self.key([])
        try await store.put(empty, bytes: [])
        #expect(try await store.get(empty) == [])

        try await store.delete(key)
        #expect(try await store.get(key) == nil)
        try await store.delete(key)
        #expect(try await store.get(empty) == [], "only the deleted object went")

        // A deleted tenant's objects, found by listing its prefix: all go, another owner's stay.
        let owner = "gone_tenant"
        for index in 0..<3 { try await store.put(try Self.key(Array("object \(index)".utf8), owner: owner), bytes: [UInt8(index)]) }
        #expect(try await store.deleteAll(owner: owner) == 3)
        #expect(try await store.get(try Self.key(Array("object 0".utf8), owner: owner)) == nil)
        #expect(try await store.deleteAll(owner: owner) == 0, "a second time finds nothing")
        #expect(try await store.get(empty) == [], "another owner's object stays")

        var absent = moto.configuration()
        absent.bucket = "absent"
        await #expect {
            try await S3ObjectStore(configuration: absent, client: .shared).get(key)
        } throws: { error in
            (error as? S3Error)?.code == "NoSuchBucket"
        }
        moto.stop()
    }

    @Test("a large object goes up in 8 MiB parts of a multipart upload and comes back whole, by size and by any range (sealed segments too)")
    func multipart() async throws {
        let moto = try await MotoS3.start()
        let store = S3ObjectStore(configuration: moto.configuration(prefix: "big"), client: .shared)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(2 * S3ObjectStore.partBytes + 12_345)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = try Self.key(bytes)
        var offset = 0
        try await store.put(key) {
            guard offset < bytes.count else { return nil }
            let end = min(bytes.count, offset + 1_000_003)
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
        #expect(try await store.size(key) == bytes.count)
        #expect(try await store.get(key) == bytes)
        for range in [0..<1, (S3ObjectStore.partBytes - 10)..<(S3ObjectStore.partBytes + 10), (bytes.count - 100)..<bytes.count] {
            #expect(try await store.get(key, range: range) == Array(bytes[range]), "\(range)")
        }
        await #expect(throws: ObjectStoreError.self) { try await store.get(key, range: (bytes.count - 1)..<(bytes.count + 1)) }
        #expect(try await store.size(try Self.key([9, 9])) == nil)
        // What recording writes: sealed segments, read back by range.
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let sealed = EncryptedObjectStore(backing: store, keys: DataKeys(db: db, masterKey: "test-master-key"))
        let owner = TestEnvironment.unique("s3big")
        let tenantKey = try Self.key(bytes, owner: owner)
        try await sealed.put(tenantKey, bytes: bytes)
        #expect(try await sealed.size(tenantKey) == bytes.count)
        #expect(try await sealed.get(tenantKey, range: 5_000_000..<5_100_000) == Array(bytes[5_000_000..<5_100_000]))
        #expect(try await sealed.get(tenantKey) == bytes)
        await db.shutdown()
        moto.stop()
    }

    @Test("a wrong secret, an unknown key id and no signature are refused with S3's answer, and nothing is stored")
    func refused() async throws {
        let moto = try await MotoS3.start()
        let bytes = Array("a prompt".utf8)
        let key = try Self.key(bytes)
        var wrongSecret = moto.configuration()
        wrongSecret.secretAccessKey = String(wrongSecret.secretAccessKey.reversed())
        var unknownKey = moto.configuration()
        unknownKey.accessKeyID = "AKIAUNKNOWN000000000"
        for (configuration, code) in [(wrongSecret, "SignatureDoesNotMatch"), (unknownKey, "InvalidAccessKeyId")] {
            let store = S3ObjectStore(configuration: configuration, client: .shared)
            await #expect {
                try await store.put(key, bytes: bytes)
            } throws: { error in
                let failure = error as? S3Error
                return failure?.status == 403 && failure?.code == code && failure?.message.isEmpty == false
            }
            await #expect(throws: S3Error.self) { try await store.get(key) }
        }
        let unsigned = try await MotoS3.unsigned("PUT", "\(moto.endpoint)/\(moto.bucket)/\(key)", body: "a prompt")
        #expect(unsigned.status != .ok, "\(unsigned.body)")
        #expect(try await S3ObjectStore(configuration: moto.configuration(), client: .shared).get(key) == nil, "nothing stored")
        moto.stop()
    }

    @Test("recording with SWITCHBOARD_MEDIA_STORE=s3 keeps an uploaded prompt in the bucket, serves it back, stops cleanly")
    func recordingService() async throws {
        let moto = try await MotoS3.start()
        let fixture = try await MediaStoreFixture.start(environment: moto.environment(prefix: "cluster"))
        let slug = try await fixture.tenant("s3")
        let answer = try await httpRequest("PUT", "\(fixture.url)/internal/prompts/\(slug)/welcome",
                                           body: try MediaStoreFixture.audioFile("wav"), contentType: "audio/wav")
        try #require(answer.status == 201, "\(answer.status) \(answer.body)\n\(fixture.recording.log.suffix(2000))")
        let prompt = try JSONDecoder().decode(MediaStoreTests.Prompt.self, from: Data(answer.bytes))
        let served = try await httpGet("\(fixture.url)/internal/media/\(slug)/\(prompt.sha256)")
        #expect(served.status == 200 && served.headers["content-type"] == "audio/wav")
        let bucket = S3ObjectStore(configuration: moto.configuration(prefix: "cluster"), client: .shared)
        let key = try Self.key(served.bytes, owner: slug)
        let stored = try #require(try await bucket.get(key), "the bucket has the object under cluster/\(slug)/\(prompt.sha256)")
        #expect(stored.starts(with: SealedSegments.header) && !stored.contains(Array(served.bytes.suffix(64))),
                "encrypted at rest, not the WAV")
        let opened = EncryptedObjectStore(backing: bucket, keys: DataKeys(db: fixture.db, masterKey: Settings.masterKey.defaultValue))
        #expect(try await opened.get(key) == served.bytes, "the tenant's data key opens it")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder), "nothing in the file store's folder")
        #expect(fixture.recording.stop() == 0, "a clean stop: \(fixture.recording.log.suffix(2000))")
        await fixture.stop()
        moto.stop()
    }

    @Test("recording with the s3 store and no bucket stops at start with one line naming the setting")
    func missingBucket() async throws {
        var environment = serviceEnvironment(prefix: "unused.", port: try freePort())
        environment.merge(["SWITCHBOARD_MEDIA_STORE": "s3", "SWITCHBOARD_S3_ENDPOINT": "http://127.0.0.1:1",
                           "SWITCHBOARD_S3_ACCESS_KEY_ID": "AKIA", "SWITCHBOARD_S3_SECRET_ACCESS_KEY": "secret"]) { $1 }
        let recording = try ServiceProcess("recording", environment: environment)
        #expect(recording.waitForExit() == 1)
        #expect(recording.log == "recording: configuration: SWITCHBOARD_S3_BUCKET must be set when SWITCHBOARD_MEDIA_STORE=s3\n")
    }
}
