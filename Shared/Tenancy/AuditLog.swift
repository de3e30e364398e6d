import Foundation
import Postgres

/// The tenant's audit log (DESIGN §7, §8): who did what to what, when, and from where (the
/// caller's address, when the change came through the API).
package enum AuditLog {
    package struct Entry: Codable, Sendable, Equatable {
        package var id: Int
        package var at: Date
        package var actor: String
        package var action: String
        package var subject: String
        /// The caller's IP address, when known.
        package var from: String?
    }

    /// What to read: actions starting with `action` ("recording." for all of recordings'), after
    /// the entry `after` (for the next page), at most `limit`.
    package struct Filter: Sendable {
        package var action: String?
        package var subject: String?
        package var after: Int?
        package var limit: Int

        package init(action: String? = nil, subject: String? = nil, after: Int? = nil, limit: Int = 100) {
            self.action = action
            self.subject = subject
            self.after = after
            self.limit = min(max(limit, 1), 500)
        }
    }

    package static func write(_ connection: some PostgresQuerying, _ slug: TenantSlug, actor: String, action: String, subject: String,
                              from address: String? = nil) async throws {
        try await connection.query("""
            INSERT INTO \(identifier: slug.schema).audit_log (actor, action, subject, detail)
            VALUES (\(actor), \(action), \(subject), CASE WHEN \(address)::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('from', \(address)::text) END)
            """)
    }

    /// Oldest first.
    package static func entries(tenant rawSlug: String, _ filter: Filter, db: PostgresClient) async throws -> [Entry] {
        let slug = try TenantSlug(rawSlug)
        let rows: [PostgresRow]
        do {
            rows = try await db.query("""
                SELECT id, at, actor, action, subject, detail ->> 'from' AS source FROM \(identifier: slug.schema).audit_log
                WHERE (\(filter.action)::text IS NULL OR starts_with(action, \(filter.action)::text))
                  AND (\(filter.subject)::text IS NULL OR subject = \(filter.subject)::text)
                  AND id > \(filter.after ?? 0)
                ORDER BY id LIMIT \(filter.limit)
                """)
        } catch let error as PostgresError where error.sqlState == "3F000" {
            throw TenancyError.notFound("no tenant \(slug)")
        }
        return try rows.map { row in
            Entry(id: try row.decode("id"), at: try row.decode("at"), actor: try row.decode("actor"), action: try row.decode("action"),
                  subject: try row.decode("subject"), from: try row.decode("source"))
        }
    }
}
