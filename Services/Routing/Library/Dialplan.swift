import Events
import Foundation
import Metrics
import Postgres
import Tenancy

/// Routing's decision for an offered call (DESIGN §3), from the tenant's configuration: numbers
/// and their destinations, users and their devices and forwarding, groups and their strategies,
/// schedules, caller-ID and class settings, and limits.
struct Dialplan: Sendable {
    let db: PostgresClient
    let countryCode: String
    var now: @Sendable () -> Date = { Date() }
    static let ringSeconds = 30
    static let maximumDepth = 8

    func route(_ offer: CallOffered, callID: String?, tenant slug: TenantSlug) async throws -> CallRoute {
        if offer.origin == .trunk {
            let context = try await tenantContext(caller: nil, slug: slug)
            if let refusal = try await concurrentLimit(context.maxCalls, slug: slug, callID: callID) { return refusal }
            guard case .external(let number) = Dialled.classify(offer.dialled, countryCode: countryCode) else {
                return .rejected(404, "Number not assigned")
            }
            guard let destination = try await destination(ofNumber: number, slug: slug) else { return .rejected(404, "Number not assigned") }
            return try await sentOut(try await recorded(try await resolve(destination, slug: slug, visited: []), number: number, slug: slug),
                                     offer: offer, slug: slug)
        }
        if let caller = offer.callerExtension, let code = FeatureCode(rawValue: offer.dialled) {
            return try await feature(code, caller: caller, slug: slug)
        }
        let context = try await tenantContext(caller: offer.callerExtension, slug: slug)
        let identity = OutboundIdentity.resolve(dialled: offer.dialled, setting: context.callerID, defaultClass: context.defaultClass,
                                                ownNumber: context.ownNumber, mainNumber: context.mainNumber)
        let dialled = Dialled.classify(identity.dialled, countryCode: countryCode)
        // Emergency calls are never refused for a limit.
        if !identity.emergency, var refusal = try await concurrentLimit(context.maxCalls, slug: slug, callID: callID) {
            if case .external(let number) = dialled, try await destination(ofNumber: number, slug: slug) == nil {
                refusal.reject?.direction = .outbound
                refusal.reject?.number = number
            }
            return refusal
        }
        switch dialled {
        case .extension(let number) where !identity.emergency:
            var route = try await resolve(.user(number), slug: slug, visited: [])
            route.classification = identity.classification
            return try await sentOut(route, offer: offer, slug: slug)
        case .external(let number) where !identity.emergency:
            // A call to one of the tenant's own numbers stays inside, as if it came from the trunk.
            if let destination = try await destination(ofNumber: number, slug: slug) {
                var route = try await recorded(try await resolve(destination, slug: slug, visited: []), number: number, slug: slug)
                route.classification = identity.classification
                return try await sentOut(route, offer: offer, slug: slug)
            }
            var route = try await outbound(number, identity: identity, limit: context.maxInternational, slug: slug, callID: callID)
            // A private call is the user's own business: never recorded.
            if route.reject == nil, identity.classification != .private,
               let presented = identity.presentedNumber ?? context.ownNumber ?? context.mainNumber {
                route.recording = try await recordingPlan(number: presented, direction: .outbound, caller: offer.callerExtension, slug: slug)
            }
            return route
        default:
            if identity.emergency {
                return try await outbound(identity.dialled, identity: identity, limit: nil, slug: slug, callID: callID)
            }
            return .rejected(484, "Address Incomplete")
        }
    }

