import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

@testable import Routing

/// The dialplan against a real tenant schema: each case configures forwarding, groups and limits
/// through the same code as the CLI, then checks the plan routing makes.
@Suite("dialplan decisions", .serialized, .timeLimit(.minutes(2)))
struct DialplanTests {
    struct Tenant {
        let slug: TenantSlug
        let config: DialplanConfiguration
        let dialplan: Dialplan
        let db: PostgresClient
        let publisher: EventPublisher
        /// The tenant's main number.
        let did: String

        /// Users 1001–1004, each with one device registered at 127.0.0.1:50XX.
        static func make() async throws -> Tenant {
            let db = TestEnvironment.postgres(maxConnections: 2)
            _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
            let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
            let prefix = TestEnvironment.unique("dp") + "."
            let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
            try await admin.ensureTopics(switchboardTopics(prefix: prefix))
            let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
            let provisioning = Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger)
            let name = TestEnvironment.unique("dp")
            try await provisioning.createTenant(slug: name, name: "Dialplan", sipDomain: name.replacingOccurrences(of: "_", with: "-") + ".example.com")
            let slug = try TenantSlug(name)
            let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
            try await provisioning.assignNumber(tenant: name, number: did)
            for ext in ["1001", "1002", "1003", "1004"] {
                try await provisioning.createUser(tenant: name, extension: ext, name: "User \(ext)", password: "password-\(ext)")
                try await db.query("""
                    INSERT INTO \(identifier: slug.schema).registrations (aor, contact, device_id, expires_at, source, edge)
                    SELECT 'sip:' || \(ext) || '@x', 'sip:' || \(ext) || '@127.0.0.1:50' || right(\(ext), 2), d.id, now() + interval '1 hour',
                           '127.0.0.1:50' || right(\(ext), 2), 0
                    FROM \(identifier: slug.schema).devices d WHERE d.username = \(ext)
                    """)
            }
            return Tenant(slug: slug, config: DialplanConfiguration(db: db, publisher: publisher),
                          dialplan: Dialplan(db: db, countryCode: "372"), db: db, publisher: publisher, did: did)
        }

        func call(_ dialled: String, from caller: String = "1001") async throws -> CallRoute {
            try await dialplan.route(CallOffered(edge: 0, from: "sip:\(caller)@x", to: "sip:\(dialled)@x", origin: .device,
                                                 callerExtension: caller, dialled: dialled), callID: "test", tenant: slug)
        }

