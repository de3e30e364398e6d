import Events
import Foundation
import Postgres

/// A call recording as the API shows it (DESIGN §7).
package struct CallRecordingInfo: Codable, Sendable, Equatable {
    package enum Status: String, Codable, Sendable, Hashable, CaseIterable {
        /// The call is still being recorded, or its audio is on its way to the store.
        case recording
        /// Stored whole.
        case complete
        /// Stored with what arrived: chunks were lost, or the edge stopped without a final one.
        case incomplete
    }

    package var id: String
    package var callId: String
    /// The tenant's number that made it recorded.
    package var number: String
    package var direction: CallDirection
    /// The user whose call it is, when there is one.
    package var user: String?
    package var caller: String
    package var callee: String
    /// Whether the parties heard the notice before capture started.
    package var notice: Bool
    package var startedAt: Date
    package var status: Status
    package var durationMs: Int?
    package var sizeBytes: Int?
    package var retentionDays: Int
    /// When the retention sweeper deletes it, unless it is on legal hold.
    package var deleteAfter: Date
    package var legalHold: Bool
    /// The stored Ogg Opus object, once stored.
    package var sha256: String?
}

/// Which recordings a listing returns: every condition given must hold.
/// Where a page of a list that comes newest first ended: its last item's time and id, so that the
/// next page goes on even when that item is deleted meanwhile.
package struct PageCursor: Codable, Sendable, Equatable {
    package var at: Date
    package var id: String

    package init(at: Date, id: String) {
        self.at = at
        self.id = id
    }

    /// `<Unix milliseconds>~<id>`, as a page's `next` says it: the time cut to the millisecond, as
    /// the queries cut theirs (`date_trunc`), so the page's last item is not seen again.
    package init?(_ text: String) {
        guard let separator = text.firstIndex(of: "~"), let millis = Int64(text[..<separator]) else { return nil }
        at = Date(timeIntervalSince1970: Double(millis) / 1_000)
        id = String(text[text.index(after: separator)...])
    }

    package var text: String { "\(Int64((at.timeIntervalSince1970 * 1_000).rounded(.down)))~\(id)" }
}

package struct CallRecordingFilter: Codable, Sendable, Equatable {
    package var number: String?
    package var user: String?
    package var direction: CallDirection?
    /// Started at or after.
    package var from: Date?
    /// Started before.
    package var to: Date?
    package var minSeconds: Int?
    package var maxSeconds: Int?
    /// Where the previous page ended (they come newest first): its last recording's start and id,
    /// so that a page goes on even when that recording is deleted meanwhile.
    package var after: PageCursor?

    package var limit: Int

    package init(number: String? = nil, user: String? = nil, direction: CallDirection? = nil, from: Date? = nil, to: Date? = nil,
                 minSeconds: Int? = nil, maxSeconds: Int? = nil, after: PageCursor? = nil, limit: Int = 100) {
        self.after = after
        self.number = number
        self.user = user
        self.direction = direction
        self.from = from
        self.to = to
        self.minSeconds = minSeconds
        self.maxSeconds = maxSeconds
        self.limit = min(max(limit, 1), 1000)
    }
}