    /// The next plan after one failed: the user's busy or no-answer forwarding, the group's overflow.
    func fallback(_ failed: CallPlanFailed, tenant slug: TenantSlug) async throws -> CallRoute {
        let (current, visited) = Self.parse(context: failed.context)
        var next: Destination?
        let reason: DepositReason = failed.cause == .busy ? .busy : .noAnswer
        if current.hasPrefix("user:") {
            let ext = String(current.dropFirst(5))
            let rules = try await forwarding(of: ext, slug: slug)
            next = failed.cause == .busy ? rules["busy"]?.destination : rules["no-answer"]?.destination
        } else if current.hasPrefix("group:") {
            let rows = try await db.query("""
                SELECT overflow_kind, overflow_ref FROM \(identifier: slug.schema).groups WHERE name = \(String(current.dropFirst(6)))
                """)
            if let row = rows.first { next = Destination(kind: try row.decode("overflow_kind"), ref: try row.decode("overflow_ref")) }
        }
        guard let next, next != .none else {
            switch failed.cause {
            case .busy: return .rejected(486, "Busy Here")
            case .noAnswer: return .rejected(480, "No Answer")
            case .unavailable: return .rejected(480, "Temporarily Unavailable")
            }
        }
        return try await sentOut(try await resolve(next, slug: slug, visited: visited, reason: reason), offer: failed.offer, slug: slug)
    }

    /// A plan that sends the call out through the trunk on someone's behalf (forwarding to a
    /// mobile, a group's external member) tells the network which of the tenant's numbers diverted
    /// it: the one called from outside, else the diverting user's own, else the main number. A
    /// device's call presents the number its caller's caller-ID rules give, as a call out does;
    /// a call from outside keeps its caller's number.
    private func sentOut(_ route: CallRoute, offer: CallOffered, slug: TenantSlug) async throws -> CallRoute {
        guard route.reject == nil, route.targets.contains(where: { $0.via == .trunk }) else { return route }
        var route = route
        var diverter: String?
        if offer.origin == .trunk {
            if case .external(let number) = Dialled.classify(offer.dialled, countryCode: countryCode) { diverter = number }
        } else {
            let context = try await tenantContext(caller: offer.callerExtension, slug: slug)
            let identity = OutboundIdentity.resolve(dialled: offer.dialled, setting: context.callerID, defaultClass: context.defaultClass,
                                                    ownNumber: context.ownNumber, mainNumber: context.mainNumber)
            route.presentedNumber = identity.assertedNumber
            route.anonymous = identity.presentedNumber == nil ? true : nil
            switch Dialled.classify(identity.dialled, countryCode: countryCode) {
            case .external(let number): diverter = number
            case .extension(let ext): diverter = try await tenantContext(caller: ext, slug: slug).ownNumber
            default: break
            }
            diverter = diverter ?? context.mainNumber
        }
        route.diversion = CallDiversion(number: diverter, reason: route.diversion?.reason ?? .unknown)
        return route
    }

    /// The plan for a call an application hands on (DESIGN §6): a menu's choice, the end of an
    /// announcement, the welcome's group.
    func transfer(_ request: CallTransferRequested, tenant slug: TenantSlug) async throws -> CallRoute {
        guard let destination = try? Destination(parsing: request.destination) else { return .rejected(404, "No such destination") }
        let welcomed = request.from?.next == request.destination
        return try await sentOut(try await resolve(destination, slug: slug, visited: [], welcomed: welcomed), offer: request.offer, slug: slug)
    }

    // MARK: Destinations

    private func exists(_ name: String, in table: String, slug: TenantSlug) async throws -> Bool {
        try await !db.query("SELECT 1 AS one FROM \(identifier: slug.schema).\(identifier: try SQLIdentifier(table)) WHERE name = \(name)").isEmpty
    }

    /// A call to one of the tenant's numbers is recorded as `recordingPlan` says.
    private func recorded(_ route: CallRoute, number: String, slug: TenantSlug) async throws -> CallRoute {
        guard route.reject == nil else { return route }
        var route = route
        route.recording = try await recordingPlan(number: number, direction: .inbound, caller: nil, slug: slug)
        return route
    }

