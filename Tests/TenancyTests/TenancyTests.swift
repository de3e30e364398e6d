import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// A database with migrations applied and topics under a prefix of this test's own.
struct Fixture {
    let db: PostgresClient
    let publisher: EventPublisher
    let provisioning: Provisioning
    let prefix: String

    static func make() async throws -> Fixture {
        let db = TestEnvironment.postgres()
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let prefix = TestEnvironment.unique("p") + "."
        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        try await admin.ensureTopics(switchboardTopics(prefix: prefix))
        let publisher = EventPublisher(producer: try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger),
                                       topicPrefix: prefix)
        return Fixture(db: db, publisher: publisher,
                       provisioning: Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger), prefix: prefix)
    }

    func close() async {
        await publisher.producer.shutdown()
        await db.shutdown()
    }

    /// Every message on `topic` from the beginning, until `count` arrived or 10 s passed.
    func read(_ topic: Topic, count: Int) async throws -> [KafkaMessage] {
        let name = topic.name(prefix: prefix)
        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("read"),
                                    partitions: (0..<topic.partitions).map { TopicPartitionOffset(topic: name, partition: $0, offset: TopicPartitionOffset.beginning) }),
            logger: TestEnvironment.logger)
        var messages: [KafkaMessage] = []
        _ = try await eventually(timeout: .seconds(10)) {
            if let message = try await consumer.poll() { messages.append(message) }
            return messages.count >= count
        }
        await consumer.close()
        return messages
    }
}

@Suite("Tenancy: migrations, provisioning, isolation", .timeLimit(.minutes(2)))
struct TenancyTests {
    @Test("migrations run twice change nothing the second time")
    func migrationsAreIdempotent() async throws {
        let fixture = try await Fixture.make()
        let slug = TestEnvironment.unique("mig")
        try await fixture.provisioning.createTenant(slug: slug, name: "Mig", sipDomain: "\(UUID()).example.com")
        let migrator = Migrator(db: fixture.db, logger: TestEnvironment.logger)
        _ = try await migrator.migrateAll()
        let before = try await catalogue(fixture.db, tenant: slug)
        let second = try await migrator.migrateAll()
        // Other tests create tenants meanwhile (applied to them, counted here), but nothing of this one or the platform changes.
        #expect(second.platformApplied.isEmpty)
        #expect(second.tenantsApplied[slug] == nil)
        #expect(try await catalogue(fixture.db, tenant: slug) == before)
        await fixture.close()
    }

    @Test("concurrent migrations are serialised by the advisory lock")
    func concurrentMigrations() async throws {
        let fixture = try await Fixture.make()
        try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
            for _ in 0..<4 { group.addTask { try await Migrator(db: TestEnvironment.postgres(maxConnections: 1), logger: TestEnvironment.logger).migrateAll() } }
            for try await report in group { #expect(report.platformApplied.isEmpty) }
        }
        await fixture.close()
    }

