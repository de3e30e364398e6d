import API
import Events
import Foundation
import Kafka
import Media
import Messaging
import Postgres
import Pricing
@testable import Recording
import Tenancy
import Testing
import TestSupport
import ZIPFoundation

/// Call recordings through the API (DESIGN §7): the recordings are stored as `recording` stores
/// them (Ogg Opus, sealed under the tenant's key, in the store's folder) and listed, heard, held,
/// released and deleted through the running `api`, which fetches their audio from the running
/// `recording`; the retention sweeper runs on a clock of the test.
/// The stack with the signing secret of the tests, a tenant with a number, and the media library as
/// the running `recording` has it (the same folder and master key), to store recordings directly.
struct RecordingTenant {
    let stack: ApplicationStack
    let tenant: (slug: String, domain: String, admin: String, user: String, adminSIP: String)
    let slug: TenantSlug
    let path: String
    let number: String
    let library: MediaLibrary
    var api: APIStack { stack.api }

    static func start(_ name: String) async throws -> RecordingTenant {
        let stack = try await ApplicationStack.start(environment: ["SWITCHBOARD_SIGNED_URL_SECRET": RecordingAPITests.secret])
        let tenant = try await stack.api.tenant(name)
        let path = "/v1/tenants/\(tenant.slug)"
        let number = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        let added = try await stack.api.call("POST", "\(path)/numbers", as: stack.api.operatorToken, #"{"number":"\#(number)"}"#)
        try #require(added.status == 201, "\(added.text)")
        let library = MediaLibrary(db: stack.api.db, store: EncryptedObjectStore(
            backing: FileObjectStore(root: stack.media.folder), keys: DataKeys(db: stack.api.db, masterKey: "development-only-master-key")))
        return RecordingTenant(stack: stack, tenant: tenant, slug: try TenantSlug(tenant.slug), path: path, number: number, library: library)
    }
}

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
        let setup = try await RecordingTenant.start("recapi")
        let (stack, api, a, slug, path, number, library) = (setup.stack, setup.api, setup.tenant, setup.slug, setup.path, setup.number, setup.library)
        defer { Task { await stack.stop() } }
        let b = try await api.tenant("recapib")
        let now = Date()
        // Due in a day, five and ten (kept 10 days): the sweepers of the suite's other stacks, which
        // share the database and run on the real clock, find nothing due yet.
        let old = try await Self.seed("call-1-c1", tenant: slug, number: number, direction: .inbound, user: "1002",
                                      started: now.addingTimeInterval(-9 * 86_400), seconds: 3, library: library, db: api.db)
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
        let since = ISO8601DateFormatter().string(from: now.addingTimeInterval(-7 * 86_400))
        #expect(try await ids("?from=\(since)&number=\(number.replacingOccurrences(of: "+", with: "%2B"))", as: a.admin) == [recent.id, out.id])
        let firstPage = try await api.call("GET", "\(path)/recordings?limit=2", as: a.admin)
        let next = try #require(firstPage.body["next"] as? String)
        #expect(next.hasSuffix("~\(out.id)"), "\(next)")
        #expect(try await ids("?limit=2&after=\(next)", as: a.admin) == [old.id])
        #expect(try await api.call("GET", "\(path)/recordings?after=\(out.id)", as: a.admin).status == 400)
        #expect(try await api.call("GET", "\(path)/recordings?direction=internal", as: a.admin).status == 400)
        #expect(try await api.call("GET", "\(path)/recordings?from=yesterday", as: a.admin).status == 400)
        for impossible in ["2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z", "2026-13-01T00:00:00Z"] {
            #expect(try await api.call("GET", "\(path)/recordings?to=\(impossible)", as: a.admin).status == 400, "\(impossible) is no time")
        }
        #expect(try await api.call("GET", "\(path)/recordings?to=2026-12-01T10:00:00%2B02:00", as: a.admin).status == 200)
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

