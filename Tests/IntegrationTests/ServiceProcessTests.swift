import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// Environment for a service process pointed at the test database and broker, under a topic prefix
/// of the test's own.
/// `brokers`: a private broker's (a test that stops it), else the suite's.
func serviceEnvironment(prefix: String, port: Int, databaseURL: String = TestEnvironment.databaseURL, brokers: String? = nil) -> [String: String] {
    [
        "SWITCHBOARD_DATABASE_URL": databaseURL,
        "SWITCHBOARD_KAFKA_BROKERS": brokers ?? TestEnvironment.kafkaBrokers,
        "SWITCHBOARD_TOPIC_PREFIX": prefix,
        "SWITCHBOARD_HTTP_PORT": String(port),
        "SWITCHBOARD_LOG_FORMAT": "json",
        "SWITCHBOARD_KAFKA_IDEMPOTENCE": "false",
        // Dozens of service processes at once share the test cluster's 200 connections; a test
        // process serves a call or two at a time.
        "SWITCHBOARD_DATABASE_POOL_SIZE": "6",
        // Tansu holds every fetch for the whole wait: at the default 2 ms each call-path consumer
        // costs it 500 fetches a second, and the suite's dozens of processes saturate it on two cores.
        // 20 ms adds at most that to a hop, well inside every deadline the tests check.
        "SWITCHBOARD_KAFKA_FETCH_WAIT_MS": "20",
        // sip-edge binds SIP too: a port of its own, never a running `make run`'s 5060.
        "SWITCHBOARD_SIP_PORT": String((try? freeUDPPort()) ?? 25_060),
    ]
}

func ensureTopics(prefix: String, brokers: String? = nil) async throws {
    let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(brokers), logger: TestEnvironment.logger)
    try await admin.ensureTopics(switchboardTopics(prefix: prefix))
}

@Suite("Service processes", .timeLimit(.minutes(3)))
struct ServiceProcessTests {
    static let executables = ["sip-edge", "routing", "ivr", "recording", "billing", "api"]

    @Test("each service becomes ready, serves health and metrics, follows tenant.lifecycle, and stops cleanly on SIGTERM",
          arguments: executables)
    func lifecycle(executable: String) async throws {
        let prefix = TestEnvironment.unique("svc") + "."
        try await ensureTopics(prefix: prefix)
        let port = try freePort()
        let service = try ServiceProcess(executable, environment: serviceEnvironment(prefix: prefix, port: port))
        let base = "http://127.0.0.1:\(port)"
        let ready = await eventually(timeout: .seconds(30)) { (try? await httpGet("\(base)/health/ready").status) == 200 }
        try #require(ready, "not ready; log:\n\(service.log)")
        #expect(try await httpGet("\(base)/health/live").status == 200)
        let readiness = try await httpGet("\(base)/health/ready").body
        #expect(readiness.contains("\"postgres\":true") && readiness.contains("\"kafka\":true"))

        // A tenant created now reaches the service's control-plane listener.
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let provisioning = Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix),
                                        logger: TestEnvironment.logger)
        // The listener starts at the end of the topic: give it a moment to be assigned before producing.
        try await Task.sleep(for: .milliseconds(500))
        let slug = TestEnvironment.unique("svc")
        try await provisioning.createTenant(slug: slug, name: "Service test", sipDomain: slug.replacingOccurrences(of: "_", with: "-") + ".example.com")
        let counted = await eventually(timeout: .seconds(30)) {
            ((try? await httpGet("\(base)/metrics").body) ?? "").contains("switchboard_control_events_total{type=\"tenant.created\"} 1")
        }
        #expect(counted, "the service counted the tenant.created event; log:\n\(service.log)")
        #expect(try await httpGet("\(base)/metrics").body.contains("switchboard_dependency_up{dependency=\"postgres\"} 1"))

        let status = service.stop(signal: SIGTERM)
        #expect(status == 0, "exit status after SIGTERM; log:\n\(service.log)")
        #expect(service.log.contains("\"message\":\"stopped\""))
        await producer.shutdown()
        await db.shutdown()
    }

    @Test("readiness follows PostgreSQL: 503 while it is down, 200 again when it is back")
    func readinessFollowsDatabase() async throws {
        let cluster = try TestPostgresCluster()
        defer { cluster.destroy() }
        try cluster.start()
        let prefix = TestEnvironment.unique("ready") + "."
        try await ensureTopics(prefix: prefix)
        let port = try freePort()
        let service = try ServiceProcess("routing", environment: serviceEnvironment(prefix: prefix, port: port, databaseURL: cluster.url))
        let base = "http://127.0.0.1:\(port)/health/ready"
        #expect(await eventually(timeout: .seconds(30)) { (try? await httpGet(base).status) == 200 }, "log:\n\(service.log)")
        try cluster.stop()
        #expect(await eventually(timeout: .seconds(15)) { (try? await httpGet(base).status) == 503 })
        #expect(try await httpGet(base).body.contains("\"postgres\":false"))
        try cluster.start()
        #expect(await eventually(timeout: .seconds(15)) { (try? await httpGet(base).status) == 200 })
        #expect(service.stop() == 0)
    }

    @Test("a service refuses to start with a clear message when its topics are missing")
    func missingTopics() async throws {
        let port = try freePort()
        let service = try ServiceProcess("ivr", environment: serviceEnvironment(prefix: TestEnvironment.unique("none") + ".", port: port))
        let exited = await eventually(timeout: .seconds(20)) { service.log.contains("switchboard topics ensure") }
        #expect(exited, "log:\n\(service.log)")
        #expect(service.stop(timeout: .seconds(5)) == 1)
    }

    @Test("a bad setting stops the service at once with one line naming it")
    func badConfiguration() async throws {
        var environment = serviceEnvironment(prefix: "x.", port: try freePort())
        environment["SWITCHBOARD_HTTP_PORT"] = "not-a-port"
        let service = try ServiceProcess("billing", environment: environment)
        #expect(await eventually(timeout: .seconds(10)) { service.log.contains("SWITCHBOARD_HTTP_PORT") })
        #expect(service.stop(timeout: .seconds(5)) == 1)
    }
}