    /// A call of `number` (the one called, or the one an outbound call presents) is recorded when
    /// the number has a recording add-on today and the policy records the call's direction: the
    /// user's policy when the user has one (the caller of an outbound call, the number's user of an
    /// inbound one), else the number's. nil: not recorded.
    private func recordingPlan(number: String, direction: CallDirection, caller: String?, slug: TenantSlug) async throws -> RecordingPlan? {
        guard let days = try await Entitlements.recordingRetentionDays(number: number, slug: slug, db: db) else { return nil }
        let schema = slug.schema
        guard let row = try await db.query("""
            SELECT n.recording, n.recording_notice, u.extension, u.recording AS user_recording, u.recording_notice AS user_notice,
                   coalesce((SELECT p.sha256 FROM \(identifier: schema).prompts p WHERE p.name = 'recording-notice'),
                            (SELECT s.sha256 FROM platform.system_prompts s WHERE s.name = 'recording-notice'
                               AND s.language = (SELECT language FROM platform.tenants WHERE slug = \(slug.value)))) AS notice_sha256
            FROM \(identifier: schema).numbers n
            LEFT JOIN \(identifier: schema).users u ON CASE WHEN \(caller)::text IS NULL THEN u.id = n.user_id ELSE u.extension = \(caller) END
            WHERE n.e164 = \(number)
            """).first else { return nil }
        let numberPolicy = RecordingPolicy(rawValue: try row.decode("recording")) ?? .both
        let policy = try row.decode("user_recording", as: String?.self).flatMap(RecordingPolicy.init) ?? numberPolicy
        guard policy.records(direction) else { return nil }
        let notice = try row.decode("user_notice", as: Bool?.self) ?? (try row.decode("recording_notice", as: Bool.self))
        return RecordingPlan(number: number, direction: direction, user: try row.decode("extension"), retentionDays: days, notice: notice,
                             noticeSha256: notice ? try row.decode("notice_sha256") : nil)
    }

    /// Where calls to one of the tenant's numbers go; nil when the number is not the tenant's.
    private func destination(ofNumber number: String, slug: TenantSlug) async throws -> Destination? {
        let rows = try await db.query("""
            SELECT n.destination_kind, n.destination_ref, u.extension FROM \(identifier: slug.schema).numbers n
            LEFT JOIN \(identifier: slug.schema).users u ON u.id = n.user_id WHERE n.e164 = \(number)
            """)
        guard let row = rows.first else { return nil }
        let kind: String = try row.decode("destination_kind")
        return Destination(kind: kind, ref: kind == "user" ? try row.decode("extension") : try row.decode("destination_ref"))
    }

    /// - Parameters:
    ///   - welcomed: the caller heard the group's welcome already (the call comes from it).
    ///   - reason: why the call goes on from where it was (a voicemail box greets by it).
    private func resolve(_ destination: Destination, slug: TenantSlug, visited: [String], welcomed: Bool = false,
                         reason: DepositReason = .direct) async throws -> CallRoute {
        guard !visited.contains(destination.description), visited.count < Self.maximumDepth else {
            Counter(label: "switchboard_routing_loops_total").increment()
            return .rejected(482, "Forwarding loop")
        }
        let visited = visited + [destination.description]
        switch destination {
        case .user(let ext):
            return try await ringUser(ext, slug: slug, visited: visited)
        case .group(let name):
            return try await ringGroup(name, slug: slug, visited: visited, welcomed: welcomed)
        case .schedule(let name):
            guard let (open, closed, schedule) = try await schedule(name, slug: slug) else { return .rejected(404, "No such schedule") }
            let zone = try await timeZone(slug)
            let isOpen = schedule.isOpen(at: now(), timeZone: zone)
            return try await resolve(isOpen ? open : closed, slug: slug, visited: visited, reason: isOpen ? reason : .closed)
        case .external(let number):
            var route = CallRoute(targets: [RouteTarget(uri: "sip:\(number)@trunk", ringSeconds: 60, via: .trunk, member: number)],
                                  strategy: .parallel, presentedNumber: nil, classification: .business, reject: nil)
            route.diversion = CallDiversion(number: nil, reason: CallDiversion.Reason(reason))
            return route
        case .announcement(let name):
            guard try await exists(name, in: "announcements", slug: slug) else { return .rejected(404, "No such announcement") }
            return .application(CallApplication(kind: .announcement, name: name))
        case .ivr(let name):
            // The IVR is a paid add-on: without it the tenant's calls never reach one.
            guard try await Entitlements.has("ivr", slug: slug, db: db) else {
                Counter(label: "switchboard_routing_unentitled_total", dimensions: [("feature", "ivr")]).increment()
                return .rejected(480, "IVR add-on not subscribed")
            }
            guard try await exists(name, in: "menus", slug: slug) else { return .rejected(404, "No such menu") }
            return .application(CallApplication(kind: .ivr, name: name))
        case .voicemail(let named):
            guard let box = try await voicemailBox(named, path: visited, slug: slug) else {
                Counter(label: "switchboard_routing_unavailable_destinations_total", dimensions: [("kind", "voicemail")]).increment()
                return .rejected(404, named == nil ? "No voicemail box for this call" : "No such voicemail box")
            }
            return .application(CallApplication(kind: .voicemail, name: box, reason: reason))
        case .mailbox:
            return .application(CallApplication(kind: .mailbox, name: ""))
        case .none:
            return .rejected(480, "No destination")
        }
    }