/// The tenant's call recordings for the control plane: search, legal holds, deletion, and the
/// audit of every access. `visibleTo` is a user's extension (a user sees their own recordings
/// when their policy lets them, nothing else); nil for admins and operators, who see all.
package struct CallRecordingArchive: Sendable {
    let db: PostgresClient
    /// How the audit log names the caller.
    let actor: String
    /// The caller's address, for the audit log.
    let address: String?

    package init(db: PostgresClient, actor: String, address: String?) {
        self.db = db
        self.actor = actor
        self.address = address
    }

    /// A constant of this file, never input.
    private static let columns = """
        id, call_id, number, direction, user_extension, caller, callee, notice, started_at, status, duration_ms, size,
        retention_days, delete_after, legal_hold, sha256
        """

    package func list(tenant rawSlug: String, _ filter: CallRecordingFilter, visibleTo user: String?) async throws -> [CallRecordingInfo] {
        let slug = try TenantSlug(rawSlug)
        let schema = slug.schema
        let rows = try await query(slug, """
            SELECT \(unsafeSQL: Self.columns) FROM \(identifier: schema).call_recordings r
            WHERE (\(user)::text IS NULL OR (r.user_extension = \(user)::text
                   AND (SELECT recordings_visible FROM \(identifier: schema).users WHERE extension = \(user)::text)))
              AND (\(filter.number)::text IS NULL OR r.number = \(filter.number)::text)
              AND (\(filter.user)::text IS NULL OR r.user_extension = \(filter.user)::text)
              AND (\(filter.direction?.rawValue)::text IS NULL OR r.direction = \(filter.direction?.rawValue)::text)
              AND (\(filter.from)::timestamptz IS NULL OR r.started_at >= \(filter.from)::timestamptz)
              AND (\(filter.to)::timestamptz IS NULL OR r.started_at < \(filter.to)::timestamptz)
              AND (\(filter.minSeconds)::int IS NULL OR r.duration_ms >= \(filter.minSeconds)::int * 1000)
              AND (\(filter.maxSeconds)::int IS NULL OR r.duration_ms <= \(filter.maxSeconds)::int * 1000)
              AND (\(filter.after?.id)::text IS NULL
                   OR (date_trunc('milliseconds', r.started_at), r.id) < (\(filter.after?.at)::timestamptz, \(filter.after?.id)::text))
            ORDER BY date_trunc('milliseconds', r.started_at) DESC, r.id DESC LIMIT \(filter.limit)
            """)
        return try rows.map(Self.recording)
    }

    /// - Throws: `.notFound` for one that does not exist or the user may not see.
    package func recording(tenant rawSlug: String, id: String, visibleTo user: String?) async throws -> CallRecordingInfo {
        let slug = try TenantSlug(rawSlug)
        let schema = slug.schema
        guard let row = try await query(slug, """
            SELECT \(unsafeSQL: Self.columns) FROM \(identifier: schema).call_recordings r
            WHERE r.id = \(id) AND (\(user)::text IS NULL OR (r.user_extension = \(user)::text
                   AND (SELECT recordings_visible FROM \(identifier: schema).users WHERE extension = \(user)::text)))
            """).first else { throw TenancyError.notFound("no recording \(id)") }
        return try Self.recording(row)
    }

    /// Audits a listen or a download of the recording's audio.
    package func accessed(tenant rawSlug: String, id: String, download: Bool) async throws {
        let slug = try TenantSlug(rawSlug)
        try await AuditLog.write(db, slug, actor: actor, action: download ? "recording.download" : "recording.listen", subject: id, from: address)
    }

    /// Puts the recording on legal hold (kept past its deadline) or releases it (the sweeper then
    /// deletes it once its deadline has passed).
    package func setHold(_ held: Bool, tenant rawSlug: String, id: String) async throws -> CallRecordingInfo {
        let slug = try TenantSlug(rawSlug)
        let (actor, address) = (self.actor, self.address)
        try await db.withTransaction { connection in
            guard try await !connection.query("""
                UPDATE \(identifier: slug.schema).call_recordings SET legal_hold = \(held) WHERE id = \(id) RETURNING id
                """).isEmpty else { throw TenancyError.notFound("no recording \(id)") }
            try await AuditLog.write(connection, slug, actor: actor, action: held ? "recording.hold" : "recording.release", subject: id, from: address)
        }
        return try await recording(tenant: rawSlug, id: id, visibleTo: nil)
    }

    /// Deletes the recording's metadata now; its object leaves the store at the sweeper's next
    /// pass. - Throws: `.conflict` while it is on legal hold or still being recorded.
    package func delete(tenant rawSlug: String, id: String) async throws {
        let slug = try TenantSlug(rawSlug)
        let current = try await recording(tenant: rawSlug, id: id, visibleTo: nil)
        guard !current.legalHold else { throw TenancyError.conflict("recording \(id) is on legal hold: release it first") }
        guard current.status != .recording else { throw TenancyError.conflict("recording \(id) is still being recorded") }
        let (actor, address) = (self.actor, self.address)
        try await db.withTransaction { connection in
            // Held or swept meanwhile: nothing is deleted, and nothing is audited as deleted.
            guard try await !connection.query("""
                DELETE FROM \(identifier: slug.schema).call_recordings WHERE id = \(id) AND NOT legal_hold AND status <> 'recording' RETURNING id
                """).isEmpty else { throw TenancyError.conflict("recording \(id) changed meanwhile (held, or deleted): look again") }
            try await AuditLog.write(connection, slug, actor: actor, action: "recording.delete", subject: id, from: address)
        }
    }

    private func query(_ slug: TenantSlug, _ query: PostgresQuery) async throws -> [PostgresRow] {
        do {
            return try await db.query(query)
        } catch let error as PostgresError where error.sqlState == "3F000" {
            throw TenancyError.notFound("no tenant \(slug)")
        }
    }

    private static func recording(_ row: PostgresRow) throws -> CallRecordingInfo {
        CallRecordingInfo(
            id: try row.decode("id"), callId: try row.decode("call_id"), number: try row.decode("number"),
            direction: CallDirection(rawValue: try row.decode("direction")) ?? .inbound, user: try row.decode("user_extension"),
            caller: try row.decode("caller"), callee: try row.decode("callee"), notice: try row.decode("notice"),
            startedAt: try row.decode("started_at"), status: CallRecordingInfo.Status(rawValue: try row.decode("status")) ?? .recording,
            durationMs: try row.decode("duration_ms"), sizeBytes: try row.decode("size"), retentionDays: try row.decode("retention_days"),
            deleteAfter: try row.decode("delete_after"), legalHold: try row.decode("legal_hold"), sha256: try row.decode("sha256"))
    }
}