        func failed(_ route: CallRoute, cause: PlanFailure) async throws -> CallRoute {
            let offer = CallOffered(edge: 0, from: "sip:1001@x", to: "sip:x@x", origin: .device, callerExtension: "1001", dialled: "x")
            return try await dialplan.fallback(CallPlanFailed(offer: offer, context: try #require(route.context), cause: cause), tenant: slug)
        }
    }

    /// Who a plan rings: extensions of devices (from their contact) and numbers at the trunk.
    static func rung(_ route: CallRoute) -> [String] {
        route.targets.map { $0.uri.dropFirst(4).split(separator: "@").first.map(String.init) ?? $0.uri }
    }

    @Test("forwarding chains and number destinations: own numbers stay inside, the IVR needs its add-on, recording follows the number's add-on")
    func forwardingChains() async throws {
        let tenant = try await Tenant.make()
        let config = tenant.config
        let slug = tenant.slug.value

        #expect(Self.rung(try await tenant.call("1002")) == ["1002"], "no forwarding: the user's devices")

        try await config.setForwarding(tenant: slug, extension: "1002", when: "always", to: "user:1003", noAnswerSeconds: nil)
        #expect(Self.rung(try await tenant.call("1002")) == ["1003"], "always → another user")

        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "external:+3725550100", noAnswerSeconds: nil)
        let external = try await tenant.call("1002")
        #expect(Self.rung(external) == ["+3725550100"] && external.targets.first?.via == .trunk, "chained on to a mobile through the trunk")

        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "user:1002", noAnswerSeconds: nil)
        #expect(try await tenant.call("1002").reject?.status == 482, "1002 → 1003 → 1002 is a loop")

        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "voicemail", noAnswerSeconds: nil)
        #expect(try await tenant.call("1002").application == CallApplication(kind: .voicemail, name: "1003", reason: .forwarding),
                "forwarded to voicemail: the box of the user it was for, greeted as forwarded")

        try await config.setForwarding(tenant: slug, extension: "1002", when: "always", to: nil, noAnswerSeconds: nil)
        try await config.setForwarding(tenant: slug, extension: "1002", when: "busy", to: "user:1004", noAnswerSeconds: nil)
        try await config.setForwarding(tenant: slug, extension: "1002", when: "no-answer", to: "user:1001", noAnswerSeconds: 12)
        let plan = try await tenant.call("1002")
        #expect(Self.rung(plan) == ["1002"])
        #expect(plan.targets.first?.ringSeconds == 12, "rings for the no-answer time")
        #expect(Self.rung(try await tenant.failed(plan, cause: .busy)) == ["1004"], "busy → busy destination")
        #expect(Self.rung(try await tenant.failed(plan, cause: .noAnswer)) == ["1001"], "no answer → no-answer destination")

        try await tenant.db.query("DELETE FROM \(identifier: tenant.slug.schema).registrations WHERE contact LIKE 'sip:1004@%'")
        try await config.setForwarding(tenant: slug, extension: "1004", when: "unregistered", to: "external:+3725550104", noAnswerSeconds: nil)
        #expect(Self.rung(try await tenant.call("1004")) == ["+3725550104"], "unregistered → its destination")
        try await config.setForwarding(tenant: slug, extension: "1004", when: "unregistered", to: nil, noAnswerSeconds: nil)
        #expect(try await tenant.call("1004").reject?.status == 480)
        #expect(try await tenant.call("1999").reject?.status == 404)

        try await config.routeNumber(tenant: slug, number: tenant.did, to: "user:1002")
        let own = try await tenant.call(tenant.did)
        #expect(Self.rung(own) == ["1002"] && own.targets.first?.via != .trunk, "the tenant's own number stays inside")

        // The IVR is an add-on: without it, no call reaches one and no number can be routed to one.
        // A prompt as recording would have stored it (menus and announcements name prompts that exist).
        try await tenant.db.query("""
            INSERT INTO \(identifier: tenant.slug.schema).media_objects (sha256, kind, size, duration_ms) VALUES (repeat('a', 64), 'prompt', 44, 0);
            INSERT INTO \(identifier: tenant.slug.schema).prompts (name, sha256, source) VALUES ('hello', repeat('a', 64), 'upload')
            """)
        try await config.createMenu(tenant: slug, MenuView(name: "main", greeting: "hello", invalidPrompt: "hello", timeoutPrompt: "hello",
                                                           options: ["1": "user:1002"]))
        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "ivr:main", noAnswerSeconds: nil)
        #expect(try await tenant.call("1003").reject == RouteRejection(status: 480, reason: "IVR add-on not subscribed"))
        await #expect(throws: TenancyError.self) { try await config.routeNumber(tenant: slug, number: tenant.did, to: "ivr:main") }
        try await tenant.db.query("INSERT INTO \(identifier: tenant.slug.schema).subscriptions (code, starts, monthly_price) VALUES ('ivr', current_date, 5)")
        #expect(try await tenant.call("1003").application == CallApplication(kind: .ivr, name: "main"), "subscribed: on to the IVR")
        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "ivr:nothing", noAnswerSeconds: nil)
        #expect(try await tenant.call("1003").reject?.status == 404, "a menu that does not exist")
        await #expect(throws: TenancyError.self) { try await config.routeNumber(tenant: slug, number: tenant.did, to: "ivr:nothing") }
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "ivr:main")

        // Announcements: a destination of their own, and the welcome before a group, which hands
        // the call back to the group when it is done.
        try await config.createAnnouncement(tenant: slug, AnnouncementView(name: "closed", prompts: ["hello"], next: "none"))
        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "announcement:closed", noAnswerSeconds: nil)
        #expect(try await tenant.call("1003").application == CallApplication(kind: .announcement, name: "closed"))
        try await config.createGroup(tenant: slug, name: "welcomed", strategy: "ring-all", memberSeconds: 20, totalSeconds: 60, overflow: "none")
        try await config.addMember(tenant: slug, group: "welcomed", member: "1002", ringSeconds: nil)
        try await config.setWelcome(tenant: slug, group: "welcomed", announcement: "closed")
        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "group:welcomed", noAnswerSeconds: nil)
        let welcome = try #require(try await tenant.call("1003").application)
        #expect(welcome == CallApplication(kind: .announcement, name: "closed", next: "group:welcomed"))
        let handedOn = try await tenant.dialplan.transfer(
            CallTransferRequested(offer: CallOffered.example, destination: "group:welcomed", from: welcome), tenant: tenant.slug)
        #expect(Self.rung(handedOn) == ["1002"], "after the welcome the group rings")
        await #expect(throws: TenancyError.self) {
            try await config.createAnnouncement(tenant: slug, AnnouncementView(name: "bad", prompts: ["no-such-prompt"], next: "none"))
        }
        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: nil, noAnswerSeconds: nil)

        try await config.routeNumber(tenant: slug, number: tenant.did, to: "user:1002")
    }

    @Test("recording: a number's add-on records its calls in and out for the add-on's retention, as the number's or the user's policy says, with the tenant's notice; private calls never")
    func recordingPolicy() async throws {
        let tenant = try await Tenant.make()
        let (config, slug, schema) = (tenant.config, tenant.slug.value, tenant.slug.schema)
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "user:1002")
        let inbound = CallOffered(edge: 0, from: "sip:+3725550000@trunk", to: "sip:x@x", origin: .trunk, callerExtension: nil, dialled: tenant.did)
        let callIn = { try await tenant.dialplan.route(inbound, callID: "test", tenant: tenant.slug).recording }
        let callOut = { (caller: String) in try await tenant.call("+3725550123", from: caller).recording }
        #expect(try await callIn() == nil, "no add-on, no recording")
        #expect(try await callOut("1001") == nil)

        // The tenant's own notice prompt (the system one is made by recording, not here).
        let notice = String(repeating: "ab", count: 32)
        try await tenant.db.query("INSERT INTO \(identifier: schema).media_objects (sha256, kind, size, duration_ms) VALUES (\(notice), 'prompt', 10, 1000)")
        try await tenant.db.query("INSERT INTO \(identifier: schema).prompts (name, sha256, source) VALUES ('recording-notice', \(notice), 'upload')")
        try await tenant.db.query("""
            INSERT INTO \(identifier: schema).subscriptions (code, number, starts, monthly_price)
            VALUES ('recording-60d', \(tenant.did), current_date, 12.78), ('recording-10d', \(tenant.did), current_date - 40, 6.39)
            """)
        #expect(try await callIn() == RecordingPlan(number: tenant.did, direction: .inbound, user: "1002", retentionDays: 60, notice: true,
                                                    noticeSha256: notice), "the longest retention; the number's user")
        #expect(try await tenant.call(tenant.did).recording?.direction == .inbound, "dialled from inside too")
        #expect(try await tenant.call("1002").recording == nil, "an extension has no recording add-on")
        #expect(try await callOut("1001") == RecordingPlan(number: tenant.did, direction: .outbound, user: "1001", retentionDays: 60, notice: true,
                                                           noticeSha256: notice), "out, presenting the main number")
        #expect(try await tenant.call("*7#+3725550123", from: "1001").recording == nil, "a private call is never recorded")

        // The number's policy: one direction, or without the notice.
        try await config.setNumberRecordingPolicy(tenant: slug, number: tenant.did, policy: .inbound, notice: true)
        #expect(try await callIn() != nil)
        #expect(try await callOut("1001") == nil)
        try await config.setNumberRecordingPolicy(tenant: slug, number: tenant.did, policy: .outbound, notice: false)
        #expect(try await callIn() == nil)
        let quiet = try #require(try await callOut("1001"))
        #expect(!quiet.notice && quiet.noticeSha256 == nil)
        #expect(try await config.numberRecordingPolicies(tenant: slug)
                == [NumberRecordingPolicy(number: tenant.did, policy: .outbound, notice: false, retentionDays: 60)])

        // A user's policy wins over the number's for that user's calls only.
        try await config.setNumberRecordingPolicy(tenant: slug, number: tenant.did, policy: .both, notice: true)
        try await config.setUserRecordingPolicy(tenant: slug, UserRecordingPolicy(extension: "1001", policy: RecordingPolicy.none, notice: nil, visible: true))
        #expect(try await callOut("1001") == nil, "1001 is never recorded")
        #expect(try await callOut("1003")?.user == "1003", "1003 follows the number")
        try await config.setUserRecordingPolicy(tenant: slug, UserRecordingPolicy(extension: "1002", policy: .outbound, notice: false, visible: false))
        #expect(try await callIn() == nil, "1002 records only what it calls out")
        #expect(try await config.userRecordingPolicy(tenant: slug, extension: "1001")
                == UserRecordingPolicy(extension: "1001", policy: RecordingPolicy.none, notice: nil, visible: true))
        await #expect(throws: TenancyError.self) {
            try await config.setNumberRecordingPolicy(tenant: slug, number: "+3720000000", policy: .both, notice: true)
        }

        // Without a notice to play, the plan says so: the edge then records nothing.
        try await tenant.db.query("DELETE FROM \(identifier: schema).prompts WHERE name = 'recording-notice'")
        let unannounced = try #require(try await callOut("1003"))
        #expect(unannounced.notice && unannounced.noticeSha256 == nil || unannounced.noticeSha256 != notice,
                "the tenant's notice is gone: the system one, or none")

        // A tier beyond a year is kept a year.
        #expect(RecordingPlan(number: tenant.did, direction: .inbound, user: nil, retentionDays: 400, notice: true, noticeSha256: nil).retentionDays == 365)
    }

    @Test("groups: strategies become stages; logged-out members are skipped; overflow after no answer; round robin takes turns")
    func groups() async throws {
        let tenant = try await Tenant.make()
        let config = tenant.config
        let slug = tenant.slug.value
        try await config.createGroup(tenant: slug, name: "desk", strategy: "linear", memberSeconds: 10, totalSeconds: 40, overflow: "user:1004")
        for member in ["1002", "1003", "+3725550199"] {
            try await config.addMember(tenant: slug, group: "desk", member: member, ringSeconds: member == "1003" ? 7 : nil)
        }
        let linear = try await tenant.call("*8#1002")  // a prefix on an internal call changes nothing but the class
        #expect(Self.rung(linear) == ["1002"])

        try await config.routeNumber(tenant: slug, number: tenant.did, to: "group:desk")
        let plan = try await tenant.dialplan.route(
            CallOffered(edge: 0, from: "sip:+3725550000@trunk", to: "sip:x@x", origin: .trunk, callerExtension: nil, dialled: tenant.did),
            callID: "t", tenant: tenant.slug)
        #expect(plan.strategy == .sequential)
        #expect(Self.rung(plan) == ["1002", "1003", "+3725550199"])
        #expect(plan.targets.map(\.stage) == [0, 1, 2])
        #expect(plan.targets.map(\.ringSeconds) == [10, 7, 10])
        #expect(plan.totalSeconds == 40)
        #expect(Self.rung(try await tenant.failed(plan, cause: .noAnswer)) == ["1004"], "overflow")

        try await config.setLoggedIn(tenant: slug, group: "desk", member: "1002", loggedIn: false)
        let withoutFirst = try await tenant.dialplan.route(
            CallOffered(edge: 0, from: "sip:+3725550000@trunk", to: "sip:x@x", origin: .trunk, callerExtension: nil, dialled: tenant.did),
            callID: "t", tenant: tenant.slug)
        #expect(Self.rung(withoutFirst) == ["1003", "+3725550199"])

        try await config.createGroup(tenant: slug, name: "rr", strategy: "round-robin", memberSeconds: 10, totalSeconds: 40, overflow: "none")
        for member in ["1001", "1002", "1003"] { try await config.addMember(tenant: slug, group: "rr", member: member, ringSeconds: nil) }
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "group:rr")
        var firsts: [String] = []
        for _ in 0..<4 {
            let turn = try await tenant.dialplan.route(
                CallOffered(edge: 0, from: "sip:+3725550000@trunk", to: "sip:x@x", origin: .trunk, callerExtension: nil, dialled: tenant.did),
                callID: "t", tenant: tenant.slug)
            firsts.append(Self.rung(turn).first ?? "")
        }
        #expect(firsts == ["1001", "1002", "1003", "1001"])

        // Longest idle: idle time counts from the end of the member's last answered call (from the CDRs).
        try await config.createGroup(tenant: slug, name: "idle", strategy: "longest-idle", memberSeconds: 10, totalSeconds: 40, overflow: "none")
        for member in ["1001", "1002", "1003"] { try await config.addMember(tenant: slug, group: "idle", member: member, ringSeconds: nil) }
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "group:idle")
        let now = Date()
        for (member, ago) in [("1001", 60.0), ("1003", 5.0)] {
            try await tenant.dialplan.memberCallEnded(CallRecord(from: "+3725550000", to: tenant.did, direction: .inbound, classification: .business,
                                                                 start: now.addingTimeInterval(-ago - 30), answer: now.addingTimeInterval(-ago - 20),
                                                                 end: now.addingTimeInterval(-ago), billableSeconds: 20, cause: "normal",
                                                                 answeredBy: member), tenant: tenant.slug)
        }
        let idle = try await tenant.dialplan.route(
            CallOffered(edge: 0, from: "sip:+3725550000@trunk", to: "sip:x@x", origin: .trunk, callerExtension: nil, dialled: tenant.did),
            callID: "t", tenant: tenant.slug)
        #expect(Self.rung(idle) == ["1002", "1001", "1003"], "never had a call, then idle longest")
    }

    @Test("voicemail: the called user's box for each reason, a group's box on overflow, voicemail:BOX, *97 and *98 from a device")
    func voicemail() async throws {
        let tenant = try await Tenant.make()
        let (slug, config) = (tenant.slug.value, tenant.config)
        try await config.setForwarding(tenant: slug, extension: "1002", when: "busy", to: "voicemail", noAnswerSeconds: nil)
        try await config.setForwarding(tenant: slug, extension: "1002", when: "no-answer", to: "voicemail", noAnswerSeconds: 10)
        let plan = try await tenant.call("1002")
        #expect(try await tenant.failed(plan, cause: .busy).application == CallApplication(kind: .voicemail, name: "1002", reason: .busy))
        #expect(try await tenant.failed(plan, cause: .noAnswer).application == CallApplication(kind: .voicemail, name: "1002", reason: .noAnswer))
        try await tenant.db.query("DELETE FROM \(identifier: tenant.slug.schema).registrations WHERE contact LIKE 'sip:1003@%'")
        try await config.setForwarding(tenant: slug, extension: "1003", when: "unregistered", to: "voicemail", noAnswerSeconds: nil)
        #expect(try await tenant.call("1003").application == CallApplication(kind: .voicemail, name: "1003", reason: .unregistered))

        // A group whose overflow is its own box (numbered 800); voicemail:BOX names a box directly.
        try await config.createGroup(tenant: slug, name: "sales", strategy: "ring-all", memberSeconds: 20, totalSeconds: 60, overflow: "voicemail")
        let voicemail = Voicemail(db: tenant.db, publisher: tenant.publisher, actor: "test")
        let pin = try await voicemail.createGroupBox(tenant: slug, group: "sales", number: "800", email: nil)
        #expect(pin.count == 6 && pin != "800")
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "group:sales")
        #expect(try await tenant.call(tenant.did).application == CallApplication(kind: .voicemail, name: "800", reason: .unregistered))
        // Closed hours of a schedule that opens to the group: the group's box.
        try await config.createSchedule(tenant: slug, name: "never", open: "group:sales", closed: "voicemail")
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "schedule:never")
        #expect(try await tenant.call(tenant.did).application == CallApplication(kind: .voicemail, name: "800", reason: .closed))
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "voicemail:1004")
        #expect(try await tenant.call(tenant.did).application == CallApplication(kind: .voicemail, name: "1004", reason: .direct))
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "voicemail:999")
        #expect(try await tenant.call(tenant.did).reject == RouteRejection(status: 404, reason: "No such voicemail box"))

        // Listening: one's own box from one's device, or any box with its PIN.
        #expect(try await tenant.call("*97", from: "1004").application == CallApplication(kind: .mailbox, name: "1004"))
        #expect(try await tenant.call("*98", from: "1004").application == CallApplication(kind: .mailbox, name: ""))
        try await config.routeNumber(tenant: slug, number: tenant.did, to: "mailbox")
        #expect(try await tenant.call(tenant.did).application == CallApplication(kind: .mailbox, name: ""))
    }

    @Test("limits: concurrent calls and international calls are refused with 403 past the cap; emergency calls always go out, never anonymous")
    func limits() async throws {
        let tenant = try await Tenant.make()
        try await tenant.config.setLimits(tenant: tenant.slug.value, concurrentCalls: 2, internationalCalls: 1)
        #expect(try await tenant.call("1002").reject == nil)
        try await tenant.db.query("""
            INSERT INTO platform.edge_calls (call_id, edge, tenant, caller, callee, direction, started_at) VALUES
            (\(UUID().uuidString), 0, \(tenant.slug.value), '1003', '+4420794609', 'outbound', now())
            """)
        #expect(try await tenant.call("+4420794600").reject
                == RouteRejection(status: 403, reason: "International call limit reached", direction: .outbound, number: "+4420794600"))
        #expect(try await tenant.call("5550123").reject == nil, "national calls are not international")
        try await tenant.db.query("""
            INSERT INTO platform.edge_calls (call_id, edge, tenant, caller, callee, direction, started_at) VALUES
            (\(UUID().uuidString), 0, \(tenant.slug.value), '1004', '1002', 'internal', now())
            """)
        #expect(try await tenant.call("1002").reject == RouteRejection(status: 403, reason: "Concurrent call limit reached"))
        #expect(try await tenant.call("5550123").reject
                == RouteRejection(status: 403, reason: "Concurrent call limit reached", direction: .outbound, number: "+3725550123"),
                "a refused call out says where it was going, in E.164")
        try await tenant.db.query("DELETE FROM platform.edge_calls WHERE tenant = \(tenant.slug.value)")
        try await tenant.config.setLimits(tenant: tenant.slug.value, concurrentCalls: 0, internationalCalls: 0)
        #expect(try await tenant.call("1002").reject?.status == 403)
        let emergency = try await tenant.call("*31#112")
        #expect(emergency.targets.first?.uri == "sip:112@trunk")
        #expect(emergency.anonymous == nil, "never anonymous")
    }
}