    /// Every live registration of the user, rung at once, after its forwarding rules.
    private func ringUser(_ ext: String, slug: TenantSlug, visited: [String]) async throws -> CallRoute {
        guard let rules = try await forwardingRules(of: ext, slug: slug) else { return .rejected(404, "No such extension") }
        if let always = rules["always"] { return try await resolve(always.destination, slug: slug, visited: visited, reason: .forwarding) }
        let ringSeconds = rules["no-answer"]?.seconds ?? Self.ringSeconds
        let targets = (try await devices(of: [ext], slug: slug)[ext] ?? []).map { target in
            var target = target
            target.ringSeconds = ringSeconds
            return target
        }
        guard !targets.isEmpty else {
            if let unregistered = rules["unregistered"] {
                return try await resolve(unregistered.destination, slug: slug, visited: visited, reason: .unregistered)
            }
            return .rejected(480, "Not registered")
        }
        let wantsFallback = rules["busy"] != nil || rules["no-answer"] != nil
        return CallRoute(targets: targets, strategy: .parallel, presentedNumber: nil, classification: .business, reject: nil,
                         context: wantsFallback ? Self.context(visited) : nil)
    }

    /// The group's members in its strategy's order: everyone at once (ring-all) or one member
    /// after another, each for its ring time; busy, unregistered and logged-out members skipped.
    private func ringGroup(_ name: String, slug: TenantSlug, visited: [String], welcomed: Bool) async throws -> CallRoute {
        let schema = slug.schema
        let groups = try await db.query("""
            SELECT strategy, member_seconds, total_seconds, overflow_kind, overflow_ref, welcome FROM \(identifier: schema).groups WHERE name = \(name)
            """)
        guard let group = groups.first, let strategy = HuntStrategy(rawValue: try group.decode("strategy")) else {
            return .rejected(404, "No such group")
        }
        // The welcome first: the announcement hands the call back to this group when it is done.
        if !welcomed, let welcome = try group.decode("welcome", as: String?.self) {
            return .application(CallApplication(kind: .announcement, name: welcome, next: Destination.group(name).description))
        }
        let memberSeconds: Int = try group.decode("member_seconds")
        let rows = try await db.query("""
            SELECT m.member, m.position, m.ring_seconds, s.last_offered_at, s.last_call_ended_at
            FROM \(identifier: schema).group_members m
            LEFT JOIN \(identifier: schema).group_state s ON s.group_name = m.group_name AND s.member = m.member
            WHERE m.group_name = \(name) AND m.logged_in ORDER BY m.position
            """)
        var members: [HuntStrategy.Member] = []
        var ringSeconds: [String: Int] = [:]
        for row in rows {
            let member: String = try row.decode("member")
            members.append(HuntStrategy.Member(id: member, position: try row.decode("position"),
                                               lastOffered: try row.decode("last_offered_at"), lastCallEnded: try row.decode("last_call_ended_at")))
            ringSeconds[member] = try row.decode("ring_seconds", as: Int?.self) ?? memberSeconds
        }
        var cursor = 0
        if strategy == .roundRobin, !members.isEmpty {
            // One shared counter, advanced atomically, so several routing instances take turns correctly.
            let advanced = try await db.query("""
                INSERT INTO \(identifier: schema).group_cursor (group_name, next_position) VALUES (\(name), 1)
                ON CONFLICT (group_name) DO UPDATE SET next_position = group_cursor.next_position + 1
                RETURNING next_position - 1 AS cursor
                """)
            cursor = try advanced.first?.decode("cursor") ?? 0
        }
        var generator = SystemRandomNumberGenerator()
        let busy = try await busyExtensions(slug)
        let registered = try await devices(of: members.map(\.id).filter { !$0.hasPrefix("+") }, slug: slug)
        var targets: [RouteTarget] = []
        var offered: [String] = []
        for (stage, member) in strategy.order(members, cursor: cursor, using: &generator).enumerated() {
            let seconds = ringSeconds[member.id] ?? memberSeconds
            if member.id.hasPrefix("+") {
                targets.append(RouteTarget(uri: "sip:\(member.id)@trunk", ringSeconds: seconds, via: .trunk, stage: stage, member: member.id))
            } else if !busy.contains(member.id) {
                let devices = (registered[member.id] ?? []).map { target in
                    var target = target
                    target.ringSeconds = seconds
                    target.stage = stage
                    return target
                }
                targets += devices
                if devices.isEmpty { continue }
            } else {
                continue
            }
            offered.append(member.id)
        }
        if let first = offered.first, strategy != .ringAll {
            try await db.query("""
                INSERT INTO \(identifier: schema).group_state (group_name, member, last_offered_at) VALUES (\(name), \(first), now())
                ON CONFLICT (group_name, member) DO UPDATE SET last_offered_at = now()
                """)
        }
        guard !targets.isEmpty else {
            let overflow = Destination(kind: try group.decode("overflow_kind"), ref: try group.decode("overflow_ref"))
            if overflow != .none { return try await resolve(overflow, slug: slug, visited: visited, reason: .unregistered) }
            return .rejected(480, "Nobody available")
        }
        return CallRoute(targets: targets, strategy: strategy == .ringAll ? .parallel : .sequential, presentedNumber: nil,
                         classification: .business, reject: nil, totalSeconds: try group.decode("total_seconds"),
                         context: Self.context(visited))
    }

