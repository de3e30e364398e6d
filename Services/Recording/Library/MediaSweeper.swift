import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Tenancy

/// Once a minute, in every tenant: a recording whose chunks stopped coming without a final one (its
/// edge died mid-message or mid-call) is stored with what arrived; chunks nothing claimed go; call
/// recordings past their retention (and not held) are deleted; and voicemail audio that no message
/// or greeting names any more (deleted, replaced, refused by a full box) leaves the object store.
struct MediaSweeper: Service {
    let db: PostgresClient
    let library: MediaLibrary
    let assembler: AudioAssembler
    let logger: Logger
    static let interval: Duration = .seconds(60)
    /// A recording silent this long is over: the edge sends a chunk a second.
    var abandonedAfter = "2 minutes"
    /// An object this young may belong to a message being stored right now.
    var unusedAfter = "10 minutes"
    /// The topic prefix: the exports this deployment built.
    var deployment = ""

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await sweep()
            } catch {
                logger.warning("voicemail sweep failed; trying again later", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }

    /// One pass over every tenant, or over `only` those; `now` is the retention's clock (a test's
    /// own, to see a deadline pass).
    func sweep(only: [TenantSlug]? = nil, now: Date = Date()) async throws {
        let tenants: [TenantSlug]
        if let only {
            tenants = only
        } else {
            tenants = try await db.query("SELECT slug FROM platform.tenants WHERE status <> 'deleted'").map { try TenantSlug(try $0.decode("slug")) }
        }
        // A platform has many tenants: a shutdown stops between them rather than after the last.
        for slug in tenants where !Task.isShuttingDownGracefully {
            let schema = slug.schema
            for row in try await db.query("""
                SELECT recording_id FROM \(identifier: schema).audio_chunks GROUP BY recording_id
                HAVING NOT bool_or(final) AND max(received_at) < now() - \(abandonedAfter)::interval
                """) {
                try await assembler.finish(try row.decode("recording_id"), slug: slug)
            }
            // Chunks that nothing ever claimed (a recording's purpose never came) are not kept.
            try await db.query("""
                DELETE FROM \(identifier: schema).audio_chunks c WHERE received_at < now() - \(unusedAfter)::interval
                  AND NOT EXISTS (SELECT 1 FROM \(identifier: schema).voicemail_recordings v WHERE v.recording_id = c.recording_id)
                  AND NOT EXISTS (SELECT 1 FROM \(identifier: schema).call_recordings r WHERE r.id = c.recording_id)
                """)
            try await expire(slug, now: now)
            // Exports past their time: the archive goes (the row stays, as expired).
            for sha in try await MediaExports(db: db, deployment: deployment).expire(tenant: slug, now: now) {
                try await db.query("DELETE FROM \(identifier: schema).media_objects WHERE sha256 = \(sha) AND kind = 'export'")
                if let key = ObjectKey(owner: slug.value, sha256: sha) { try await library.store.delete(key) }
            }
            for row in try await db.query("""
                DELETE FROM \(identifier: schema).media_objects o WHERE kind = 'voicemail' AND created_at < now() - \(unusedAfter)::interval
                  AND NOT EXISTS (SELECT 1 FROM \(identifier: schema).voicemail_messages m WHERE m.sha256 = o.sha256)
                  AND NOT EXISTS (SELECT 1 FROM \(identifier: schema).voicemail_greetings g WHERE g.sha256 = o.sha256)
                RETURNING sha256
                """) {
                if let key = ObjectKey(owner: slug.value, sha256: try row.decode("sha256")) { try await library.store.delete(key) }
            }
        }
    }

    /// Call recordings past their deadline and not on legal hold go: the row, then the object
    /// (a crash between leaves an object nothing names, which the next pass removes), each in the
    /// audit log.
    private func expire(_ slug: TenantSlug, now: Date) async throws {
        let schema = slug.schema
        let expired = try await db.withTransaction { connection in
            let rows = try await connection.query("""
                DELETE FROM \(identifier: schema).call_recordings WHERE delete_after <= \(now) AND NOT legal_hold AND status <> 'recording'
                RETURNING id, sha256
                """)
            for row in rows {
                try await connection.query("""
                    INSERT INTO \(identifier: schema).audit_log (actor, action, subject) VALUES ('retention', 'recording.expired', \(try row.decode("id", as: String.self)))
                    """)
            }
            return rows.count
        }
        for row in try await db.query("""
            DELETE FROM \(identifier: schema).media_objects o WHERE kind = 'recording'
              AND NOT EXISTS (SELECT 1 FROM \(identifier: schema).call_recordings r WHERE r.sha256 = o.sha256)
            RETURNING sha256
            """) {
            if let key = ObjectKey(owner: slug.value, sha256: try row.decode("sha256")) { try await library.store.delete(key) }
        }
        if expired > 0 { logger.info("expired call recordings deleted", metadata: ["tenant": "\(slug)", "count": "\(expired)"]) }
    }
}
