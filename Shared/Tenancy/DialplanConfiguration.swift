import Events
import Foundation
import Logging
import Messaging
import Postgres
import Pricing

/// Changes to a tenant's dialplan (groups, schedules, forwarding, number destinations, caller ID,
/// limits): validated, written in the tenant schema with an audit entry, and announced on
/// `config.changes`. The CLI uses it now; the API will use the same code.
package struct DialplanConfiguration: Sendable {
    let db: PostgresClient
    let publisher: EventPublisher
    /// Who makes the changes, for the audit log: "cli", or the API caller.
    let actor: String

    package init(db: PostgresClient, publisher: EventPublisher, actor: String = "cli") {
        self.db = db
        self.publisher = publisher
        self.actor = actor
    }

    /// Where the events that must follow a change go, in the change's transaction.
    var outbox: Outbox { Outbox(db: db, publisher: publisher) }

    package static let strategies: Set<String> = ["ring-all", "linear", "round-robin", "least-recent", "longest-idle", "random"]

    /// "user:1002", "group:sales", "external:+3725550100", "announcement:closed", "ivr:main",
    /// "voicemail", "none", validated.
    package static func destination(_ text: String) throws -> Destination {
        try Destination(parsing: text)
    }

    // MARK: Groups

    /// Ring times a group or member may have: a phone needs some seconds to ring; an hour is plenty.
    package static let memberSecondsRange = 5...300
    package static let totalSecondsRange = 5...3600

    /// Creates a group, or with `replacing` also changes an existing one (else an existing name is a conflict).
    package func createGroup(tenant: String, name: String, strategy: String, memberSeconds: Int, totalSeconds: Int,
                             overflow: String, replacing: Bool = true) async throws {
        let slug = try TenantSlug(tenant)
        guard Validation.isDialplanName(name) else { throw TenancyError.invalid("group name \(String(reflecting: name)): lower-case letters, digits, - and _") }
        guard Self.strategies.contains(strategy) else {
            throw TenancyError.invalid("strategy \(strategy): one of \(Self.strategies.sorted().joined(separator: ", "))")
        }
        try Validation.range(memberSeconds, Self.memberSecondsRange, field: "memberSeconds")
        try Validation.range(totalSeconds, Self.totalSecondsRange, field: "totalSeconds")
        let target = try Self.destination(overflow)
        try await change(slug, entity: "group", key: name, action: "created") { connection in
            let written = try await connection.query("""
                INSERT INTO \(identifier: slug.schema).groups (name, strategy, member_seconds, total_seconds, overflow_kind, overflow_ref)
                VALUES (\(name), \(strategy), \(memberSeconds), \(totalSeconds), \(target.kind), \(target.ref))
                ON CONFLICT (name) DO UPDATE SET strategy = EXCLUDED.strategy, member_seconds = EXCLUDED.member_seconds,
                    total_seconds = EXCLUDED.total_seconds, overflow_kind = EXCLUDED.overflow_kind, overflow_ref = EXCLUDED.overflow_ref
                WHERE \(replacing) RETURNING name
                """)
            guard !written.isEmpty else { throw TenancyError.conflict("group \(name) exists") }
        }
    }

    /// Adds (or moves) a member: an extension of the tenant or an external E.164 number (a mobile).
    package func addMember(tenant: String, group: String, member: String, ringSeconds: Int?) async throws {
        let slug = try TenantSlug(tenant)
        guard Validation.isExtension(member) || Validation.isE164(member) else {
            throw TenancyError.invalid("member \(member): an extension or an E.164 number")
        }
        try Validation.range(ringSeconds, Self.memberSecondsRange, field: "ringSeconds")
        try await change(slug, entity: "group", key: group, action: "updated") { connection in
            if Validation.isExtension(member) {
                guard try await !connection.query("SELECT 1 AS one FROM \(identifier: slug.schema).users WHERE extension = \(member)").isEmpty else {
                    throw TenancyError.notFound("tenant \(slug) has no user \(member)")
                }
            }
            try await connection.query("""
                INSERT INTO \(identifier: slug.schema).group_members (group_name, position, member, ring_seconds)
                VALUES (\(group), (SELECT coalesce(max(position) + 1, 0) FROM \(identifier: slug.schema).group_members WHERE group_name = \(group)),
                        \(member), \(ringSeconds))
                ON CONFLICT (group_name, member) DO UPDATE SET ring_seconds = EXCLUDED.ring_seconds
                """)
        }
    }

    package func removeMember(tenant: String, group: String, member: String) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "group", key: group, action: "updated") { connection in
            let rows = try await connection.query("""
                DELETE FROM \(identifier: slug.schema).group_members WHERE group_name = \(group) AND member = \(member) RETURNING member
                """)
            guard !rows.isEmpty else { throw TenancyError.notFound("group \(group) has no member \(member)") }
        }
    }

    /// A member logs in to or out of a group (logged-out members are skipped).
    package func setLoggedIn(tenant: String, group: String, member: String, loggedIn: Bool) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "group", key: group, action: "updated") { connection in
            let rows = try await connection.query("""
                UPDATE \(identifier: slug.schema).group_members SET logged_in = \(loggedIn)
                WHERE group_name = \(group) AND member = \(member) RETURNING member
                """)
            guard !rows.isEmpty else { throw TenancyError.notFound("\(member) is not a member of \(group)") }
        }
    }

    // MARK: Schedules

    /// Creates a schedule, or with `replacing` also changes an existing one (else an existing name is a conflict).
    package func createSchedule(tenant: String, name: String, open: String, closed: String, replacing: Bool = true) async throws {
        let slug = try TenantSlug(tenant)
        guard Validation.isDialplanName(name) else { throw TenancyError.invalid("schedule name \(String(reflecting: name)): lower-case letters, digits, - and _") }
        let whenOpen = try Self.destination(open)
        let whenClosed = try Self.destination(closed)
        try await change(slug, entity: "schedule", key: name, action: "created") { connection in
            let written = try await connection.query("""
                INSERT INTO \(identifier: slug.schema).schedules (name, open_kind, open_ref, closed_kind, closed_ref)
                VALUES (\(name), \(whenOpen.kind), \(whenOpen.ref), \(whenClosed.kind), \(whenClosed.ref))
                ON CONFLICT (name) DO UPDATE SET open_kind = EXCLUDED.open_kind, open_ref = EXCLUDED.open_ref,
                    closed_kind = EXCLUDED.closed_kind, closed_ref = EXCLUDED.closed_ref
                WHERE \(replacing) RETURNING name
                """)
            guard !written.isEmpty else { throw TenancyError.conflict("schedule \(name) exists") }
        }
    }

    /// Open periods: `days` as ISO weekdays (1 = Monday), times as HH:MM in the tenant's time zone.
    package func addPeriod(tenant: String, schedule: String, days: [Int], opens: String, closes: String) async throws {
        let slug = try TenantSlug(tenant)
        guard !days.isEmpty, days.allSatisfy({ (1...7).contains($0) }) else { throw TenancyError.invalid("days are 1 (Monday) to 7 (Sunday)") }
        try Self.checkTimes(opens, closes)
        try await change(slug, entity: "schedule", key: schedule, action: "updated") { connection in
            for day in days {
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).schedule_periods (schedule_name, weekday, opens, closes)
                    VALUES (\(schedule), \(day), \(opens)::time, \(closes)::time)
                    ON CONFLICT (schedule_name, weekday, opens) DO UPDATE SET closes = EXCLUDED.closes
                    """)
            }
        }
    }

    /// A holiday (no hours: closed all day) or a special opening (these hours instead), `day` as YYYY-MM-DD.
    package func addException(tenant: String, schedule: String, day: String, opens: String?, closes: String?, label: String?) async throws {
        let slug = try TenantSlug(tenant)
        guard Day(day) != nil else { throw TenancyError.invalid("date \(String(reflecting: day)): a calendar date YYYY-MM-DD") }
        if let label, label.unicodeScalars.count > 200 { throw TenancyError.invalid("label must be at most 200 characters") }
        guard (opens == nil) == (closes == nil) else { throw TenancyError.invalid("give both --opens and --closes, or neither (closed all day)") }
        if let opens, let closes { try Self.checkTimes(opens, closes) }
        try await change(slug, entity: "schedule", key: schedule, action: "updated") { connection in
            try await connection.query("""
                INSERT INTO \(identifier: slug.schema).schedule_exceptions (schedule_name, day, opens, closes, label)
                VALUES (\(schedule), \(day)::date, \(opens)::time, \(closes)::time, \(label))
                ON CONFLICT (schedule_name, day) DO UPDATE SET opens = EXCLUDED.opens, closes = EXCLUDED.closes, label = EXCLUDED.label
                """)
        }
    }

    /// Removes the periods that open at `opens` on `days`. - Throws: `.notFound` when there is none.
    package func removePeriod(tenant: String, schedule: String, days: [Int], opens: String) async throws {
        let slug = try TenantSlug(tenant)
        guard !days.isEmpty, days.allSatisfy({ (1...7).contains($0) }) else { throw TenancyError.invalid("days are 1 (Monday) to 7 (Sunday)") }
        guard Validation.isTime(opens) else { throw TenancyError.invalid("time \(String(reflecting: opens)): HH:MM") }
        try await change(slug, entity: "schedule", key: schedule, action: "updated") { connection in
            let removed = try await connection.query("""
                DELETE FROM \(identifier: slug.schema).schedule_periods
                WHERE schedule_name = \(schedule) AND weekday = ANY (string_to_array(\(days.map(String.init).joined(separator: ",")), ',')::int[])
                  AND opens = \(opens)::time RETURNING weekday
                """)
            guard !removed.isEmpty else { throw TenancyError.notFound("schedule \(schedule) opens at \(opens) on none of those days") }
        }
    }

    /// Removes a holiday or special opening. - Throws: `.notFound` when the day has none.
    package func removeException(tenant: String, schedule: String, day: String) async throws {
        let slug = try TenantSlug(tenant)
        guard Day(day) != nil else { throw TenancyError.invalid("date \(String(reflecting: day)): a calendar date YYYY-MM-DD") }
        try await change(slug, entity: "schedule", key: schedule, action: "updated") { connection in
            let removed = try await connection.query("""
                DELETE FROM \(identifier: slug.schema).schedule_exceptions WHERE schedule_name = \(schedule) AND day = \(day)::date RETURNING day
                """)
            guard !removed.isEmpty else { throw TenancyError.notFound("schedule \(schedule) has no exception on \(day)") }
        }
    }

    /// Deletes a schedule with its periods and exceptions; numbers and rules that pointed to it go
    /// nowhere until changed, as a deleted group's do.
    package func deleteSchedule(tenant: String, name: String) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "schedule", key: name, action: "deleted") { connection in
            let rows = try await connection.query("DELETE FROM \(identifier: slug.schema).schedules WHERE name = \(name) RETURNING name")
            guard !rows.isEmpty else { throw TenancyError.notFound("no schedule \(name)") }
        }
    }

    private static func checkTimes(_ opens: String, _ closes: String) throws {
        // A period may close at 24:00, the end of the day.
        guard Validation.isTime(opens) else { throw TenancyError.invalid("time \(String(reflecting: opens)): HH:MM") }
        guard Validation.isTime(closes, endOfDay: true) else { throw TenancyError.invalid("time \(String(reflecting: closes)): HH:MM or 24:00") }
        guard opens < closes else { throw TenancyError.invalid("\(opens) is not before \(closes)") }
    }

    // MARK: Users and numbers

    /// Forwarding of a user's calls: `when` is always, busy, no-answer or unregistered; `to` a
    /// destination, or nil to clear the rule.
    package func setForwarding(tenant: String, extension ext: String, when condition: String, to target: String?,
                               noAnswerSeconds: Int?) async throws {
        let slug = try TenantSlug(tenant)
        guard ["always", "busy", "no-answer", "unregistered"].contains(condition) else {
            throw TenancyError.invalid("forwarding condition \(condition): always, busy, no-answer or unregistered")
        }
        let destination = try target.map(Self.destination)
        try Validation.range(noAnswerSeconds, Self.memberSecondsRange, field: "noAnswerSeconds")
        try await change(slug, entity: "user", key: ext, action: "updated") { connection in
            let userID = try await user(ext, slug: slug, connection: connection)
            if let destination {
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).forwarding (user_id, condition, target_kind, target_ref, no_answer_seconds)
                    VALUES (\(userID), \(condition), \(destination.kind), \(destination.ref), \(noAnswerSeconds))
                    ON CONFLICT (user_id, condition) DO UPDATE SET target_kind = EXCLUDED.target_kind, target_ref = EXCLUDED.target_ref,
                        no_answer_seconds = EXCLUDED.no_answer_seconds
                    """)
            } else {
                try await connection.query("DELETE FROM \(identifier: slug.schema).forwarding WHERE user_id = \(userID) AND condition = \(condition)")
            }
        }
    }

    /// What number a user's outbound calls present (main, own, anonymous) and their default class.
    package func setOutboundIdentity(tenant: String, extension ext: String, callerID: String?, defaultClass: String?) async throws {
        let slug = try TenantSlug(tenant)
        if let callerID, !["main", "own", "anonymous"].contains(callerID) { throw TenancyError.invalid("caller ID \(callerID): main, own or anonymous") }
        if let defaultClass, !["business", "private"].contains(defaultClass) { throw TenancyError.invalid("class \(defaultClass): business or private") }
        try await change(slug, entity: "user", key: ext, action: "updated") { connection in
            let userID = try await user(ext, slug: slug, connection: connection)
            try await connection.query("""
                UPDATE \(identifier: slug.schema).users SET caller_id = coalesce(\(callerID), caller_id),
                    default_class = coalesce(\(defaultClass), default_class), updated_at = now() WHERE id = \(userID)
                """)
        }
    }

    /// Where calls to one of the tenant's numbers go.
    package func routeNumber(tenant: String, number: String, to target: String) async throws {
        let slug = try TenantSlug(tenant)
        let destination = try await checkNumberDestination(tenant: tenant, target)
        try await change(slug, entity: "number", key: number, action: "updated") { connection in
            var userID: UUID?
            if destination.kind == "user", let ext = destination.ref { userID = try await user(ext, slug: slug, connection: connection) }
            let rows = try await connection.query("""
                UPDATE \(identifier: slug.schema).numbers SET destination_kind = \(destination.kind), destination_ref = \(destination.ref),
                    user_id = coalesce(\(userID), user_id) WHERE e164 = \(number) RETURNING e164
                """)
            guard !rows.isEmpty else { throw TenancyError.notFound("tenant \(slug) has no number \(number)") }
        }
    }

    /// Checks that a number of the tenant may route to `target`: inside the tenant, to a user,
    /// group or schedule that exists, to the IVR only with its add-on. Callers check before they
    /// change anything (a number is assigned only with a destination it can take).
    @discardableResult
    package func checkNumberDestination(tenant: String, _ target: String) async throws -> Destination {
        let slug = try TenantSlug(tenant)
        let destination = try Self.destination(target)
        guard destination.kind != "external" else { throw TenancyError.invalid("a number routes inside the tenant, not to external") }
        if destination.kind == "ivr", try await !Entitlements.has("ivr", slug: slug, db: db) {
            throw TenancyError.invalid("the tenant has no IVR add-on: subscribe to it first")
        }
        let lookup: PostgresQuery? = switch destination.kind {
        case "user": "SELECT 1 AS one FROM \(identifier: slug.schema).users WHERE extension = \(destination.ref)"
        case "group": "SELECT 1 AS one FROM \(identifier: slug.schema).groups WHERE name = \(destination.ref)"
        case "schedule": "SELECT 1 AS one FROM \(identifier: slug.schema).schedules WHERE name = \(destination.ref)"
        case "announcement": "SELECT 1 AS one FROM \(identifier: slug.schema).announcements WHERE name = \(destination.ref)"
        case "ivr": "SELECT 1 AS one FROM \(identifier: slug.schema).menus WHERE name = \(destination.ref)"
        default: nil
        }
        if let lookup, try await db.query(lookup).isEmpty {
            throw TenancyError.notFound("tenant \(slug) has no \(destination.kind) \(destination.ref ?? "")")
        }
        return destination
    }

    /// Caps on concurrent calls and concurrent international calls; nil removes a cap.
    /// Each limit: nil leaves it as it is, `.some(nil)` removes it (no cap), a number sets it; so
    /// one can be changed without the other.
    package func setLimits(tenant: String, concurrentCalls: Int??, internationalCalls: Int??) async throws {
        let slug = try TenantSlug(tenant)
        try Validation.range(concurrentCalls ?? nil, 0...100_000, field: "concurrentCalls")
        try Validation.range(internationalCalls ?? nil, 0...100_000, field: "internationalCalls")
        let (keepConcurrent, keepInternational) = (concurrentCalls == nil, internationalCalls == nil)
        try await change(slug, entity: "tenant", key: slug.value, action: "updated") { connection in
            try await connection.query("""
                INSERT INTO \(identifier: slug.schema).limits AS l (only_row, max_concurrent_calls, max_international_calls)
                VALUES (true, \(concurrentCalls ?? nil), \(internationalCalls ?? nil))
                ON CONFLICT (only_row) DO UPDATE SET
                    max_concurrent_calls = CASE WHEN \(keepConcurrent) THEN l.max_concurrent_calls ELSE EXCLUDED.max_concurrent_calls END,
                    max_international_calls = CASE WHEN \(keepInternational) THEN l.max_international_calls ELSE EXCLUDED.max_international_calls END
                """)
        }
    }

    // MARK: Plumbing

    private func user(_ ext: String, slug: TenantSlug, connection: PostgresConnection) async throws -> UUID {
        guard let row = try await connection.query("SELECT id FROM \(identifier: slug.schema).users WHERE extension = \(ext)").first else {
            throw TenancyError.notFound("tenant \(slug) has no user \(ext)")
        }
        return try row.decode("id")
    }

    /// One change: its statements and an audit entry in one transaction, then `config.changed`.
    func change(_ slug: TenantSlug, entity: String, key: String, action: String,
                        _ body: @escaping @Sendable (PostgresConnection) async throws -> Void) async throws {
        do {
            try await db.withTransaction { connection in
                try await body(connection)
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).audit_log (actor, action, subject) VALUES (\(actor), \("\(entity).\(action)"), \(key))
                    """)
                try await outbox.configChanged(slug, entity: entity, key: key, action: action, on: connection)
            }
        } catch let error as PostgresError where error.sqlState == "23503" {
            throw TenancyError.notFound("\(entity) \(key): what it refers to does not exist")
        } catch let error as PostgresError where error.sqlState == "23514" || error.sqlState?.hasPrefix("22") == true {
            throw TenancyError.invalid("\(entity) \(key): a value is out of range")
        } catch let error as PostgresError where error.sqlState == "3F000" {
            throw TenancyError.notFound("no tenant \(slug)")
        }
        outbox.committed()
    }
}
