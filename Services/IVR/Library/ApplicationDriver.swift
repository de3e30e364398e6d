import Events
import Foundation
import Kafka
import MediaClient
import Messaging
import Metrics
import Postgres
import Tenancy

/// Drives the calls in announcements and menus from `call.events` (DESIGN §6). Each event that
/// moves a call on is handled in one transaction: the call's stored step is locked, the next one
/// stored, and the commands for the edge put in the outbox with it. A redelivered event (after a
/// restart of this or another instance) finds the step already moved on and changes nothing; a
/// new owner of the partition continues every call from its last stored step.
struct ApplicationDriver: Sendable {
    let db: PostgresClient
    let outbox: Outbox
    let publisher: EventPublisher
    /// recording, for the text voicemail speaks.
    let media: MediaStoreClient

    func handle(_ header: EnvelopeHeader, _ message: KafkaMessage) async throws {
        let bytes = message.value ?? []
        guard let callID = header.callId else { return }
        switch header.type {
        case CallAppStarted.type:
            let started = try header.decode(bytes, as: CallAppStarted.self).data
            try await advance(callID: callID, header: header, edge: started.offer.edge) { machine, step in
                // The same start delivered again: the call is past it.
                if step?.startedBy == header.id.uuidString { return (step, []) }
                return try await machine.start(started, envelopeID: header.id.uuidString)
            }
        case CallPlayFinished.type:
            let finished = try header.decode(bytes, as: CallPlayFinished.self).data
            try await advance(callID: callID, header: header) { machine, step in
                guard let step else { return (nil, []) }
                return try await machine.played(finished, in: step)
            }
        case CallCollectFinished.type:
            let finished = try header.decode(bytes, as: CallCollectFinished.self).data
            try await advance(callID: callID, header: header) { machine, step in
                guard let step else { return (nil, []) }
                return try await machine.collected(finished, in: step)
            }
        case CallRecordFinished.type:
            let finished = try header.decode(bytes, as: CallRecordFinished.self).data
            try await advance(callID: callID, header: header) { machine, step in
                guard let step else { return (nil, []) }
                return try await machine.recorded(finished, in: step)
            }
        case CallStateChanged.type:
            guard try header.decode(bytes, as: CallStateChanged.self).data.state == .ended else { return }
            let slug = try TenantSlug(header.tenant)
            try await db.query("DELETE FROM \(identifier: slug.schema).application_steps WHERE call_id = \(callID)")
        default:
            return
        }
    }

