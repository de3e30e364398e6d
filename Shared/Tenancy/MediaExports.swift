import Foundation
import Postgres

/// An archive of a tenant's media (DESIGN §7): call recordings (all, or those a filter picks) and
/// voicemail messages, as WAV files with an index in CSV and JSON.
package struct MediaExport: Codable, Sendable, Equatable {
    package enum Reason: String, Codable, Sendable, Hashable {
        /// Asked for by an admin.
        case request
        /// Made when the contract ended, for the export window.
        case contractEnd = "contract-end"
    }

    package enum Status: String, Codable, Sendable, Hashable {
        case pending, building, ready, failed, expired
    }

    package var id: UUID
    package var reason: Reason
    package var requestedBy: String
    package var filter: CallRecordingFilter
    package var voicemail: Bool
    package var status: Status
    /// How many files the archive holds, once ready.
    package var items: Int?
    package var sizeBytes: Int?
    package var error: String?
    package var createdAt: Date
    package var readyAt: Date?
    /// Downloadable until then; the archive is deleted after.
    package var expiresAt: Date?
    package var sha256: String?

    /// The id in lower case, as paths, links and the audit log carry it.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(reason, forKey: .reason)
        try container.encode(requestedBy, forKey: .requestedBy)
        try container.encode(filter, forKey: .filter)
        try container.encode(voicemail, forKey: .voicemail)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(items, forKey: .items)
        try container.encodeIfPresent(sizeBytes, forKey: .sizeBytes)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(readyAt, forKey: .readyAt)
        try container.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try container.encodeIfPresent(sha256, forKey: .sha256)
    }

    /// Ready and not past its time (the sweeper marks it expired within a minute; this does not wait).
    package func isDownloadable(now: Date = Date()) -> Bool {
        status == .ready && sha256 != nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// The exports of a tenant: asked for here (API, contract end), built by `recording`.
package struct MediaExports: Sendable {
    let db: PostgresClient
    /// The deployment (topic prefix) whose recording builds the jobs asked for here.
    let deployment: String

    package init(db: PostgresClient, deployment: String) {
        self.db = db
        self.deployment = deployment
    }

    /// How long an archive someone asked for stays downloadable.
    package static let requestedLifetime: TimeInterval = 7 * 86_400
    /// A job claimed this long ago and not done was dropped by a replica that stopped: it is built again.
    package static let claimLifetime = "15 minutes"

    /// Asks for an export; `recording` builds it soon. The request is in the audit log.
    package func request(tenant rawSlug: String, filter: CallRecordingFilter, voicemail: Bool, by actor: String, from address: String?) async throws
        -> MediaExport
    {
        let slug = try TenantSlug(rawSlug)
        let filterJSON = String(decoding: try JSONEncoder.iso8601.encode(filter), as: UTF8.self)
        let id = try await db.withTransaction { connection in
            let row = try await connection.query("""
                INSERT INTO platform.media_exports (deployment, tenant, reason, requested_by, filter, voicemail)
                VALUES (\(deployment), \(slug.value), 'request', \(actor), \(filterJSON)::jsonb, \(voicemail)) RETURNING id
                """)
            let id: UUID = try row[0].decode("id")
            try await AuditLog.write(connection, slug, actor: actor, action: "export.request", subject: id.uuidString.lowercased(), from: address)
            return id
        }
        return try await export(tenant: rawSlug, id: id)
    }

    /// The contract-end export of everything, downloadable until the export window closes; once
    /// per tenant (a termination seen again changes nothing).
    package func requestContractEnd(tenant slug: TenantSlug) async throws {
        let everything = String(decoding: try JSONEncoder.iso8601.encode(CallRecordingFilter()), as: UTF8.self)
        try await db.query("""
            INSERT INTO platform.media_exports (deployment, tenant, reason, requested_by, filter, voicemail)
            SELECT \(deployment), \(slug.value), 'contract-end', 'contract-end', \(everything)::jsonb, true FROM platform.tenants WHERE slug = \(slug.value)
            ON CONFLICT (tenant) WHERE reason = 'contract-end' DO NOTHING
            """)
    }

    /// Newest first, `limit` after `cursor` (a page's last export's time and id).
    package func list(tenant rawSlug: String, after cursor: PageCursor? = nil, limit: Int = 100) async throws -> [MediaExport] {
        let slug = try TenantSlug(rawSlug)
        let afterID = cursor.flatMap { UUID(uuidString: $0.id) }
        return try await db.query("""
            SELECT \(unsafeSQL: Self.columns) FROM platform.media_exports WHERE tenant = \(slug.value)
              AND (\(afterID)::uuid IS NULL OR (date_trunc('milliseconds', created_at), id) < (\(cursor?.at)::timestamptz, \(afterID)::uuid))
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """).map(Self.export)
    }

    /// - Throws: `.notFound` for one that is not the tenant's.
    package func export(tenant rawSlug: String, id: UUID) async throws -> MediaExport {
        let slug = try TenantSlug(rawSlug)
        guard let row = try await db.query("""
            SELECT \(unsafeSQL: Self.columns) FROM platform.media_exports WHERE tenant = \(slug.value) AND id = \(id)
            """).first else { throw TenancyError.notFound("no export \(id.uuidString.lowercased())") }
        return try Self.export(row)
    }

    /// Audits a download of the archive.
    package func downloaded(tenant rawSlug: String, id: UUID, by actor: String, from address: String?) async throws {
        try await AuditLog.write(db, try TenantSlug(rawSlug), actor: actor, action: "export.download", subject: id.uuidString.lowercased(), from: address)
    }

    // MARK: For recording

    /// The deployment's oldest job nobody is building (or whose builder stopped), claimed for this caller.
    package func claim() async throws -> (tenant: TenantSlug, export: MediaExport)? {
        try await db.withTransaction { connection in
            guard let row = try await connection.query("""
                SELECT id FROM platform.media_exports
                WHERE deployment = \(deployment)
                  AND (status = 'pending' OR (status = 'building' AND claimed_at < now() - \(Self.claimLifetime)::interval))
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
                """).first else { return nil }
            let claimed = try await connection.query("""
                UPDATE platform.media_exports SET status = 'building', claimed_at = now() WHERE id = \(try row.decode("id", as: UUID.self))
                RETURNING tenant, \(unsafeSQL: Self.columns)
                """)
            return (try TenantSlug(try claimed[0].decode("tenant")), try Self.export(claimed[0]))
        }
    }

    /// The archive is stored: downloadable until `expires`.
    package func complete(_ id: UUID, sha256: String, size: Int, items: Int, expires: Date) async throws {
        try await db.query("""
            UPDATE platform.media_exports SET status = 'ready', sha256 = \(sha256), size = \(size), items = \(items), ready_at = now(),
                expires_at = \(expires) WHERE id = \(id)
            """)
    }

    package func fail(_ id: UUID, error: String) async throws {
        try await db.query("UPDATE platform.media_exports SET status = 'failed', error = \(String(error.prefix(500))) WHERE id = \(id)")
    }

    /// The tenant's ready exports past their time, marked expired: their archives' hashes, for the
    /// store to delete.
    /// An archive another ready export shares (the same bytes, so the same object) is kept.
    package func expire(tenant slug: TenantSlug, now: Date) async throws -> [String] {
        try await db.query("""
            WITH expired AS (
                UPDATE platform.media_exports SET status = 'expired'
                WHERE deployment = \(deployment) AND tenant = \(slug.value) AND status = 'ready' AND expires_at <= \(now)
                RETURNING sha256)
            SELECT DISTINCT sha256 FROM expired e WHERE NOT EXISTS (
                SELECT 1 FROM platform.media_exports m WHERE m.tenant = \(slug.value) AND m.sha256 = e.sha256 AND m.status = 'ready'
                  AND m.expires_at > \(now))
            """).map { try $0.decode("sha256") }
    }

    private static let columns = """
        id, reason, requested_by, filter::text AS filter, voicemail, status, items, size, error, created_at, ready_at, expires_at, sha256
        """

    private static func export(_ row: PostgresRow) throws -> MediaExport {
        let filter = try JSONDecoder.iso8601.decode(CallRecordingFilter.self, from: Data(try row.decode("filter", as: String.self).utf8))
        return MediaExport(
            id: try row.decode("id"), reason: MediaExport.Reason(rawValue: try row.decode("reason")) ?? .request,
            requestedBy: try row.decode("requested_by"), filter: filter, voicemail: try row.decode("voicemail"),
            status: MediaExport.Status(rawValue: try row.decode("status")) ?? .pending, items: try row.decode("items"),
            sizeBytes: try row.decode("size"), error: try row.decode("error"), createdAt: try row.decode("created_at"),
            readyAt: try row.decode("ready_at"), expiresAt: try row.decode("expires_at"), sha256: try row.decode("sha256"))
    }
}

extension JSONEncoder {
    static var iso8601: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
