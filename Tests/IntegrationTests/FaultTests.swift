import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// Issue 10's fault tests: a failure that can pass never dead-letters a message, nothing
/// acknowledged is lost or counted twice, sip-edge drains on SIGTERM, a login flood starves
/// nothing. One at a time (each loads the two cores heavily), beside the rest of the suite.
@Suite("faults: broker and database outages, drain, login flood", .serialized, .timeLimit(.minutes(8)))
struct FaultTests {
    /// When the first of these tests started: they begin only once the suite's start-up (dozens of
    /// migrations and service starts at once) has passed, so that their load and its do not add up
    /// on two cores and time out each other's deadlines.
    static let firstStart = ContinuousClock.now

    static func afterStartUp() async throws {
        try await Task.sleep(until: firstStart + .seconds(40))
    }

    @Test("PostgreSQL restarts while billing consumes 500 CDRs: every CDR is rated exactly once and nothing lands in call.cdrs.dlq, routing's consumer included")
    func databaseRestartWhileRating() async throws {
        try await Self.afterStartUp()
        let cluster = try TestPostgresCluster()
        defer { cluster.destroy() }
        try cluster.start()
        let prefix = TestEnvironment.unique("pgfault") + "."
        try await ensureTopics(prefix: prefix)
        let db = PostgresClient(configuration: PostgresConfiguration(conninfo: cluster.url, maxConnections: 2), logger: TestEnvironment.logger)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
        let slug = TestEnvironment.unique("pgfault")
        try await Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger)
            .createTenant(slug: slug, name: "Fault", sipDomain: slug.replacingOccurrences(of: "_", with: "-") + ".example.com")

        // billing rates call.cdrs; routing reads it too (longest-idle statistics).
        var services: [ServiceProcess] = []
        defer { services.forEach { _ = $0.stop() } }
        for name in ["billing", "routing"] {
            let port = try freePort()
            let service = try ServiceProcess(name, environment: serviceEnvironment(prefix: prefix, port: port, databaseURL: cluster.url))
            services.append(service)
            let ready = await eventually(timeout: .seconds(40)) { (try? await httpGet("http://127.0.0.1:\(port)/health/ready").status) == 200 }
            try #require(ready, "\(name) did not start:\n\(service.log)")
        }

        let count = 500
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let sending = Task {
            for index in 0..<count {
                let record = CallRecord(from: "1001", to: "+37255500\(1000 + index % 1000)", direction: .outbound, classification: .business,
                                        start: start, answer: start.addingTimeInterval(2), end: start.addingTimeInterval(62),
                                        billableSeconds: 60, cause: "normal")
                try await publisher.publish(Envelope(tenant: slug, callId: "fault-\(index)", data: record), key: slug)
                if index % 50 == 49 { try await Task.sleep(for: .milliseconds(100)) }
            }
        }
        // The restart comes while the CDRs are being rated.
        try await Task.sleep(for: .milliseconds(400))
        try cluster.stop()
        try await Task.sleep(for: .seconds(4))
        try cluster.start()
        try await sending.value

