import Events
import Foundation
import Kafka
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
        let machine = ApplicationMachine(catalog: TenantCatalog(db: db, publisher: publisher, slug: slug))
        let outbox = self.outbox
        let sent = try await db.withTransaction { connection -> Int in
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
            for command in output {
                try await Self.add(command.payload, tenant: header.tenant, callID: callID, partition: partition, outbox: outbox, on: connection)
            }
            return output.count
        }
        if sent > 0 {
            outbox.committed()
            Counter(label: "switchboard_ivr_commands_total").increment(by: sent)
        }
    }

    /// A command for the call's edge, in the step's transaction.
    private static func add<P: EventPayload>(_ payload: P, tenant: String, callID: String, partition: Int32, outbox: Outbox,
                                             on connection: PostgresConnection) async throws {
        try await outbox.add(Envelope(tenant: tenant, callId: callID, data: payload), partition: partition, on: connection)
    }
}

/// The tenant's announcements, menus, prompts and extensions, read from its schema.
struct TenantCatalog: ApplicationCatalog {
    let db: PostgresClient
    let publisher: EventPublisher
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
