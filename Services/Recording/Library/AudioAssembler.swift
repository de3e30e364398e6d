import Events
import Foundation
import Kafka
import Logging
import Media
import Messaging
import Metrics
import Postgres
import Tenancy

/// Turns the `media.audio` chunks of a recording into a stored object (DESIGN §7): each chunk is
/// kept in the tenant's `audio_chunks` as it arrives (so the consumer commits at once and a restart
/// of `recording` or the broker loses nothing), and the final one assembles them. A voicemail
/// recording becomes a message or a greeting of its box, stored before the box counts it; a call's
/// recording becomes an Ogg Opus object (`CallRecordings`).
struct AudioAssembler: Sendable {
    let db: PostgresClient
    let library: MediaLibrary
    let voicemail: Voicemail
    let outbox: Outbox
    let logger: Logger
    var calls: CallRecordings { CallRecordings(db: db, library: library, logger: logger) }

    func handle(_ message: KafkaMessage) async throws {
        let chunk = try AudioChunk(message)
        let slug = try TenantSlug(chunk.tenant)
        guard chunk.codec == .pcmuStereo else { throw EventError(message: "chunk codec \(chunk.codec.rawValue) is not taken") }
        try await db.query("""
            INSERT INTO \(identifier: slug.schema).audio_chunks (recording_id, sequence, call_id, final, audio)
            VALUES (\(chunk.recordingId), \(chunk.sequence), \(chunk.callId), \(chunk.final), \(chunk.audio))
            ON CONFLICT (recording_id, sequence) DO NOTHING
            """)
        if chunk.final { try await finish(chunk.recordingId, slug: slug) }
    }

    /// What a recording was for, as `ivr` wrote it before the recording started.
    private struct Purpose {
        let purpose: VoicemailRecordingPurpose
        let box: String
        let callID: String
        let caller: String
        let reason: DepositReason
        let minMs: Int
    }

    /// Hands the recording's chunks (all of them, or what arrived before the edge stopped sending)
    /// to what it is for: a voicemail message or greeting, or a call's recording. Chunks of a
    /// recording whose purpose is not known yet (its `call.recording-started` is still on its way)
    /// wait for it; chunks of one done already (a final chunk delivered again) go.
    func finish(_ recordingID: String, slug: TenantSlug) async throws {
        let schema = slug.schema
        guard let row = try await db.query("""
            SELECT r.purpose, r.box, r.call_id, r.caller, r.reason, b.min_ms FROM \(identifier: schema).voicemail_recordings r
            JOIN \(identifier: schema).voicemail_boxes b ON b.number = r.box WHERE r.recording_id = \(recordingID)
            """).first, let purpose = VoicemailRecordingPurpose(rawValue: try row.decode("purpose")) else {
            switch try await calls.status(of: recordingID, slug: slug) {
            case .recording: try await calls.store(recordingID, slug: slug, audio: try await audio(of: recordingID, slug: slug))
            case .stored: try await db.query("DELETE FROM \(identifier: schema).audio_chunks WHERE recording_id = \(recordingID)")
            case .unknown: break
            }
            return
        }
        let recording = Purpose(purpose: purpose, box: try row.decode("box"), callID: try row.decode("call_id"), caller: try row.decode("caller"),
                                reason: DepositReason(rawValue: try row.decode("reason")) ?? .direct, minMs: try row.decode("min_ms"))
        // A voicemail records the caller: the left channel, from their first sound to their last.
        let samples = Silence.trimmed(G711.decodeStereoULaw(try await audio(of: recordingID, slug: slug).stereo).left)
        let durationMs = samples.count / 8
        if let greeting = purpose.greeting {
            try await storeGreeting(greeting, samples: samples, durationMs: durationMs, recording: recording, id: recordingID, slug: slug)
        } else {
            try await storeMessage(samples: samples, durationMs: durationMs, recording: recording, id: recordingID, slug: slug)
        }
    }

    /// A recording's audio as it arrived: its chunks in order, and whether it is whole (no
    /// sequence number missing, the final chunk there).
    struct Assembled {
        var stereo: [UInt8]
        var complete: Bool
    }

