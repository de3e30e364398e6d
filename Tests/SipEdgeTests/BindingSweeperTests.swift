import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

@testable import SipEdge

@Suite("Expired registrations", .timeLimit(.minutes(2)))
struct BindingSweeperTests {
    @Test("bindings past their expiry are removed once, live ones stay, and each removal is published")
    func sweep() async throws {
        // A database of its own: the sip-edge processes other tests start sweep every tenant they see.
        let cluster = try TestPostgresCluster()
        defer { cluster.destroy() }
        try cluster.start()
        let db = PostgresClient(configuration: PostgresConfiguration(conninfo: cluster.url, maxConnections: 2), logger: TestEnvironment.logger)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let prefix = TestEnvironment.unique("sweep") + "."
        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        try await admin.ensureTopics(switchboardTopics(prefix: prefix))
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
        let slug = TestEnvironment.unique("sweep")
        try await Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger)
            .createTenant(slug: slug, name: "Sweep", sipDomain: slug.replacingOccurrences(of: "_", with: "-") + ".example.com")
        let schema = try SQLIdentifier("tenant_" + slug)
        try await db.query("""
            INSERT INTO \(identifier: schema).registrations (aor, contact, expires_at, source, edge) VALUES
                ('sip:1001@x', 'sip:old@10.0.0.1', now() - interval '1 minute', '10.0.0.1:5060', 0),
                ('sip:1001@x', 'sip:live@10.0.0.2', now() + interval '1 hour', '10.0.0.2:5060', 0)
            """)
        let sweeper = BindingSweeper(db: db, publisher: publisher, logger: TestEnvironment.logger)
        #expect(try await sweeper.sweepOnce() == 1)
        #expect(try await sweeper.sweepOnce() == 0, "a second pass finds nothing more")
        let left = try await db.query("SELECT contact FROM \(identifier: schema).registrations").map { try $0.decode("contact", as: String.self) }
        #expect(left == ["sip:live@10.0.0.2"])

        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("sweep"), partitions: (0..<Topic.sipRegistrations.partitions).map {
                TopicPartitionOffset(topic: Topic.sipRegistrations.name(prefix: prefix), partition: $0, offset: TopicPartitionOffset.beginning)
            }),
            logger: TestEnvironment.logger)
        var removal: Envelope<RegistrationChanged>?
        _ = try await eventually(timeout: .seconds(10)) {
            guard let message = try await consumer.poll() else { return false }
            removal = try EnvelopeHeader.decode(message.value ?? []).decode(message.value ?? [], as: RegistrationChanged.self)
            return removal?.tenant == slug
        }
        await consumer.close()
        #expect(removal?.data.contact == "sip:old@10.0.0.1")
        #expect(removal?.data.expires == 0)
        await producer.shutdown()
        await db.shutdown()
    }
}
