import API
import Events
import Foundation
import Kafka
import Media
import Messaging
import Postgres
@testable import Recording
import Tenancy
import Testing
import TestSupport

/// Call recordings through the API (DESIGN §7): the recordings are stored as `recording` stores
/// them (Ogg Opus, sealed under the tenant's key, in the store's folder) and listed, heard, held,
/// released and deleted through the running `api`, which fetches their audio from the running
/// `recording`; the retention sweeper runs on a clock of the test.
@Suite("api: call recordings, signed links, legal holds, retention and the audit log", .serialized, .timeLimit(.minutes(4)))
struct RecordingAPITests {
    static let secret = "test-secret-\(UUID().uuidString)"

    /// A recording as the pipeline leaves it: the object in the store, the row in the tenant schema.
    struct Seeded {
        let id: String
        let sha256: String
    }

    static func seed(_ id: String, tenant slug: TenantSlug, number: String, direction: CallDirection, user: String, started: Date,
                     seconds: Int, library: MediaLibrary, db: PostgresClient) async throws -> Seeded {
        let left = Tone.sine(frequency: 440, samples: seconds * 8_000)
        let right = Tone.sine(frequency: 1_000, samples: seconds * 8_000)
        let encoded = try OggOpus.encode(interleaved: zip(left, right).flatMap { [$0, $1] })
        let sha = try await db.withTransaction { connection in
            let sha = try await library.storeObject(encoded, kind: "recording", durationMs: seconds * 1000, tenant: slug, on: connection)
            try await connection.query("""
                INSERT INTO \(identifier: slug.schema).call_recordings (id, call_id, number, direction, user_extension, caller, callee, notice,
                    started_at, retention_days, delete_after, status, sha256, duration_ms, size, stored_at)
                VALUES (\(id), \(id), \(number), \(direction.rawValue), \(user), '+3725550199', \(user), true, \(started), 10,
                    \(started)::timestamptz + interval '10 days', 'complete', \(sha), \(seconds * 1000), \(encoded.count), now())
                """)
            return sha
        }
        return Seeded(id: id, sha256: sha)
    }