    private func audio(of recordingID: String, slug: TenantSlug) async throws -> Assembled {
        let chunks = try await db.query("""
            SELECT sequence, final, audio FROM \(identifier: slug.schema).audio_chunks WHERE recording_id = \(recordingID) ORDER BY sequence
            """)
        var assembled = Assembled(stereo: [], complete: false)
        var gaps = false
        for (expected, chunk) in chunks.enumerated() {
            if try chunk.decode("sequence", as: Int.self) != expected && !gaps {
                gaps = true
                Counter(label: "switchboard_recording_chunk_gaps_total").increment()
                logger.warning("a recording lacks chunks; keeping what arrived", metadata: ["recording": "\(recordingID)"])
            }
            assembled.stereo += try chunk.decode("audio", as: [UInt8].self)
            if try chunk.decode("final", as: Bool.self) { assembled.complete = !gaps }
        }
        return assembled
    }

    private func storeMessage(samples: [Int16], durationMs: Int, recording: Purpose, id recordingID: String, slug: TenantSlug) async throws {
        let schema = slug.schema
        let (voicemail, outbox, library) = (self.voicemail, self.outbox, self.library)
        let kept = try await db.withTransaction { connection -> VoicemailMessage? in
            // Locked: the caller's "urgent" lands before or after this, never lost between.
            guard let claim = try await connection.query("""
                SELECT urgent FROM \(identifier: schema).voicemail_recordings WHERE recording_id = \(recordingID) FOR UPDATE
                """).first else { return nil }
            var kept: VoicemailMessage?
            var missed: VoicemailMissedCall.Why? = .tooShort
            if durationMs >= recording.minMs {
                let (sha, _) = try await library.storeObject(WAV.file(samples), kind: "voicemail", tenant: slug, on: connection)
                switch try await voicemail.storeMessage(recordingID: recordingID, box: recording.box, caller: recording.caller,
                                                        callID: recording.callID, reason: recording.reason, urgent: try claim.decode("urgent"),
                                                        durationMs: durationMs, sha256: sha, slug: slug, on: connection) {
                case .stored(let message):
                    kept = message
                    missed = nil
                case .notKept(let why):
                    missed = why
                }
            }
            if let kept {
                try await outbox.add(Envelope(tenant: slug.value, callId: recording.callID, data: VoicemailMessageLeft(
                    box: kept.box, messageId: kept.id, caller: kept.caller, callId: kept.callId, reason: kept.reason,
                    durationMs: kept.durationMs, urgent: kept.urgent)), key: "\(slug.value)/\(kept.box)", on: connection)
            } else if let missed {
                try await outbox.add(Envelope(tenant: slug.value, callId: recording.callID, data: VoicemailMissedCall(
                    box: recording.box, caller: recording.caller, callId: recording.callID, why: missed, durationMs: durationMs)),
                                     key: "\(slug.value)/\(recording.box)", on: connection)
            }
            try await Self.forget(recordingID, schema: schema, on: connection)
            return kept
        }
        outbox.committed()
        Counter(label: "switchboard_voicemail_deposits_total", dimensions: [("outcome", kept == nil ? "discarded" : "stored")]).increment()
    }

    private func storeGreeting(_ kind: GreetingKind, samples: [Int16], durationMs: Int, recording: Purpose, id recordingID: String,
                               slug: TenantSlug) async throws {
        let (voicemail, library) = (self.voicemail, self.library)
        try await db.withTransaction { connection in
            if durationMs >= 1_000 {
                let (sha, _) = try await library.storeObject(WAV.file(samples), kind: "voicemail", tenant: slug, on: connection)
                try await voicemail.setGreeting(Voicemail.Greeting(kind: kind, sha256: sha, source: .phone, text: nil), box: recording.box,
                                                slug: slug, on: connection)
            }
            try await Self.forget(recordingID, schema: slug.schema, on: connection)
        }
    }

    private static func forget(_ recordingID: String, schema: SQLIdentifier, on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM \(identifier: schema).audio_chunks WHERE recording_id = \(recordingID)")
        try await connection.query("DELETE FROM \(identifier: schema).voicemail_recordings WHERE recording_id = \(recordingID)")
    }
}