        let schema = try TenantSlug(slug).schema
        var rated = (rows: 0, calls: 0)
        let done = await eventually(timeout: .seconds(90)) {
            guard let row = try? await db.query("SELECT count(*)::int AS rows, count(DISTINCT call_id)::int AS calls FROM \(identifier: schema).calls").first
            else { return false }
            rated = ((try? row.decode("rows", as: Int.self)) ?? 0, (try? row.decode("calls", as: Int.self)) ?? 0)
            return rated.calls == count
        }
        #expect(done, "rated \(rated.calls) of \(count):\n\(services[0].log.suffix(3000))")
        try await Task.sleep(for: .seconds(1))
        let final = try await db.query("SELECT count(*)::int AS rows, count(DISTINCT call_id)::int AS calls FROM \(identifier: schema).calls").first
        #expect(try final?.decode("rows", as: Int.self) == count, "each CDR rated exactly once")
        #expect(try final?.decode("calls", as: Int.self) == count)

        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let dead = try await admin.endOffset(topic: Topic.callCDRs.deadLetterName(prefix: prefix), partition: 0)
        #expect(dead == 0, "dead-lettered for a database restart:\n\(services.map { $0.log.suffix(2000) }.joined(separator: "\n"))")
        #expect(services[0].log.contains("retrying"), "billing met the outage and waited:\n\(services[0].log.suffix(2000))")
        await producer.shutdown()
        await db.shutdown()
    }

    @Test("the broker hangs for 60 s while 50 calls are up and all of them end: afterwards each call has its CDR and billing rates each exactly once")
    func brokerOutageDuringCalls() async throws {
        try await Self.afterStartUp()
        let broker = try TestBroker()
        try broker.start()
        defer { broker.stop() }
        let prefix = TestEnvironment.unique("kfault") + "."
        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(broker.brokers), logger: TestEnvironment.logger)
        try await admin.ensureTopics(switchboardTopics(prefix: prefix))
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(broker.brokers), logger: TestEnvironment.logger)
        let provisioning = Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix), logger: TestEnvironment.logger)
        let slug = TestEnvironment.unique("kfault")
        let domain = slug.replacingOccurrences(of: "_", with: "-") + ".example.com"
        try await provisioning.createTenant(slug: slug, name: "Outage", sipDomain: domain)
        for ext in ["1001", "1002"] {
            try await provisioning.createUser(tenant: slug, extension: ext, name: "User \(ext)", password: "password-\(ext)")
        }

        let sipPort = try freeUDPPort()
        var services: [(ServiceProcess, Int)] = []
        defer { services.forEach { _ = $0.0.stop() } }
        for name in ["sip-edge", "routing", "billing"] {
            let port = try freePort()
            var environment = serviceEnvironment(prefix: prefix, port: port)
            environment["SWITCHBOARD_KAFKA_BROKERS"] = broker.brokers
            environment["SWITCHBOARD_SIP_PORT"] = String(sipPort)
            services.append((try ServiceProcess(name, environment: environment), port))
        }
        for (service, port) in services {
            let ready = await eventually(timeout: .seconds(40)) { (try? await httpGet("http://127.0.0.1:\(port)/health/ready").status) == 200 }
            try #require(ready, "not ready:\n\(service.log)")
        }
        let target = "127.0.0.1:\(sipPort)"
        let calleePort = try freeUDPPort()
        let registered = try await runSIPp(scenario: "register.xml", target: target, injection: [["1002", domain, "password-1002", "3600"]],
                                           localPort: calleePort)
        try #require(registered.status == 0, "\(registered.errors)")
        let callee = Task {
            try await runSIPp(scenario: "answer.xml", target: nil, calls: 50, localPort: calleePort, timeout: 40)
        }
        try await Task.sleep(for: .milliseconds(300))
        // 50 calls of 12 s, 25 a second: all are up after about 3 s and end 12 s after they started.
        let callerPort = try freeUDPPort()
        let caller = Task {
            try await runSIPp(scenario: "call.xml", target: target, injection: [["1001", domain, "password-1001", "1002"]], calls: 50,
                              localPort: callerPort, timeout: 40, arguments: ["-d", "12000", "-r", "25", "-l", "50"])
        }
        try await Task.sleep(for: .seconds(6))
        broker.pause()
        let paused = ContinuousClock.now
        let placed = try await caller.value
        #expect(placed.status == 0, "every call was answered and ended while the broker hung: \(placed.errors.suffix(2000))")
        _ = try await callee.value
        // The broker stays hung for 60 s in all.
        try await Task.sleep(for: .seconds(60) - (ContinuousClock.now - paused))
        broker.resume()

        let schema = try TenantSlug(slug).schema
        var rated = 0
        let done = await eventually(timeout: .seconds(90)) {
            rated = (try? await db.query("SELECT count(DISTINCT call_id)::int AS n FROM \(identifier: schema).calls").first?.decode("n", as: Int.self)) ?? 0
            return rated == 50
        }
        #expect(done, "rated \(rated) of 50 calls:\n\(services[0].0.log.suffix(2000))\n\(services[2].0.log.suffix(2000))")
        try await Task.sleep(for: .seconds(2))
        let rows = try await db.query("SELECT count(*)::int AS n FROM \(identifier: schema).calls").first?.decode("n", as: Int.self)
        #expect(rows == 50, "each call rated exactly once")
        let left = try await db.query("SELECT count(*)::int AS n FROM platform.outbox WHERE deployment = \(prefix)").first?.decode("n", as: Int.self)
        #expect(left == 0, "the outbox is empty once the broker took everything")
        await producer.shutdown()
        await db.shutdown()
    }
}