    @Test("admins search the tenant's recordings; a user sees their own once allowed; links play the stereo WAV for their caller only and expire; holds outlive the deadline; the sweeper deletes the rest; every access is audited with its address; other tenants find nothing")
    func recordingsThroughTheAPI() async throws {
        let stack = try await ApplicationStack.start(environment: ["SWITCHBOARD_SIGNED_URL_SECRET": Self.secret])
        defer { Task { await stack.stop() } }
        let api = stack.api
        let a = try await api.tenant("recapi")
        let b = try await api.tenant("recapib")
        let slug = try TenantSlug(a.slug)
        let path = "/v1/tenants/\(a.slug)"
        let number = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        #expect(try await api.call("POST", "\(path)/numbers", as: api.operatorToken, #"{"number":"\#(number)"}"#).status == 201)

        // As recording stores them: the same folder and master key as the running process.
        let library = MediaLibrary(db: api.db, store: EncryptedObjectStore(backing: FileObjectStore(root: stack.media.folder),
                                                                           keys: DataKeys(db: api.db, masterKey: "development-only-master-key")))
        let now = Date()
        let old = try await Self.seed("call-1-c1", tenant: slug, number: number, direction: .inbound, user: "1002",
                                      started: now.addingTimeInterval(-20 * 86_400), seconds: 3, library: library, db: api.db)
        let out = try await Self.seed("call-2-c1", tenant: slug, number: number, direction: .outbound, user: "1001",
                                      started: now.addingTimeInterval(-5 * 86_400), seconds: 2, library: library, db: api.db)
        let recent = try await Self.seed("call-3-c1", tenant: slug, number: number, direction: .inbound, user: "1002",
                                         started: now.addingTimeInterval(-60), seconds: 4, library: library, db: api.db)
        func ids(_ query: String, as token: String) async throws -> [String] {
            let listed = try await api.call("GET", "\(path)/recordings\(query)", as: token)
            #expect(listed.status == 200, "\(query): \(listed.text)")
            return (listed.body["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }

        // Search, newest first.
        #expect(try await ids("", as: a.admin) == [recent.id, out.id, old.id])
        #expect(try await ids("?direction=outbound", as: a.admin) == [out.id])
        #expect(try await ids("?user=1002&minSeconds=4", as: a.admin) == [recent.id])
        let since = ISO8601DateFormatter().string(from: now.addingTimeInterval(-10 * 86_400))
        #expect(try await ids("?from=\(since)&number=\(number.replacingOccurrences(of: "+", with: "%2B"))", as: a.admin) == [recent.id, out.id])
        let firstPage = try await api.call("GET", "\(path)/recordings?limit=2", as: a.admin)
        #expect(firstPage.body["next"] as? String == out.id)
        #expect(try await ids("?limit=2&after=\(out.id)", as: a.admin) == [old.id])
        #expect(try await api.call("GET", "\(path)/recordings?direction=internal", as: a.admin).status == 400)
        #expect(try await api.call("GET", "\(path)/recordings?from=yesterday", as: a.admin).status == 400)
        let shown = try await api.call("GET", "\(path)/recordings/\(old.id)", as: a.admin)
        #expect(shown.body["status"] as? String == "complete" && shown.body["durationMs"] as? Int == 3000 && shown.body["legalHold"] as? Bool == false)

        // A user sees nothing until their policy lets them; then only their own.
        #expect(try await ids("", as: a.user).isEmpty)
        #expect(try await api.call("GET", "\(path)/recordings/\(old.id)", as: a.user).status == 404)
        let allowed = try await api.call("PUT", "\(path)/users/1002/recording", as: a.admin, #"{"visible": true}"#)
        #expect(allowed.status == 200 && allowed.body["visible"] as? Bool == true, "\(allowed.text)")
        #expect(try await ids("", as: a.user) == [recent.id, old.id])
        #expect(try await api.call("GET", "\(path)/recordings/\(out.id)", as: a.user).status == 404)
        #expect(try await api.call("POST", "\(path)/recordings/\(old.id)/hold", as: a.user).status == 403)
        #expect(try await api.call("PUT", "\(path)/users/1002/recording", as: a.user, #"{"visible": true}"#).status == 403)
        // Another tenant's admin: none of it exists.
        #expect(try await api.call("GET", "\(path)/recordings", as: b.admin).status == 404)
        #expect(try await api.call("GET", "\(path)/recordings/\(old.id)", as: b.admin).status == 404)
        #expect(try await api.call("POST", "\(path)/recordings/\(old.id)/audio-url", as: b.admin).status == 404)

        // A link plays the stereo WAV: the caller left, the callee right.
        let made = try await api.call("POST", "\(path)/recordings/\(old.id)/audio-url", as: a.user)
        #expect(made.status == 200, "\(made.text)")
        let url = try #require(made.body["url"] as? String)
        let played = try await httpRequest("GET", api.base + url)
        #expect(played.status == 200 && played.headers["content-type"] == "audio/wav", "\(played.body)")
        #expect(wavFormat(played.bytes).map { [$0.channels, $0.rate] } == [2, 8000])
        let samples = try Self.pcm(played.bytes)
        let left = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        let right = stride(from: 1, to: samples.count, by: 2).map { samples[$0] }
        #expect(abs(left.count - 24_000) <= 480, "\(left.count) samples a channel")
        #expect(Tone.power(of: 440, in: Array(left[8_000..<16_000])) > 0.8 && Tone.power(of: 1_000, in: Array(right[8_000..<16_000])) > 0.8)
        let downloaded = try await httpRequest("GET", api.base + (try #require(made.body["downloadUrl"] as? String)))
        #expect(downloaded.status == 200 && downloaded.headers["content-disposition"]?.hasPrefix("attachment") == true)

        // Bound to one object and one caller, and short-lived.
        let components = try #require(URLComponents(string: url))
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        let caller = try #require(query["by"].flatMap(UUID.init(uuidString:)))
        let otherToken = try #require(try await api.db.query("""
            SELECT id FROM platform.api_tokens WHERE tenant = \(a.slug) AND subject = '1001' ORDER BY created_at DESC LIMIT 1
            """).first?.decode("id", as: UUID.self))
        for forged in [
            url.replacingOccurrences(of: "/recordings/\(old.id)/", with: "/recordings/\(recent.id)/"),
            url.replacingOccurrences(of: "by=\(caller.uuidString.lowercased())", with: "by=\(otherToken.uuidString.lowercased())"),
            url.replacingOccurrences(of: "/tenants/\(a.slug)/", with: "/tenants/\(b.slug)/"),
        ] {
            let refused = try await httpRequest("GET", api.base + forged)
            #expect(refused.status == 403 && refused.body.contains("not valid"), "\(forged): \(refused.status) \(refused.body)")
        }
        let signer = SignedLinks(secret: Self.secret)
        let expired = signer.link(to: components.path, caller: caller, now: Date().addingTimeInterval(-SignedLinks.lifetime - 1))
        let late = try await httpRequest("GET", api.base + signer.url(expired))
        #expect(late.status == 403 && late.body.contains("expired"), "\(late.body)")

        // Legal hold: kept past the deadline; deletion refused while held.
        let held = try await api.call("POST", "\(path)/recordings/\(old.id)/hold", as: a.admin)
        #expect(held.status == 200 && held.body["legalHold"] as? Bool == true, "\(held.text)")
        #expect(try await api.call("DELETE", "\(path)/recordings/\(old.id)", as: a.admin).status == 409)
        let sweeper = MediaSweeper(db: api.db, library: library,
                                   assembler: AudioAssembler(db: api.db, library: library,
                                                             voicemail: Voicemail(db: api.db, publisher: EventPublisher(producer: api.producer, topicPrefix: api.prefix), actor: "test"),
                                                             outbox: Outbox(db: api.db, publisher: EventPublisher(producer: api.producer, topicPrefix: api.prefix)),
                                                             logger: TestEnvironment.logger),
                                   logger: TestEnvironment.logger)
        func objectExists(_ seeded: Seeded) -> Bool {
            FileManager.default.fileExists(atPath: "\(stack.media.folder)/\(a.slug)/\(seeded.sha256.prefix(2))/\(seeded.sha256)")
        }
        try await sweeper.sweep(only: [slug], now: now)
        #expect(try await ids("", as: a.admin) == [recent.id, out.id, old.id], "nothing is due yet (the old one is held)")
        try await sweeper.sweep(only: [slug], now: now.addingTimeInterval(6 * 86_400))
        #expect(try await ids("", as: a.admin) == [recent.id, old.id], "the outbound one's 10 days are over")
        #expect(!objectExists(out) && objectExists(old) && objectExists(recent))
        #expect(try await api.call("POST", "\(path)/recordings/\(old.id)/release", as: a.admin).body["legalHold"] as? Bool == false)
        try await sweeper.sweep(only: [slug], now: now.addingTimeInterval(6 * 86_400))
        #expect(try await ids("", as: a.admin) == [recent.id], "released, its deadline long past")
        #expect(!objectExists(old))
        #expect(try await httpRequest("GET", api.base + url).status == 404, "a deleted recording's link finds nothing")

        // Deleted by an admin; its object goes at the sweeper's next pass.
        #expect(try await api.call("DELETE", "\(path)/recordings/\(recent.id)", as: a.admin).status == 204)
        #expect(try await api.call("GET", "\(path)/recordings/\(recent.id)", as: a.admin).status == 404)
        try await sweeper.sweep(only: [slug], now: now)
        #expect(!objectExists(recent))

        // The audit log: who, what, when, from where.
        let audit = try await api.call("GET", "\(path)/audit-log?action=recording.&limit=50", as: a.admin)
        #expect(audit.status == 200, "\(audit.text)")
        let entries = audit.body["items"] as? [[String: Any]] ?? []
        let actions = entries.map { "\($0["action"] as? String ?? "") \($0["subject"] as? String ?? "")" }
        #expect(actions == ["recording.listen \(old.id)", "recording.download \(old.id)", "recording.hold \(old.id)", "recording.expired \(out.id)",
                            "recording.release \(old.id)", "recording.expired \(old.id)", "recording.delete \(recent.id)"], "\(actions)")
        #expect(entries.first?["actor"] as? String == "user:1002@\(a.slug)")
        #expect(entries.first?["from"] as? String == "127.0.0.1")
        #expect(entries.first { ($0["action"] as? String) == "recording.expired" }?["actor"] as? String == "retention")
        #expect(try await api.call("GET", "\(path)/audit-log", as: a.user).status == 403)
        #expect(try await api.call("GET", "\(path)/audit-log", as: b.admin).status == 404)
    }

    /// A WAV file's samples (16-bit, interleaved when stereo).
    static func pcm(_ bytes: [UInt8]) throws -> [Int16] {
        var offset = 12
        while offset + 8 <= bytes.count {
            let size = (0..<4).reduce(0) { $0 | Int(bytes[offset + 4 + $1]) << (8 * $1) }
            if bytes[offset..<offset + 4].elementsEqual("data".utf8) {
                let data = bytes[(offset + 8)..<min(offset + 8 + size, bytes.count)]
                return stride(from: data.startIndex, to: data.endIndex - 1, by: 2).map { Int16(bitPattern: UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8) }
            }
            offset += 8 + size + (size & 1)
        }
        throw TestFailure("no data chunk")
    }
}
