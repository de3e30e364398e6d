import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// Issue 10's delivery guarantees under faults: a failure that can pass never dead-letters a
/// message, and nothing acknowledged is lost or counted twice.
@Suite("delivery under faults", .timeLimit(.minutes(4)))
struct DeliveryFaultTests {
    @Test("PostgreSQL restarts while billing consumes 500 CDRs: every CDR is rated exactly once and nothing lands in call.cdrs.dlq, routing's consumer included")
    func databaseRestartWhileRating() async throws {
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
                let record = CallRecord(from: "1001", to: "+37255500\(1000 + index % 1000)", direction: "outbound", classification: "business",
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
}