    /// The box a voicemail destination means: the one it names, or that of the user or group the
    /// call was for (the nearest on its path; for a schedule, the user or group it opens to, so a
    /// main number's closed hours reach the team's box).
    private func voicemailBox(_ named: String?, path: [String], slug: TenantSlug) async throws -> String? {
        let schema = slug.schema
        if let named {
            return try await db.query("SELECT number FROM \(identifier: schema).voicemail_boxes WHERE number = \(named)").first?.decode("number")
        }
        for step in path.reversed() {
            guard let destination = try? Destination(parsing: step) else { continue }
            switch destination {
            case .user(let ext):
                return try await db.query("""
                    SELECT b.number FROM \(identifier: schema).voicemail_boxes b JOIN \(identifier: schema).users u ON u.id = b.user_id
                    WHERE u.extension = \(ext)
                    """).first?.decode("number")
            case .group(let name):
                return try await db.query("""
                    SELECT number FROM \(identifier: schema).voicemail_boxes WHERE group_name = \(name)
                    """).first?.decode("number")
            case .schedule(let name):
                guard let (open, _, _) = try await schedule(name, slug: slug) else { continue }
                switch open {
                case .user, .group: return try await voicemailBox(nil, path: [open.description], slug: slug)
                default: continue
                }
            default:
                continue
            }
        }
        return nil
    }

