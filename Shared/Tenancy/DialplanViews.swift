import Foundation
import Postgres

/// A hunt group as the console and API show it.
package struct GroupView: Sendable, Codable, Equatable {
    package struct Member: Sendable, Codable, Equatable {
        /// An extension or an E.164 number (a mobile, through the trunk).
        package var member: String
        package var ringSeconds: Int?
        package var loggedIn: Bool
    }
    package var name: String
    package var strategy: String
    package var memberSeconds: Int
    package var totalSeconds: Int
    package var overflow: String
    package var members: [Member]
}

/// Working hours: weekly periods, exception days, and where calls go when open and when closed.
package struct ScheduleView: Sendable, Codable, Equatable {
    package struct Period: Sendable, Codable, Equatable {
        /// ISO weekday, 1 = Monday.
        package var day: Int
        package var opens: String
        package var closes: String
    }
    package struct Exception: Sendable, Codable, Equatable {
        package var day: String
        /// nil: closed all day.
        package var opens: String?
        package var closes: String?
        package var label: String?
    }
    package var name: String
    package var open: String
    package var closed: String
    package var periods: [Period]
    package var exceptions: [Exception]
}

/// One forwarding rule of a user.
package struct ForwardingRule: Sendable, Codable, Equatable {
    /// always, busy, no-answer or unregistered.
    package var when: String
    package var to: String
    package var noAnswerSeconds: Int?
}

/// How a user's outbound calls present themselves, and their default class.
package struct OutboundIdentitySetting: Sendable, Codable, Equatable {
    /// main, own or anonymous.
    package var callerId: String
    /// business or private.
    package var defaultClass: String
}

/// The tenant's caps; nil: no cap.
package struct TenantLimits: Sendable, Codable, Equatable {
    package var concurrentCalls: Int?
    package var internationalCalls: Int?
}

/// Reads of the dialplan configuration, in the shapes the API returns.
extension DialplanConfiguration {
    static func destination(kind: String, ref: String?) -> String { Destination(kind: kind, ref: ref).description }

    /// Groups by name, `limit` of them after `after`, with their members in order.
    package func groups(tenant: String, after: String? = nil, limit: Int = 100_000, only name: String? = nil) async throws -> [GroupView] {
        let slug = try TenantSlug(tenant)
        let rows = try await db.query("""
            SELECT g.name, g.strategy, g.member_seconds, g.total_seconds, g.overflow_kind, g.overflow_ref,
                   m.member, m.ring_seconds, m.logged_in
            FROM (SELECT * FROM \(identifier: slug.schema).groups WHERE name > \(after ?? "") AND (\(name)::text IS NULL OR name = \(name))
                  ORDER BY name LIMIT \(limit)) g
            LEFT JOIN \(identifier: slug.schema).group_members m ON m.group_name = g.name
            ORDER BY g.name, m.position
            """)
        var groups: [GroupView] = []
        for row in rows {
            let name: String = try row.decode("name")
            if groups.last?.name != name {
                groups.append(GroupView(name: name, strategy: try row.decode("strategy"), memberSeconds: try row.decode("member_seconds"),
                                        totalSeconds: try row.decode("total_seconds"),
                                        overflow: Self.destination(kind: try row.decode("overflow_kind"), ref: try row.decode("overflow_ref")),
                                        members: []))
            }
            if let member: String = try row.decode("member") {
                groups[groups.count - 1].members.append(GroupView.Member(member: member, ringSeconds: try row.decode("ring_seconds"),
                                                                         loggedIn: try row.decode("logged_in")))
            }
        }
        return groups
    }

    /// - Throws: `.notFound`.
    package func group(tenant: String, name: String) async throws -> GroupView {
        guard let group = try await groups(tenant: tenant, only: name).first else { throw TenancyError.notFound("no group \(name)") }
        return group
    }

