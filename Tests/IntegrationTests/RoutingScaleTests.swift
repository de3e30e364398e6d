import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

@Suite("routing instances in one consumer group", .timeLimit(.minutes(3)))
struct RoutingScaleTests {
    @Test("offers keep coming while a second routing instance joins and the first leaves: every call gets exactly one decision")
    func rebalanceLosesAndDuplicatesNothing() async throws {
        let prefix = TestEnvironment.unique("scale") + "."
        try await ensureTopics(prefix: prefix)
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
        let provisioning = Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger)
        let slug = TestEnvironment.unique("scale")
        try await provisioning.createTenant(slug: slug, name: "Scale", sipDomain: slug.replacingOccurrences(of: "_", with: "-") + ".example.com")
        try await provisioning.createUser(tenant: slug, extension: "1002", name: "Callee", password: "password-1002")

        func startRouting() throws -> (ServiceProcess, Int) {
            let port = try freePort()
            return (try ServiceProcess("routing", environment: serviceEnvironment(prefix: prefix, port: port)), port)
        }
        let (first, firstPort) = try startRouting()
        defer { first.stop() }
        let ready = await eventually(timeout: .seconds(40)) { (try? await httpGet("http://127.0.0.1:\(firstPort)/health/ready").status) == 200 }
        try #require(ready, "routing did not become ready: \(first.log)")

        // 150 offers over about 9 s; the second instance joins after 2 s, the first leaves after 5 s or later.
        let count = 150
        let offers = Task {
            for index in 0..<count {
                let offer = CallOffered(edge: 0, from: "sip:+3725550000@trunk", to: "sip:1002@x", origin: .device,
                                        callerExtension: nil, dialled: "1002")
                try await publisher.publish(Envelope(tenant: slug, callId: "scale-\(index)", data: offer), key: slug)
                try await Task.sleep(for: .milliseconds(60))
            }
        }
        try await Task.sleep(for: .seconds(2))
        let (second, _) = try startRouting()
        defer { second.stop() }
        try await Task.sleep(for: .seconds(3))
        // As in a rolling update, the first leaves once the second has joined the group (has
        // partitions): killing a member in the middle of a rebalance stalls Tansu's coordinator.
        let joined = await eventually(timeout: .seconds(30)) { second.log.contains("kafka partitions assigned") }
        #expect(joined, "the second instance never got partitions: \(second.log.suffix(2000))")
        first.stop()
        try await offers.value

        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("read"), partitions: [
                TopicPartitionOffset(topic: Topic.callCommands.name(prefix: prefix), partition: 0, offset: TopicPartitionOffset.beginning),
            ]),
            logger: TestEnvironment.logger)
        var decisions: [String: Int] = [:]
        _ = try await eventually(timeout: .seconds(60)) {
            while let message = try await consumer.poll(timeoutMilliseconds: 50) {
                if let call = try EnvelopeHeader.decode(message.value ?? []).callId { decisions[call, default: 0] += 1 }
            }
            return decisions.count == count
        }
        await consumer.close()
        #expect(decisions.count == count, "decisions for \(decisions.count) of \(count) calls\n\(second.log.suffix(2000))")
        let duplicated = decisions.filter { $0.value > 1 }
        #expect(duplicated.isEmpty, "decided twice: \(duplicated.keys.sorted())")
        #expect(decisions.values.reduce(0, +) == count)
        await producer.shutdown()
        await db.shutdown()
    }
}