    /// A feature code dialled from one of the tenant's devices.
    private func feature(_ code: FeatureCode, caller: String, slug: TenantSlug) async throws -> CallRoute {
        switch code {
        case .ownVoicemail:
            // The device authenticated with its digest: it opens its user's box without a PIN.
            guard let box = try await voicemailBox(nil, path: [Destination.user(caller).description], slug: slug) else {
                return .rejected(404, "No voicemail box")
            }
            return .application(CallApplication(kind: .mailbox, name: box))
        case .anyVoicemail:
            return .application(CallApplication(kind: .mailbox, name: ""))
        }
    }

    private func outbound(_ number: String, identity: OutboundIdentity, limit: Int?, slug: TenantSlug, callID: String?) async throws -> CallRoute {
        if !identity.emergency, !number.hasPrefix("+" + countryCode),
           var refusal = try await internationalLimit(limit, slug: slug, callID: callID) {
            refusal.reject?.direction = .outbound
            refusal.reject?.number = number
            return refusal
        }
        // An anonymous call still carries its number for the network (the edge's P-Asserted-Identity)
        // and for its CDR; the called party sees none.
        return CallRoute(targets: [RouteTarget(uri: "sip:\(number)@trunk", ringSeconds: 120, via: .trunk)], strategy: .parallel,
                         presentedNumber: identity.assertedNumber, classification: identity.classification, reject: nil,
                         anonymous: identity.presentedNumber == nil ? true : nil)
    }

    // MARK: Configuration

    /// The live registrations of these users as targets, by extension: one query for a whole group.
    /// Each is sent to where its REGISTER came from, so a device behind NAT is reached.
    private func devices(of extensions: [String], slug: TenantSlug) async throws -> [String: [RouteTarget]] {
        guard !extensions.isEmpty else { return [:] }
        let schema = slug.schema
        let rows = try await db.query("""
            SELECT u.extension, r.contact, r.source, r.transport FROM \(identifier: schema).registrations r
            JOIN \(identifier: schema).devices d ON d.id = r.device_id JOIN \(identifier: schema).users u ON u.id = d.user_id
            WHERE u.extension = ANY (string_to_array(\(extensions.joined(separator: ",")), ',')) AND r.expires_at > now()
            ORDER BY r.updated_at DESC
            """)
        var targets: [String: [RouteTarget]] = [:]
        for row in rows {
            let ext: String = try row.decode("extension")
            targets[ext, default: []].append(RouteTarget(
                uri: try row.decode("contact"), ringSeconds: Self.ringSeconds,
                via: .address("\(try row.decode("transport", as: String.self).lowercased()):\(try row.decode("source", as: String.self))"), member: ext))
        }
        return targets
    }

    struct Rule {
        let destination: Destination
        let seconds: Int?
    }

    private func forwarding(of ext: String, slug: TenantSlug) async throws -> [String: Rule] {
        try await forwardingRules(of: ext, slug: slug) ?? [:]
    }

    /// The user's forwarding rules by condition; nil when there is no such user (one query for both).
    private func forwardingRules(of ext: String, slug: TenantSlug) async throws -> [String: Rule]? {
        let rows = try await db.query("""
            SELECT f.condition, f.target_kind, f.target_ref, f.no_answer_seconds FROM \(identifier: slug.schema).users u
            LEFT JOIN \(identifier: slug.schema).forwarding f ON f.user_id = u.id WHERE u.extension = \(ext)
            """)
        guard !rows.isEmpty else { return nil }
        var rules: [String: Rule] = [:]
        for row in rows {
            guard let condition = try row.decode("condition", as: String?.self), let kind = try row.decode("target_kind", as: String?.self) else { continue }
            rules[condition] = Rule(destination: Destination(kind: kind, ref: try row.decode("target_ref")), seconds: try row.decode("no_answer_seconds"))
        }
        return rules
    }

