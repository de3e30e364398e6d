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

/// The sweeper against a real database and file store: what an edge that died mid-message left,
/// and audio nothing names any more.
@Suite("media sweeper", .timeLimit(.minutes(2)))
struct MediaSweeperTests {
    @Test("chunks that stopped longer ago than the limit without a final one become a message of what arrived; young ones wait; unnamed old audio leaves the store, named audio stays")
    func abandonedAndUnused() async throws {
        let prefix = TestEnvironment.unique("sweep") + "."
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
        let provisioning = Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger)
        let slug = try TenantSlug(TestEnvironment.unique("sweep"))
        try await provisioning.createTenant(slug: slug.value, name: "Sweep", sipDomain: slug.value.replacingOccurrences(of: "_", with: "-") + ".example.com")
        try await provisioning.createUser(tenant: slug.value, extension: "1002", name: "Mari", password: "password-1002")
        let folder = NSTemporaryDirectory() + "sweep-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let library = MediaLibrary(db: db, store: FileObjectStore(root: folder))
        let voicemail = Voicemail(db: db, publisher: publisher, actor: "test")
        let assembler = AudioAssembler(db: db, library: library, voicemail: voicemail, outbox: Outbox(db: db, publisher: publisher),
                                       logger: TestEnvironment.logger)
        // Seconds, not minutes: the sweepers of other tests' recording processes (minutes) leave
        // this tenant's rows alone.
        let sweeper = MediaSweeper(db: db, library: library, assembler: assembler, logger: TestEnvironment.logger,
                                       abandonedAfter: "20 seconds", unusedAfter: "20 seconds")

        // Two recordings of the caller's tone, two chunks each and no final one: one stopped half a
        // minute ago (its edge died), one a moment ago (still being recorded).
        let tone = Tone.sine(frequency: 450, samples: 16_000)
        let stereo = tone.flatMap { [G711.encodeULaw($0), G711.encodeULaw(0)] }
        for (id, age) in [("dead-edge", "30 seconds"), ("still-going", "1 second")] {
            try await db.withTransaction { connection in
                try await voicemail.beginRecording(id, purpose: .message, box: "1002", callID: "call-\(id)", caller: "1001", reason: .noAnswer,
                                                   slug: slug, on: connection)
                for sequence in 0..<2 {
                    let audio = Array(stereo[(sequence * 16_000)..<((sequence + 1) * 16_000)])
                    try await connection.query("""
                        INSERT INTO \(identifier: slug.schema).audio_chunks (recording_id, sequence, call_id, final, audio, received_at)
                        VALUES (\(id), \(sequence), \("call-\(id)"), false, \(audio), now() - \(age)::interval)
                        """)
                }
            }
        }
        // Audio of a deleted message, named by nothing.
        let deleted = WAV.file(Tone.sine(frequency: 600, samples: 8_000))
        let (orphan, _) = try await db.withTransaction { try await library.storeObject(deleted, kind: "voicemail", tenant: slug, on: $0) }
        try await db.query("UPDATE \(identifier: slug.schema).media_objects SET created_at = now() - '30 seconds'::interval WHERE sha256 = \(orphan)")

        try await sweeper.sweep(only: [slug])

        let messages = try await voicemail.messages(tenant: slug.value, box: "1002", folder: nil)
        #expect(messages.count == 1, "the dead edge's recording only: \(messages)")
        let message = try #require(messages.first)
        #expect(message.callId == "call-dead-edge" && message.caller == "1001" && message.reason == .noAnswer)
        let messageKey = try #require(ObjectKey(owner: slug.value, sha256: message.sha256))
        let samples = try WAV.samples(try #require(try await library.store.get(messageKey)))
        #expect(samples.count == message.durationMs * 8 && (1_900...2_000).contains(message.durationMs), "the 2 s that arrived: \(message.durationMs) ms")
        #expect(VoicemailFixture.messageTone(in: samples).ms >= 1_800)
        let left = try await db.query("SELECT recording_id FROM \(identifier: slug.schema).audio_chunks GROUP BY recording_id").map { try $0.decode("recording_id", as: String.self) }
        #expect(left == ["still-going"], "the dead edge's chunks are gone, the live recording's stay")

        // The orphan went, from the store and the catalogue; the message's audio stays, however old.
        #expect(try await library.store.get(try #require(ObjectKey(owner: slug.value, sha256: orphan))) == nil)
        try await db.query("UPDATE \(identifier: slug.schema).media_objects SET created_at = now() - '30 seconds'::interval")
        try await sweeper.sweep(only: [slug])
        let objects = try await db.query("SELECT sha256 FROM \(identifier: slug.schema).media_objects WHERE kind = 'voicemail'").map { try $0.decode("sha256", as: String.self) }
        #expect(objects == [message.sha256], "only the message's audio is left: \(objects)")
        #expect(try await library.store.get(messageKey) != nil)

        // A call recording whose edge died mid-call: stored with what arrived, flagged incomplete;
        // chunks whose recording nobody ever named go once they are old.
        try await db.query("""
            INSERT INTO \(identifier: slug.schema).call_recordings (id, call_id, number, direction, caller, callee, notice, started_at,
                retention_days, delete_after)
            VALUES ('call-cut-c1', 'call-cut', '+3726000001', 'inbound', '+3725550000', '1002', true, now() - interval '1 minute', 10,
                now() + interval '10 days')
            """)
        for (id, sequence, age) in [("call-cut-c1", 0, "30 seconds"), ("call-cut-c1", 2, "30 seconds"), ("nobody-named", 0, "5 seconds")] {
            try await db.query("""
                INSERT INTO \(identifier: slug.schema).audio_chunks (recording_id, sequence, call_id, final, audio, received_at)
                VALUES (\(id), \(sequence), 'call-cut', false, \(Array(stereo[0..<16_000])), now() - \(age)::interval)
                """)
        }
        try await sweeper.sweep(only: [slug])
        let cut = try #require(try await db.query("""
            SELECT status, duration_ms, sha256 FROM \(identifier: slug.schema).call_recordings WHERE id = 'call-cut-c1'
            """).first)
        #expect(try cut.decode("status", as: String.self) == "incomplete", "a chunk is missing and there is no final one")
        #expect(try cut.decode("duration_ms", as: Int.self) == 2_000, "the two seconds that arrived")
        let cutKey = try #require(ObjectKey(owner: slug.value, sha256: try cut.decode("sha256")))
        let cutAudio = try #require(try await library.store.get(cutKey))
        let (channels, decoded) = try OggOpus.decode(cutAudio)
        #expect(channels == 2 && decoded.count == 2 * 16_000)
        let chunksLeft = try await db.query("SELECT DISTINCT recording_id FROM \(identifier: slug.schema).audio_chunks").map { try $0.decode("recording_id", as: String.self) }
        #expect(chunksLeft.contains("nobody-named") && !chunksLeft.contains("call-cut-c1"), "stored chunks go; unnamed ones wait for their limit")
        try await db.query("UPDATE \(identifier: slug.schema).audio_chunks SET received_at = now() - interval '1 minute' WHERE recording_id = 'nobody-named'")
        try await sweeper.sweep(only: [slug])
        #expect(try await db.query("SELECT 1 FROM \(identifier: slug.schema).audio_chunks WHERE recording_id = 'nobody-named'").isEmpty)
        await producer.shutdown()
        await db.shutdown()
    }
}