    @Test("exports: an archive of every recording and voicemail message with a CSV and JSON index, built in the background, downloaded through a signed link and audited; a filter picks; at contract end one is made for the export window, and after deletion a copy of a file taken before opens for no one")
    func exportsAndContractEnd() async throws {
        let setup = try await RecordingTenant.start("recexp")
        let (stack, api, a, slug, path, number, library) = (setup.stack, setup.api, setup.tenant, setup.slug, setup.path, setup.number, setup.library)
        defer { Task { await stack.stop() } }
        let now = Date()
        let inbound = try await Self.seed("exp-1-c1", tenant: slug, number: number, direction: .inbound, user: "1002",
                                          started: now.addingTimeInterval(-3_600), seconds: 2, library: library, db: api.db)
        let outbound = try await Self.seed("exp-2-c1", tenant: slug, number: number, direction: .outbound, user: "1001",
                                           started: now.addingTimeInterval(-60), seconds: 3, library: library, db: api.db)
        // A voicemail message of 1002's box, as recording stores one.
        let message = WAV.file(Tone.sine(frequency: 700, samples: 8_000))
        let messageSha = try await api.db.withTransaction { connection in
            let (sha, _) = try await library.storeObject(message, kind: "voicemail", tenant: slug, on: connection)
            try await connection.query("""
                INSERT INTO \(identifier: slug.schema).voicemail_messages (box, recording_id, caller, call_id, reason, duration_ms, sha256)
                VALUES ('1002', 'vm-1', '+3725550100', 'vm-call-1', 'busy', 1000, \(sha))
                """)
            return sha
        }

        /// Asks for an export and waits until recording has built it; returns its id.
        func export(_ body: String) async throws -> String {
            let asked = try await api.call("POST", "\(path)/exports", as: a.admin, body)
            #expect(asked.status == 202 && asked.body["status"] as? String == "pending", "\(asked.text)")
            let id = try #require(asked.body["id"] as? String)
            var status = ""
            _ = await eventually(timeout: .seconds(30)) {
                status = (try? await api.call("GET", "\(path)/exports/\(id)", as: a.admin).body["status"] as? String) ?? ""
                return status == "ready" || status == "failed"
            }
            #expect(status == "ready", "export \(id) is \(status):\n\(stack.media.recording.log.suffix(3000))")
            return id
        }
        /// The archive's files by name, through a signed link.
        func download(_ id: String) async throws -> [String: [UInt8]] {
            let link = try await api.call("POST", "\(path)/exports/\(id)/download-url", as: a.admin)
            #expect(link.status == 200, "\(link.text)")
            let url = try #require(link.body["url"] as? String)
            let got = try await httpRequest("GET", api.base + url)
            #expect(got.status == 200 && got.headers["content-type"] == "application/zip", "\(got.body)")
            let zip = try Archive(data: Data(got.bytes), accessMode: .read)
            var files: [String: [UInt8]] = [:]
            for entry in zip {
                var bytes: [UInt8] = []
                _ = try zip.extract(entry) { bytes += $0 }
                files[entry.path] = bytes
            }
            return files
        }

        #expect(try await api.call("POST", "\(path)/exports", as: a.user, "{}").status == 403)
        #expect(try await api.call("POST", "\(path)/exports", as: a.admin, #"{"direction":"internal"}"#).status == 400)
        for refused in [#"{"from":"2026-02-30T00:00:00Z"}"#, #"{"number":"\#(String(repeating: "1", count: 101))"}"#, #"{"maxSeconds":86401}"#] {
            #expect(try await api.call("POST", "\(path)/exports", as: a.admin, refused).status == 400, "\(refused)")
        }
        let everything = try await export("{}")
        let files = try await download(everything)
        let recordingFiles = ["recordings/\(outbound.id).wav", "recordings/\(inbound.id).wav"]
        let messageFile = try #require(files.keys.first { $0.hasPrefix("voicemail/1002/") })
        #expect(Set(files.keys) == Set(recordingFiles + [messageFile, "index.json", "index.csv"]), "\(files.keys.sorted())")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let indexJSON = try #require(files["index.json"])
        let index = try decoder.decode([ExportBuilder.IndexEntry].self, from: Data(indexJSON))
        #expect(index.map(\.file) == recordingFiles + [messageFile])
        for entry in index {
            let bytes = try #require(files[entry.file])
            #expect(entry.sha256 == MediaLibrary.sha256(bytes), "\(entry.file): the index names its bytes")
        }
        #expect(index[0].kind == .recording && index[0].direction == "outbound" && index[0].user == "1001" && index[0].durationMs == 3000)
        #expect(index[2].kind == .voicemail && index[2].box == "1002" && index[2].caller == "+3725550100" && index[2].callId == "vm-call-1")
        #expect(files[messageFile] == message, "the message as it was left")
        let inboundWAV = try #require(files[recordingFiles[1]])
        let stereo = try Self.pcm(inboundWAV)
        #expect(wavFormat(inboundWAV).map { [$0.channels, $0.rate] } == [2, 8000])
        #expect(Tone.power(of: 440, in: stride(from: 4_000, to: 12_000, by: 2).map { stereo[$0] }) > 0.8, "the caller on the left")
        let csvBytes = try #require(files["index.csv"])
        let csv = String(decoding: csvBytes, as: UTF8.self).split(separator: "\r\n").map(String.init)
        #expect(csv.first == ExportBuilder.IndexEntry.csvHeader)
        #expect(csv.dropFirst() == index.map(\.csvLine)[...], "the CSV says what the JSON says")
        _ = messageSha

        // A filter: only the outbound recording, no voicemail.
        let filtered = try await download(try await export(#"{"direction":"outbound","voicemail":false}"#))
        #expect(Set(filtered.keys) == ["recordings/\(outbound.id).wav", "index.json", "index.csv"])
        let listed = try await api.call("GET", "\(path)/exports", as: a.admin)
        #expect((listed.body["items"] as? [[String: Any]])?.count == 2)
        // A page at a time, newest first.
        let first = try await api.call("GET", "\(path)/exports?limit=1", as: a.admin)
        let firstItems = first.body["items"] as? [[String: Any]] ?? []
        let nextPage = try #require(first.body["next"] as? String, "\(first.text)")
        let second = try await api.call("GET", "\(path)/exports?limit=1&after=\(nextPage)", as: a.admin)
        let secondItems = second.body["items"] as? [[String: Any]] ?? []
        #expect(firstItems.compactMap { $0["id"] as? String } + secondItems.compactMap { $0["id"] as? String }
                == (listed.body["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        #expect(second.body["next"] == nil, "the last page")
        #expect(try await api.call("GET", "\(path)/exports?after=\(everything)", as: a.admin).status == 400)
        let audit = try await api.call("GET", "\(path)/audit-log?action=export.", as: a.admin)
        #expect((audit.body["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
                == ["export.request", "export.download", "export.request", "export.download"])

        // Contract end: terminated, the tenant's media is exported for the export window.
        let terminated = try await api.call("POST", "\(path)/terminate", as: api.operatorToken, #"{"noticeDays":0}"#)
        #expect(terminated.status == 200, "\(terminated.text)")
        let exportEndsText = try #require(terminated.body["exportEnds"] as? String)
        let exportEnds = try #require(Day(exportEndsText))
        let lifecycle = TenantLifecycle(db: api.db, publisher: EventPublisher(producer: api.producer, topicPrefix: api.prefix), logger: TestEnvironment.logger)
        let today = Day.today(in: TimeZone(identifier: "UTC")!)
        #expect(try await lifecycle.advance(today: today.next, only: a.slug).contains { $0.tenant == a.slug && $0.status == .terminated })
        var contractEnd: [String: Any]?
        _ = await eventually(timeout: .seconds(30)) {
            let items = (try? await api.call("GET", "\(path)/exports", as: a.admin).body["items"] as? [[String: Any]]) ?? []
            contractEnd = items.first { $0["reason"] as? String == "contract-end" && $0["status"] as? String == "ready" }
            return contractEnd != nil
        }
        let final = try #require(contractEnd, "no contract-end export")
        #expect(final["items"] as? Int == 3)
        #expect((final["expiresAt"] as? String)?.hasPrefix(exportEnds.next.description) == true, "kept for the export window: \(final)")
        let finalID = try #require(final["id"] as? String)
        let finalFiles = try await download(finalID)
        #expect(finalFiles.count == 5)

        // Deleted after the window: the files leave the store, and a copy taken before opens for no one.
        let objectPath = "\(stack.media.folder)/\(a.slug)/\(inbound.sha256.prefix(2))/\(inbound.sha256)"
        let copy = try #require(FileManager.default.contents(atPath: objectPath))
        #expect(try await lifecycle.advance(today: exportEnds.next, only: a.slug).contains { $0.tenant == a.slug && $0.status == .deleted })
        let gone = await eventually(timeout: .seconds(20)) { !FileManager.default.fileExists(atPath: "\(stack.media.folder)/\(a.slug)") }
        #expect(gone, "the tenant's objects are deleted:\n\(stack.media.recording.log.suffix(2000))")
        let restored = NSTemporaryDirectory() + "restored-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: restored) }
        try FileManager.default.createDirectory(atPath: "\(restored)/\(a.slug)/\(inbound.sha256.prefix(2))", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(restored)/\(a.slug)/\(inbound.sha256.prefix(2))/\(inbound.sha256)", contents: copy)
        let fromBackup = EncryptedObjectStore(backing: FileObjectStore(root: restored),
                                              keys: DataKeys(db: api.db, masterKey: "development-only-master-key"))
        let key = try #require(ObjectKey(owner: a.slug, sha256: inbound.sha256))
        await #expect(throws: (any Error).self, "the tenant's key is destroyed") { _ = try await fromBackup.get(key) }
    }

    @Test("long recordings and large exports are streamed, never held whole: a recording of 9½ minutes plays as a 18 MB WAV and by a Range; its export downloads whole, resumes with a Range, and a Range past the end is 416")
    func streamedDownloads() async throws {
        let setup = try await RecordingTenant.start("recbig")
        let (stack, api, a, slug, path, number, library) = (setup.stack, setup.api, setup.tenant, setup.slug, setup.path, setup.number, setup.library)
        defer { Task { await stack.stop() } }
        // More than the 16 MiB any buffered answer of the media store's client takes.
        let seconds = 570
        let long = try await Self.seed("big-1-c1", tenant: slug, number: number, direction: .inbound, user: "1002",
                                       started: Date().addingTimeInterval(-600), seconds: seconds, library: library, db: api.db)
        let wavLength = WAV.headerLength + seconds * 8_000 * 2 * 2

        let made = try await api.call("POST", "\(path)/recordings/\(long.id)/audio-url", as: a.admin)
        let url = try #require(made.body["url"] as? String, "\(made.text)")
        let played = try await httpRequest("GET", api.base + url, timeoutSeconds: 120)
        #expect(played.status == 200 && played.headers["content-length"] == String(wavLength) && played.headers["accept-ranges"] == "bytes",
                "\(played.status) \(played.headers)")
        try #require(played.bytes.count == wavLength, "\(played.bytes.count) bytes of \(wavLength)")
        let samples = try Self.pcm(played.bytes)
        let lateLeft = stride(from: 2 * 8_000 * 500, to: 2 * 8_000 * 501, by: 2).map { samples[$0] }
        #expect(Tone.power(of: 440, in: lateLeft) > 0.8, "the caller's tone 500 s in")
        let part = try await httpRequest("GET", api.base + url, timeoutSeconds: 120, headers: ["Range": "bytes=10000000-10000999"])
        #expect(part.status == 206 && part.headers["content-range"] == "bytes 10000000-10000999/\(wavLength)", "\(part.status) \(part.headers)")
        #expect(part.bytes == Array(played.bytes[10_000_000..<10_001_000]))

        let asked = try await api.call("POST", "\(path)/exports", as: a.admin, #"{"voicemail": false}"#)
        let id = try #require(asked.body["id"] as? String, "\(asked.text)")
        var export: [String: Any] = [:]
        _ = await eventually(timeout: .seconds(90)) {
            export = (try? await api.call("GET", "\(path)/exports/\(id)", as: a.admin).body) ?? [:]
            return export["status"] as? String == "ready" || export["status"] as? String == "failed"
        }
        try #require(export["status"] as? String == "ready", "\(export)\n\(stack.media.recording.log.suffix(3000))")
        let size = try #require(export["sizeBytes"] as? Int, "\(export)")
        #expect(size > wavLength)
        let link = try #require(try await api.call("POST", "\(path)/exports/\(id)/download-url", as: a.admin).body["url"] as? String)
        let whole = try await httpRequest("GET", api.base + link, timeoutSeconds: 120)
        #expect(whole.status == 200 && whole.headers["content-length"] == String(size), "\(whole.status) \(whole.headers)")
        try #require(whole.bytes.count == size)
        let zip = try Archive(data: Data(whole.bytes), accessMode: .read)
        var archived: [UInt8] = []
        _ = try zip.extract(try #require(zip["recordings/\(long.id).wav"])) { archived += $0 }
        #expect(archived == played.bytes, "the archive's WAV is the one played")
        // A download that stopped resumes where it did.
        let rest = try await httpRequest("GET", api.base + link, timeoutSeconds: 120, headers: ["Range": "bytes=\(size - 1_000_000)-"])
        #expect(rest.status == 206 && rest.headers["content-range"] == "bytes \(size - 1_000_000)-\(size - 1)/\(size)", "\(rest.headers)")
        #expect(rest.bytes == Array(whole.bytes.suffix(1_000_000)))
        let past = try await httpRequest("GET", api.base + link, headers: ["Range": "bytes=\(size)-"])
        #expect(past.status == 416 && past.headers["content-range"] == "bytes */\(size)", "\(past.status) \(past.headers)")
        let audit = try await api.call("GET", "\(path)/audit-log?action=export.download", as: a.admin)
        #expect((audit.body["items"] as? [[String: Any]])?.count == 2, "the whole and the part, not the refused range")
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