    @Test("creating a tenant creates and migrates its schema and publishes tenant.created")
    func createTenant() async throws {
        let fixture = try await Fixture.make()
        let slug = TestEnvironment.unique("acme")
        let tenant = try await fixture.provisioning.createTenant(slug: slug, name: "Acme OÜ", sipDomain: domain(slug),
                                                                 timeZone: "Europe/Helsinki")
        #expect(tenant.status == .active)
        let tables = try await fixture.db.query("""
            SELECT table_name FROM information_schema.tables WHERE table_schema = \("tenant_" + slug) ORDER BY table_name
            """).map { try $0.decode("table_name", as: String.self) }
        #expect(tables.contains("users") && tables.contains("devices") && tables.contains("schema_migrations"))
        let versions = try await fixture.db.query("SELECT version FROM \(identifier: try SQLIdentifier("tenant_" + slug)).schema_migrations")
        #expect(versions.count == TenantSchema.migrations.count)

        // The event went through the outbox (written with the tenant, sent by this process, which runs
        // no relay of its own), which is empty once the broker took it.
        let messages = try await fixture.read(.tenantLifecycle, count: 1)
        let message = try #require(messages.first)
        #expect(message.header("type") == "tenant.created")
        #expect(message.header("tenant") == slug)
        #expect(message.key == Array(slug.utf8))
        #expect(await eventually(timeout: .seconds(5)) {
            (try? await fixture.db.query("SELECT 1 AS one FROM platform.outbox WHERE deployment = \(fixture.prefix)").isEmpty) == true
        })
        let header = try EnvelopeHeader.decode(message.value ?? [])
        let event = try header.decode(message.value ?? [], as: TenantCreated.self)
        #expect(event.data == TenantCreated(slug: slug, name: "Acme OÜ", sipDomain: domain(slug), timeZone: "Europe/Helsinki"))
        await fixture.close()
    }

    @Test("a taken slug or SIP domain is a conflict, and nothing is half-created")
    func conflicts() async throws {
        let fixture = try await Fixture.make()
        let slug = TestEnvironment.unique("dup")
        try await fixture.provisioning.createTenant(slug: slug, name: "One", sipDomain: domain(slug))
        await #expect(throws: TenancyError.self) {
            try await fixture.provisioning.createTenant(slug: slug, name: "Two", sipDomain: "other-" + domain(slug))
        }
        let other = TestEnvironment.unique("dup")
        await #expect(throws: TenancyError.self) {
            try await fixture.provisioning.createTenant(slug: other, name: "Three", sipDomain: domain(slug))
        }
        let schemas = try await fixture.db.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = \("tenant_" + other)")
        #expect(schemas.isEmpty, "the failed tenant left no schema behind")
        await fixture.close()
    }

    @Test("bad input is refused with a message that says what is wrong", arguments: [
        ("Bad-Slug", "x.example.com", "Europe/Tallinn"), ("a", "x.example.com", "Europe/Tallinn"),
        ("x\"; drop schema platform; --", "x.example.com", "Europe/Tallinn"),
        ("okslug", "not a domain", "Europe/Tallinn"), ("okslug", "x.example.com", "Mars/Olympus"),
    ])
    func invalidTenant(slug: String, domain: String, zone: String) async throws {
        let fixture = try await Fixture.make()
        await #expect(throws: TenancyError.self) {
            try await fixture.provisioning.createTenant(slug: slug, name: "X", sipDomain: domain, timeZone: zone)
        }
        await fixture.close()
    }

    @Test("two tenants with the same extensions never see each other's data")
    func isolation() async throws {
        let fixture = try await Fixture.make()
        let a = TestEnvironment.unique("ta")
        let b = TestEnvironment.unique("tb")
        try await fixture.provisioning.createTenant(slug: a, name: "A", sipDomain: domain(a))
        try await fixture.provisioning.createTenant(slug: b, name: "B", sipDomain: domain(b))
        try await fixture.provisioning.createUser(tenant: a, extension: "1001", name: "Anna of A", password: "password-a")
        try await fixture.provisioning.createUser(tenant: b, extension: "1001", name: "Bert of B", password: "password-b")
        let numberA = "+37260\(Int.random(in: 10_000...99_999))"
        try await fixture.provisioning.assignNumber(tenant: a, number: numberA, userExtension: "1001")
        // The same DID cannot also belong to B.
        await #expect(throws: TenancyError.self) {
            try await fixture.provisioning.assignNumber(tenant: b, number: numberA)
        }

        let usersA = try await fixture.db.query("SELECT name FROM \(identifier: try SQLIdentifier("tenant_" + a)).users")
        let usersB = try await fixture.db.query("SELECT name FROM \(identifier: try SQLIdentifier("tenant_" + b)).users")
        #expect(try usersA.map { try $0.decode("name", as: String.self) } == ["Anna of A"])
        #expect(try usersB.map { try $0.decode("name", as: String.self) } == ["Bert of B"])
        let devicesB = try await fixture.db.query("SELECT realm FROM \(identifier: try SQLIdentifier("tenant_" + b)).devices")
        #expect(try devicesB.map { try $0.decode("realm", as: String.self) } == [domain(b)])
        let numbersB = try await fixture.db.query("SELECT e164 FROM \(identifier: try SQLIdentifier("tenant_" + b)).numbers")
        #expect(numbersB.isEmpty)

        let tenants = try await fixture.provisioning.listTenants()
        #expect(tenants.first { $0.slug == a }?.mainNumber == numberA)
        #expect(tenants.first { $0.slug == b }?.mainNumber == nil)

        // Every config event is keyed and labelled by its own tenant.
        let changes = try await fixture.read(.configChanges, count: 3)
        #expect(changes.count == 3)
        for change in changes {
            let header = try EnvelopeHeader.decode(change.value ?? [])
            #expect(change.header("tenant") == header.tenant)
            #expect(change.key == Array(header.tenant.utf8))
        }
        await fixture.close()
    }

    @Test("SIP credentials are stored as MD5 and SHA-256 HA1 hashes, never the password")
    func credentials() async throws {
        let fixture = try await Fixture.make()
        let slug = TestEnvironment.unique("cred")
        try await fixture.provisioning.createTenant(slug: slug, name: "Cred", sipDomain: domain(slug))
        try await fixture.provisioning.createUser(tenant: slug, extension: "2001", name: "Dev", password: "s3cret-pass", mobile: "+37255512345")
        let row = try #require(try await fixture.db.query(
            "SELECT username, realm, ha1_md5, ha1_sha256 FROM \(identifier: try SQLIdentifier("tenant_" + slug)).devices").first)
        let expected = DigestCredentials.ha1(username: "2001", realm: domain(slug), password: "s3cret-pass")
        #expect(try row.decode("username", as: String.self) == "2001")
        #expect(try row.decode("ha1_md5", as: String.self) == expected.md5)
        #expect(try row.decode("ha1_sha256", as: String.self) == expected.sha256)
        #expect(expected.md5.count == 32 && expected.sha256.count == 64)
        await #expect(throws: TenancyError.self) {
            try await fixture.provisioning.createUser(tenant: slug, extension: "2001", name: "Again", password: "another-pass")
        }
        await #expect(throws: TenancyError.self) {
            try await fixture.provisioning.createUser(tenant: slug, extension: "2002", name: "Short", password: "short")
        }
        await #expect(throws: TenancyError.self) {
            try await fixture.provisioning.createUser(tenant: slug, extension: "2003", name: "Mobile", password: "long-enough", mobile: "5551234")
        }
        await fixture.close()
    }

    @Test("HA1 matches RFC 2617's worked example")
    func ha1KnownValue() {
        // RFC 2617 §3.5: Mufasa / testrealm@host.com / Circle Of Life.
        #expect(DigestCredentials.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life").md5
            == "939e7578ed9e3c518a452acee763bce9")
    }

    /// Tables and columns of the platform schema and one tenant's schema, with the migrations recorded.
    private func catalogue(_ db: PostgresClient, tenant: String) async throws -> [String] {
        let columns = try await db.query("""
            SELECT table_schema || '.' || table_name || '.' || column_name || ':' || data_type AS c
            FROM information_schema.columns WHERE table_schema IN ('platform', \("tenant_" + tenant))
            ORDER BY 1
            """).map { try $0.decode("c", as: String.self) }
        let versions = try await db.query("SELECT version::text AS v FROM \(identifier: try SQLIdentifier("tenant_" + tenant)).schema_migrations ORDER BY 1")
            .map { try $0.decode("v", as: String.self) }
        return columns + versions
    }
}

/// A SIP domain for a test slug (underscores are not allowed in host names).
func domain(_ slug: String) -> String {
    slug.replacingOccurrences(of: "_", with: "-") + ".example.com"
}