    private func schedule(_ name: String, slug: TenantSlug) async throws -> (Destination, Destination, WeeklySchedule)? {
        let schema = slug.schema
        guard let row = try await db.query("""
            SELECT open_kind, open_ref, closed_kind, closed_ref FROM \(identifier: schema).schedules WHERE name = \(name)
            """).first else { return nil }
        let periods = try await db.query("""
            SELECT weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes
            FROM \(identifier: schema).schedule_periods WHERE schedule_name = \(name)
            """).map { period in
            WeeklySchedule.Period(weekday: try period.decode("weekday"), opens: WeeklySchedule.minutes(try period.decode("opens")) ?? 0,
                                  closes: WeeklySchedule.minutes(try period.decode("closes")) ?? 0)
        }
        let exceptions = try await db.query("""
            SELECT extract(year FROM day)::int AS y, extract(month FROM day)::int AS m, extract(day FROM day)::int AS d,
                   to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes
            FROM \(identifier: schema).schedule_exceptions WHERE schedule_name = \(name)
            """).map { day in
            let opens = (try day.decode("opens", as: String?.self)).flatMap(WeeklySchedule.minutes)
            let closes = (try day.decode("closes", as: String?.self)).flatMap(WeeklySchedule.minutes)
            return WeeklySchedule.Exception(year: try day.decode("y"), month: try day.decode("m"), day: try day.decode("d"),
                                            hours: opens.flatMap { o in closes.map { (o, $0) } })
        }
        return (Destination(kind: try row.decode("open_kind"), ref: try row.decode("open_ref")),
                Destination(kind: try row.decode("closed_kind"), ref: try row.decode("closed_ref")),
                WeeklySchedule(periods: periods, exceptions: exceptions))
    }

    private func timeZone(_ slug: TenantSlug) async throws -> TimeZone {
        let rows = try await db.query("SELECT time_zone FROM platform.tenants WHERE slug = \(slug.value)")
        return TimeZone(identifier: try rows.first?.decode("time_zone") ?? "UTC") ?? .gmt
    }

    /// What every decision needs of the tenant and the calling user, in one query: the main
    /// number, the limits, and the caller's identity settings and own number.
    struct TenantContext {
        var mainNumber: String?
        var maxCalls: Int?
        var maxInternational: Int?
        var callerID = CallerIDSetting.main
        var defaultClass = Classification.business
        var ownNumber: String?
    }

    private func tenantContext(caller ext: String?, slug: TenantSlug) async throws -> TenantContext {
        let schema = slug.schema
        guard let row = try await db.query("""
            SELECT (SELECT e164 FROM platform.numbers WHERE tenant = \(slug.value) AND is_main) AS main,
                   l.max_concurrent_calls, l.max_international_calls, u.caller_id, u.default_class,
                   (SELECT n.e164 FROM \(identifier: schema).numbers n WHERE n.user_id = u.id ORDER BY n.e164 LIMIT 1) AS own
            FROM (SELECT 1) AS one
            LEFT JOIN \(identifier: schema).limits l ON true
            LEFT JOIN \(identifier: schema).users u ON u.extension = \(ext)
            """).first else { return TenantContext() }
        return TenantContext(mainNumber: try row.decode("main"), maxCalls: try row.decode("max_concurrent_calls"),
                             maxInternational: try row.decode("max_international_calls"),
                             callerID: try row.decode("caller_id", as: String?.self).flatMap(CallerIDSetting.init) ?? .main,
                             defaultClass: try row.decode("default_class", as: String?.self).flatMap(Classification.init) ?? .business,
                             ownNumber: try row.decode("own"))
    }

    /// Extensions in an answered call right now (from the edges' journal of live calls).
    private func busyExtensions(_ slug: TenantSlug) async throws -> Set<String> {
        let rows = try await db.query("""
            SELECT caller, callee FROM platform.edge_calls WHERE tenant = \(slug.value) AND answered_at IS NOT NULL
            """)
        return Set(try rows.flatMap { [try $0.decode("caller", as: String.self), try $0.decode("callee", as: String.self)] })
    }