    /// Deletes a group; numbers and rules that pointed to it go nowhere until changed.
    package func deleteGroup(tenant: String, name: String) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "group", key: name, action: "deleted") { connection in
            let rows = try await connection.query("DELETE FROM \(identifier: slug.schema).groups WHERE name = \(name) RETURNING name")
            guard !rows.isEmpty else { throw TenancyError.notFound("no group \(name)") }
        }
    }

    /// Schedules by name, `limit` of them after `after`, with their periods and exceptions.
    package func schedules(tenant: String, after: String? = nil, limit: Int = 100_000, only name: String? = nil) async throws -> [ScheduleView] {
        let slug = try TenantSlug(tenant)
        let schedules = try await db.query("""
            SELECT name, open_kind, open_ref, closed_kind, closed_ref FROM \(identifier: slug.schema).schedules
            WHERE name > \(after ?? "") AND (\(name)::text IS NULL OR name = \(name)) ORDER BY name LIMIT \(limit)
            """)
        var views: [ScheduleView] = []
        for row in schedules {
            let name: String = try row.decode("name")
            let periods = try await db.query("""
                SELECT weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes
                FROM \(identifier: slug.schema).schedule_periods WHERE schedule_name = \(name) ORDER BY weekday, opens
                """).map { ScheduleView.Period(day: try $0.decode("weekday"), opens: try $0.decode("opens"), closes: try $0.decode("closes")) }
            let exceptions = try await db.query("""
                SELECT to_char(day, 'YYYY-MM-DD') AS day, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes, label
                FROM \(identifier: slug.schema).schedule_exceptions WHERE schedule_name = \(name) ORDER BY day
                """).map {
                ScheduleView.Exception(day: try $0.decode("day"), opens: try $0.decode("opens"), closes: try $0.decode("closes"),
                                       label: try $0.decode("label"))
            }
            views.append(ScheduleView(name: name, open: Self.destination(kind: try row.decode("open_kind"), ref: try row.decode("open_ref")),
                                      closed: Self.destination(kind: try row.decode("closed_kind"), ref: try row.decode("closed_ref")),
                                      periods: periods, exceptions: exceptions))
        }
        return views
    }

    /// - Throws: `.notFound`.
    package func schedule(tenant: String, name: String) async throws -> ScheduleView {
        guard let schedule = try await schedules(tenant: tenant, only: name).first else { throw TenancyError.notFound("no schedule \(name)") }
        return schedule
    }

    /// The user's forwarding rules. - Throws: `.notFound` for an unknown user.
    package func forwarding(tenant: String, extension ext: String) async throws -> [ForwardingRule] {
        let slug = try TenantSlug(tenant)
        let rows = try await db.query("""
            SELECT u.id, f.condition, f.target_kind, f.target_ref, f.no_answer_seconds
            FROM \(identifier: slug.schema).users u LEFT JOIN \(identifier: slug.schema).forwarding f ON f.user_id = u.id
            WHERE u.extension = \(ext) ORDER BY f.condition
            """)
        guard !rows.isEmpty else { throw TenancyError.notFound("tenant \(slug) has no user \(ext)") }
        return try rows.compactMap { row in
            guard let condition: String = try row.decode("condition") else { return nil }
            return ForwardingRule(when: condition, to: Self.destination(kind: try row.decode("target_kind"), ref: try row.decode("target_ref")),
                                  noAnswerSeconds: try row.decode("no_answer_seconds"))
        }
    }

    /// - Throws: `.notFound` for an unknown user.
    package func outboundIdentity(tenant: String, extension ext: String) async throws -> OutboundIdentitySetting {
        let slug = try TenantSlug(tenant)
        let rows = try await db.query("SELECT caller_id, default_class FROM \(identifier: slug.schema).users WHERE extension = \(ext)")
        guard let row = rows.first else { throw TenancyError.notFound("tenant \(slug) has no user \(ext)") }
        return OutboundIdentitySetting(callerId: try row.decode("caller_id"), defaultClass: try row.decode("default_class"))
    }

    package func limits(tenant: String) async throws -> TenantLimits {
        let slug = try TenantSlug(tenant)
        let row = try await db.query("""
            SELECT max_concurrent_calls, max_international_calls FROM \(identifier: slug.schema).limits
            """).first
        return TenantLimits(concurrentCalls: try row?.decode("max_concurrent_calls"), internationalCalls: try row?.decode("max_international_calls"))
    }
}
