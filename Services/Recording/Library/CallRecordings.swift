import Events
import Foundation
import Kafka
import Logging
import Media
import Messaging
import Metrics
import Postgres
import Tenancy

/// Call recordings in the tenant schema (DESIGN §7): a row from the edge's `call.recording-started`
/// (what the recording is of, and until when it is kept), completed when its audio is stored as
/// an encrypted Ogg Opus object. The two arrive on different topics in either order: the row waits
/// for the final chunk, and a final chunk that came first waits in `audio_chunks` for the row.
struct CallRecordings: Sendable {
    let db: PostgresClient
    let library: MediaLibrary
    let logger: Logger

    enum Status { case recording, stored, unknown }

    /// `call.events`: a started recording is written down (once, whatever the redeliveries); if its
    /// final chunk is in already, it is stored now.
    func handle(_ header: EnvelopeHeader, _ message: KafkaMessage, assembler: AudioAssembler) async throws {
        guard header.type == CallRecordingStarted.type else { return }
        let event = try header.decode(message.value ?? [], as: CallRecordingStarted.self)
        let started = event.data
        let slug = try TenantSlug(header.tenant)
        let plan = started.plan
        let schema = slug.schema
        try await db.query("""
            INSERT INTO \(identifier: schema).call_recordings (id, call_id, number, direction, user_extension, caller, callee, notice,
                started_at, retention_days, delete_after)
            VALUES (\(started.recordingId), \(event.callId ?? ""), \(plan.number), \(plan.direction.rawValue), \(plan.user), \(started.caller),
                \(started.callee), \(plan.notice), \(started.startedAt), \(plan.retentionDays),
                \(started.startedAt)::timestamptz + make_interval(days => \(plan.retentionDays)))
            ON CONFLICT (id) DO NOTHING
            """)
        if try await !db.query("""
            SELECT 1 AS one FROM \(identifier: schema).audio_chunks WHERE recording_id = \(started.recordingId) AND final LIMIT 1
            """).isEmpty {
            try await assembler.finish(started.recordingId, slug: slug)
        }
    }

    func status(of recordingID: String, slug: TenantSlug) async throws -> Status {
        guard let row = try await db.query("""
            SELECT status FROM \(identifier: slug.schema).call_recordings WHERE id = \(recordingID)
            """).first else { return .unknown }
        return try row.decode("status", as: String.self) == "recording" ? .recording : .stored
    }

    /// Encodes the audio (caller left, callee right) as Ogg Opus, stores it encrypted, and
    /// completes the row in the transaction that drops the chunks: once this returns the
    /// recording is durable, and a crash before leaves the chunks to do it again.
    func store(_ recordingID: String, slug: TenantSlug, audio: AudioAssembler.Assembled) async throws {
        let samples = audio.stereo.map(G711.decodeULaw)  // still interleaved: left, right, left, …
        let durationMs = samples.count / 2 / 8
        let encoded = try OggOpus.encode(interleaved: samples)
        let library = self.library
        let schema = slug.schema
        let status = audio.complete ? "complete" : "incomplete"
        try await db.withTransaction { connection in
            let sha = try await library.storeObject(encoded, kind: "recording", durationMs: durationMs, tenant: slug, on: connection)
            try await connection.query("""
                UPDATE \(identifier: schema).call_recordings SET status = \(status), sha256 = \(sha), duration_ms = \(durationMs),
                    size = \(encoded.count), stored_at = now()
                WHERE id = \(recordingID) AND status = 'recording'
                """)
            try await connection.query("DELETE FROM \(identifier: schema).audio_chunks WHERE recording_id = \(recordingID)")
        }
        Counter(label: "switchboard_call_recordings_stored_total", dimensions: [("status", status)]).increment()
        if !audio.complete {
            logger.warning("a call recording is stored incomplete", metadata: ["recording": "\(recordingID)", "tenant": "\(slug)"])
        }
    }
}
