import Events
import Foundation
import Logging
import Messaging
import Postgres
import Pricing

/// Contract end (DESIGN §7): terminating a tenant starts its notice period (service goes on, its
/// subscriptions end on the last day), then a data-export window (service stopped, data exportable),
/// then deletion: the tenant schema is dropped, its numbers released and its tokens revoked. Each
/// step is a `tenant.status-changed` event on `tenant.lifecycle`; the recording service deletes the
/// tenant's media on `deleted`. Issued invoices stay in `platform.invoices`.
package struct TenantLifecycle: Sendable {
    let db: PostgresClient
    let publisher: EventPublisher
    let logger: Logger

    package init(db: PostgresClient, publisher: EventPublisher, logger: Logger) {
        self.db = db
        self.publisher = publisher
        self.logger = logger
    }

    /// Where the events that must follow a change go, in the change's transaction.
    var outbox: Outbox { Outbox(db: db, publisher: publisher) }

    /// Gives notice: service up to and including `today + noticeDays`, then `exportDays` in which
    /// the data can be exported. - Throws: `.notFound`, `.conflict` when already terminating.
    @discardableResult
    package func terminate(tenant rawSlug: String, today: Day, noticeDays: Int, exportDays: Int, actor: String) async throws -> Tenant {
        let slug = try TenantSlug(rawSlug)
        guard (0...3_650).contains(noticeDays), (0...3_650).contains(exportDays) else {
            throw TenancyError.invalid("noticeDays and exportDays must be 0–3650")
        }
        let lastDay = today.adding(days: noticeDays)
        let exportEnds = lastDay.adding(days: exportDays)
        _ = try await db.withTransaction { connection -> TenantStatus in
            let rows = try await connection.query("SELECT status FROM platform.tenants WHERE slug = \(slug.value) FOR UPDATE")
            guard let row = rows.first else { throw TenancyError.notFound("no tenant \(slug)") }
            let status: TenantStatus = try row.decode("status")
            guard status.isOpen else { throw TenancyError.conflict("tenant \(slug) is already \(status)") }
            try await connection.query("""
                UPDATE platform.tenants SET status = 'terminating', contract_end = \(lastDay.description)::date,
                    notice_ends = \(lastDay.description)::date, export_ends = \(exportEnds.description)::date, updated_at = now()
                WHERE slug = \(slug.value)
                """)
            // The last invoice charges up to the last day of service.
            try await connection.query("""
                UPDATE \(identifier: slug.schema).subscriptions SET ends = \(lastDay.description)::date
                WHERE ends IS NULL OR ends > \(lastDay.description)::date
                """)
            try await connection.query("""
                INSERT INTO \(identifier: slug.schema).audit_log (actor, action, subject) VALUES (\(actor), 'tenant.terminate', \(lastDay.description))
                """)
            try await outbox.add(Envelope(tenant: slug.value, data: TenantStatusChanged(
                slug: slug.value, status: .terminating, previousStatus: status, noticeEnds: lastDay.description,
                exportEnds: exportEnds.description)), on: connection)
            try await outbox.configChanged(slug, entity: "subscription", key: "*", action: "updated", on: connection)
            return status
        }
        outbox.committed()
        return try await Provisioning(db: db, publisher: publisher, logger: logger).tenant(slug.value)
    }

    /// Moves every tenant whose period has passed on one step: terminating → terminated after the
    /// notice, terminated → deleted after the export window (all tenants, or `only` one). Idempotent; run it often.
    /// - Returns: the tenants moved and their new status.
    @discardableResult
    package func advance(today: Day, only tenant: String? = nil) async throws -> [(tenant: String, status: TenantStatus)] {
        var moved: [(String, TenantStatus)] = []
        let ended = try await db.query("""
            SELECT slug, to_char(notice_ends, 'YYYY-MM-DD') AS notice_ends, to_char(export_ends, 'YYYY-MM-DD') AS export_ends
            FROM platform.tenants WHERE status = 'terminating' AND notice_ends < \(today.description)::date
              AND (\(tenant)::text IS NULL OR slug = \(tenant))
            """)
        for row in ended {
            let slug: String = try row.decode("slug")
            let event = TenantStatusChanged(slug: slug, status: .terminated, previousStatus: .terminating,
                                            noticeEnds: try row.decode("notice_ends"), exportEnds: try row.decode("export_ends"))
            let changed = try await db.withTransaction { connection -> Bool in
                let rows = try await connection.query("""
                    UPDATE platform.tenants SET status = 'terminated', updated_at = now() WHERE slug = \(slug) AND status = 'terminating' RETURNING slug
                    """)
                if !rows.isEmpty { try await outbox.add(Envelope(tenant: slug, data: event), on: connection) }
                return !rows.isEmpty
            }
            guard changed else { continue }
            outbox.committed()
            moved.append((slug, .terminated))
        }
        let expired = try await db.query("""
            SELECT slug FROM platform.tenants WHERE status = 'terminated' AND export_ends < \(today.description)::date
              AND (\(tenant)::text IS NULL OR slug = \(tenant))
            """)
        for row in expired {
            let slug = try TenantSlug(try row.decode("slug", as: String.self))
            try await delete(slug)
            moved.append((slug.value, .deleted))
        }
        return moved
    }

    /// The last step of contract end, now: schema dropped, numbers released, tokens revoked, the
    /// SIP domain freed; the row stays for the invoices. (Tests also clean up with it.)
    package func delete(_ slug: TenantSlug) async throws {
        try await db.withTransaction { connection in
            // Under the migration lock: a migration run that listed this tenant before the drop would
            // otherwise create its schema again.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))")
            try await connection.query("DROP SCHEMA IF EXISTS \(identifier: slug.schema) CASCADE")
            // Its media objects can no longer be read by anyone (encryption at rest, DESIGN §7).
            try await connection.query("DELETE FROM platform.data_keys WHERE owner = \(slug.value)")
            try await connection.query("DELETE FROM platform.numbers WHERE tenant = \(slug.value)")
            try await connection.query("UPDATE platform.api_tokens SET revoked_at = now() WHERE tenant = \(slug.value) AND revoked_at IS NULL")
            try await connection.query("DELETE FROM platform.edge_calls WHERE tenant = \(slug.value)")
            // The row stays (invoices refer to it); its SIP domain is freed for someone else.
            try await connection.query("""
                UPDATE platform.tenants SET status = 'deleted', sip_domain = slug || '.deleted.invalid', updated_at = now() WHERE slug = \(slug.value)
                """)
            try await outbox.add(Envelope(tenant: slug.value, data: TenantStatusChanged(slug: slug.value, status: .deleted,
                                                                                       previousStatus: .terminated)), on: connection)
        }
        outbox.committed()
        logger.notice("tenant deleted at contract end", metadata: ["tenant": "\(slug)"])
    }

    /// Everything of the tenant a customer takes away: configuration, call history, invoices and
    /// what its media is (prompts, voicemail, recordings; the audio is in the media export), as one
    /// JSON document (built by PostgreSQL, passed through as text). Available until deletion.
    package func export(tenant rawSlug: String) async throws -> String {
        let slug = try TenantSlug(rawSlug)
        // Credentials never leave: devices (HA1), password hashes and voicemail PINs are not exported.
        let tables: [(name: String, columns: String, order: String)] = [
            ("users", "id, extension, name, email, mobile, role, caller_id, default_class, created_at", "extension"),
            ("numbers", "*", "e164"), ("groups", "*", "name"), ("group_members", "*", "group_name, position"),
            ("schedules", "*", "name"), ("schedule_periods", "*", "schedule_name, weekday, opens"),
            ("schedule_exceptions", "*", "schedule_name, day"), ("forwarding", "*", "user_id, condition"),
            ("subscriptions", "*", "starts, id"), ("calls", "*", "started_at, call_id"), ("audit_log", "*", "id"),
            // What the media is: the audio itself is in the media export (ZIP), never in this document.
            ("prompts", "*", "name"), ("voicemail_boxes", "number, user_id, group_name, greeting_mode, max_seconds, min_ms, quota, email_notify, email, created_at", "number"),
            ("voicemail_greetings", "*", "box, kind"), ("voicemail_messages", "*", "received_at, id"),
            ("call_recordings", "*", "started_at, id"),
        ]
        var parts: [String] = []
        for table in tables {
            let rows = try await db.query("""
                SELECT coalesce(json_agg(row_to_json(x))::text, '[]') AS rows FROM
                (SELECT \(unsafeSQL: table.columns) FROM \(identifier: slug.schema).\(identifier: try SQLIdentifier(table.name))
                 ORDER BY \(unsafeSQL: table.order)) x
                """)
            parts.append("\"\(table.name)\":" + (try rows[0].decode("rows", as: String.self)))
        }
        let invoices = try await db.query("""
            SELECT coalesce(json_agg(document ORDER BY number)::text, '[]') AS rows FROM platform.invoices WHERE tenant = \(slug.value)
            """)
        parts.append("\"invoices\":" + (try invoices[0].decode("rows", as: String.self)))
        return "{\"tenant\":\"\(slug.value)\"," + parts.joined(separator: ",") + "}"
    }
}