    /// A call a member answered has ended: longest-idle counts their idle time from now on, in
    /// every group they belong to. Idempotent (a CDR seen twice sets the same time).
    func memberCallEnded(_ record: CallRecord, tenant slug: TenantSlug) async throws {
        guard let member = record.answeredBy else { return }
        try await db.query("""
            INSERT INTO \(identifier: slug.schema).group_state (group_name, member, last_call_ended_at)
            SELECT group_name, member, \(record.end) FROM \(identifier: slug.schema).group_members WHERE member = \(member)
            ON CONFLICT (group_name, member) DO UPDATE SET last_call_ended_at =
                GREATEST(coalesce(group_state.last_call_ended_at, EXCLUDED.last_call_ended_at), EXCLUDED.last_call_ended_at)
            """)
    }

    // MARK: Limits

    private func concurrentLimit(_ limit: Int?, slug: TenantSlug, callID: String?) async throws -> CallRoute? {
        guard let limit else { return nil }
        let rows = try await db.query("""
            SELECT count(*)::int AS live FROM platform.edge_calls WHERE tenant = \(slug.value) AND call_id IS DISTINCT FROM \(callID)
            """)
        guard try rows.first?.decode("live", as: Int.self) ?? 0 >= limit else { return nil }
        Counter(label: "switchboard_routing_limit_rejections_total", dimensions: [("limit", "concurrent")]).increment()
        return .rejected(403, "Concurrent call limit reached")
    }

    private func internationalLimit(_ limit: Int?, slug: TenantSlug, callID: String?) async throws -> CallRoute? {
        guard let limit else { return nil }
        let rows = try await db.query("""
            SELECT callee FROM platform.edge_calls WHERE tenant = \(slug.value) AND direction = 'outbound' AND call_id IS DISTINCT FROM \(callID)
            """)
        let international = try rows.filter { row in
            guard case .external(let number) = Dialled.classify(try row.decode("callee"), countryCode: countryCode) else { return false }
            return !number.hasPrefix("+" + countryCode)
        }.count
        guard international >= limit else { return nil }
        Counter(label: "switchboard_routing_limit_rejections_total", dimensions: [("limit", "international")]).increment()
        return .rejected(403, "International call limit reached")
    }

    // MARK: Context

    /// "user:1002|group:sales,user:1002": the destination that rang and the path that led there.
    static func context(_ visited: [String]) -> String {
        "\(visited.last ?? "")|\(visited.joined(separator: ","))"
    }

    static func parse(context: String) -> (current: String, visited: [String]) {
        let parts = context.split(separator: "|", maxSplits: 1).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : [])
    }
}

extension CallDiversion.Reason {
    /// Why the call went on from where it was, as RFC 5806 says it.
    init(_ reason: DepositReason) {
        self = switch reason {
        case .forwarding: .unconditional
        case .busy: .userBusy
        case .noAnswer: .noAnswer
        case .unregistered: .unavailable
        case .closed: .timeOfDay
        case .direct: .unknown
        }
    }
}

/// What a device dials for a feature rather than a person.
enum FeatureCode: String {
    /// One's own voicemail box, without a PIN.
    case ownVoicemail = "*97"
    /// Any box, with its number and PIN.
    case anyVoicemail = "*98"
}

extension CallRoute {
    static func rejected(_ status: Int, _ reason: String) -> CallRoute {
        CallRoute(targets: [], strategy: .parallel, presentedNumber: nil, classification: .business,
                  reject: RouteRejection(status: status, reason: reason))
    }

    /// The edge answers the call into an application.
    static func application(_ application: CallApplication) -> CallRoute {
        var route = CallRoute(targets: [], strategy: .parallel, presentedNumber: nil, classification: .business, reject: nil)
        route.application = application
        return route
    }
}