    /// - Parameter edge: the call's edge when the event names it (a start); else the stored step's.
    private func advance(callID: String, header: EnvelopeHeader, edge known: Int? = nil,
                         _ body: @escaping @Sendable (ApplicationMachine, ApplicationStep?) async throws -> ApplicationMachine.Result) async throws {
        let slug = try TenantSlug(header.tenant)
        let (db, publisher, media, outbox) = (self.db, self.publisher, self.media, self.outbox)
        let voicemail = Voicemail(db: db, publisher: publisher, actor: "phone")
        let sent = try await db.withTransaction { connection -> Int in
            let machine = ApplicationMachine(catalog: TenantCatalog(db: db, connection: connection, publisher: publisher, media: media, slug: slug))
            let rows = try await connection.query("""
                SELECT step::text AS step FROM \(identifier: slug.schema).application_steps WHERE call_id = \(callID) FOR UPDATE
                """)
            let current = try rows.first.map { try EventCoding.decoder.decode(ApplicationStep.self, from: Data((try $0.decode("step", as: String.self)).utf8)) }
            let (next, output) = try await body(machine, current)
            guard next != current || !output.isEmpty else { return 0 }
            if let next {
                let json = String(decoding: try EventCoding.encoder.encode(next), as: UTF8.self)
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).application_steps (call_id, step) VALUES (\(callID), \(json)::jsonb)
                    ON CONFLICT (call_id) DO UPDATE SET step = EXCLUDED.step, updated_at = now()
                    """)
            } else {
                try await connection.query("DELETE FROM \(identifier: slug.schema).application_steps WHERE call_id = \(callID)")
            }
            guard let edge = (next ?? current)?.edge ?? known, let partition = Int32(exactly: edge), partition >= 0 else {
                throw EventError(message: "no edge for call \(callID)")
            }
            for item in output {
                if let command = item.command {
                    try await Self.add(command, tenant: header.tenant, callID: callID, partition: partition, outbox: outbox, on: connection)
                } else if case .voicemail(let change) = item {
                    try await Self.apply(change, callID: callID, slug: slug, voicemail: voicemail, outbox: outbox, on: connection)
                }
            }
            return output.count
        }
        if sent > 0 {
            outbox.committed()
            Counter(label: "switchboard_ivr_commands_total").increment(by: sent)
        }
    }

    /// A change of a box from the phone, in the step's transaction.
    private static func apply(_ change: VoicemailChange, callID: String, slug: TenantSlug, voicemail: Voicemail, outbox: Outbox,
                              on connection: PostgresConnection) async throws {
        switch change {
        case .beginRecording(let id, let purpose, let box, let caller, let reason):
            try await voicemail.beginRecording(id, purpose: purpose, box: box, callID: callID, caller: caller, reason: reason, slug: slug,
                                               on: connection)
        case .move(let id, let folder):
            try await voicemail.move(id, to: folder, slug: slug, on: connection)
        case .delete(let id):
            try await voicemail.delete(id, slug: slug, on: connection)
        case .markUrgent(let recording):
            try await voicemail.markUrgent(recording: recording, slug: slug, on: connection)
        case .changePIN(let box, let pin):
            try await voicemail.changePIN(pin, box: box, slug: slug, on: connection)
        case .removeGreeting(let box, let kind):
            _ = try await voicemail.removeGreeting(kind, box: box, slug: slug, on: connection)
        case .missedCall(let box, let caller, let why):
            try await outbox.add(Envelope(tenant: slug.value, callId: callID,
                                          data: VoicemailMissedCall(box: box, caller: caller, callId: callID, why: why, durationMs: 0)),
                                 key: "\(slug.value)/\(box)", on: connection)
        }
    }

    /// A command for the call's edge, in the step's transaction.
    private static func add<P: EventPayload>(_ payload: P, tenant: String, callID: String, partition: Int32, outbox: Outbox,
                                             on connection: PostgresConnection) async throws {
        try await outbox.add(Envelope(tenant: tenant, callId: callID, data: payload), partition: partition, on: connection)
    }
}

/// The tenant's announcements, menus, prompts, extensions and voicemail boxes, read from its
/// schema; a PIN's failures are counted on the step's own connection.
struct TenantCatalog: ApplicationCatalog {
    let db: PostgresClient
    /// The step's transaction.
    let connection: PostgresConnection
    let publisher: EventPublisher
    let media: MediaStoreClient
    let slug: TenantSlug

    private var configuration: DialplanConfiguration { DialplanConfiguration(db: db, publisher: publisher, actor: "ivr") }

    func announcement(_ name: String) async throws -> AnnouncementView? {
        try await configuration.announcements(tenant: slug.value, only: name).first
    }

    func menu(_ name: String) async throws -> Menu? {
        try await configuration.menus(tenant: slug.value, only: name).first.map(Menu.init)
    }

    func items(_ prompts: [String]) async throws -> [PlayItem] {
        guard !prompts.isEmpty else { return [] }
        let names = Set(prompts).joined(separator: ",")
        // The tenant's own prompt first, then the system's in the tenant's language, then in the other.
        let rows = try await db.query("""
            SELECT name, sha256, 0 AS rank FROM \(identifier: slug.schema).prompts WHERE name = ANY (string_to_array(\(names), ','))
            UNION ALL
            SELECT s.name, s.sha256, CASE WHEN s.language = t.language THEN 1 ELSE 2 END
            FROM platform.system_prompts s JOIN platform.tenants t ON t.slug = \(slug.value)
            WHERE s.name = ANY (string_to_array(\(names), ','))
            ORDER BY rank
            """)
        var found: [String: String] = [:]
        for row in rows {
            let name: String = try row.decode("name")
            if found[name] == nil { found[name] = try row.decode("sha256") }
        }
        return prompts.compactMap { name in found[name].map { PlayItem.prompt(sha256: $0) } }
    }

    func hasExtension(_ ext: String) async throws -> Bool {
        try await !db.query("SELECT 1 AS one FROM \(identifier: slug.schema).users WHERE extension = \(ext)").isEmpty
    }
}

extension TenantCatalog {
    func voicemailBox(_ number: String) async throws -> BoxForCall? {
        guard let row = try await db.query("""
            SELECT b.number, coalesce(u.name, b.group_name) AS owner_name, b.greeting_mode, b.max_seconds, b.min_ms,
                   (SELECT count(*) FROM \(identifier: slug.schema).voicemail_messages m WHERE m.box = b.number) >= b.quota AS full
            FROM \(identifier: slug.schema).voicemail_boxes b LEFT JOIN \(identifier: slug.schema).users u ON u.id = b.user_id
            WHERE b.number = \(number)
            """).first else { return nil }
        let greetings = try await Voicemail.greetings(box: number, slug: slug, on: db).mapValues(\.sha256)
        return BoxForCall(number: number, ownerName: try row.decode("owner_name"),
                          greetingMode: VoicemailBox.GreetingMode(rawValue: try row.decode("greeting_mode")) ?? .byReason,
                          maxSeconds: try row.decode("max_seconds"), minMs: try row.decode("min_ms"), isFull: try row.decode("full"),
                          greetings: greetings)
    }

    func messages(inBox number: String) async throws -> [VoicemailMessage] {
        try await Voicemail.messages(box: number, slug: slug, on: connection)
    }

    func message(_ id: UUID) async throws -> VoicemailMessage? {
        try await connection.query("""
            SELECT \(unsafeSQL: Voicemail.messageColumns) FROM \(identifier: slug.schema).voicemail_messages WHERE id = \(id)
            """).first.map(Voicemail.message)
    }

    func verifyPIN(_ pin: String, box number: String, caller: String) async throws -> PINCheck {
        try await Voicemail.verifyPIN(pin, box: number, slug: slug, caller: caller, on: connection)
    }

    func speech(_ phrase: SpokenPhrase) async throws -> PlayItem? {
        guard let row = try await db.query("SELECT language, time_zone FROM platform.tenants WHERE slug = \(slug.value)").first else { return nil }
        let language = Language(rawValue: try row.decode("language")) ?? .estonian
        let zone = TimeZone(identifier: try row.decode("time_zone")) ?? .gmt
        do {
            let sha = try await media.speech(SpokenPhrases.text(phrase, language: language, timeZone: zone), language: language, tenant: slug)
            return .prompt(sha256: sha)
        } catch {
            // The menu goes on without the spoken part (the fixed prompts still play).
            return nil
        }
    }
}
