import Events
import Foundation
import Kafka
import Messaging
import Testing
import TestSupport

/// The consumer loop every service uses for its input topics: commit after handling, and a message
/// that cannot be handled goes to `<topic>.dlq` with the error instead of blocking the partition.
@Suite("Event loop and dead letters", .timeLimit(.minutes(2)))
struct EventLoopTests {
    @Test("good envelopes reach the handler; malformed ones and failures go to the DLQ with the error")
    func deadLetters() async throws {
        let prefix = TestEnvironment.unique("loop") + "."
        try await ensureTopics(prefix: prefix)
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
        let topic = Topic.configChanges.name(prefix: prefix)
        try await publisher.publish(Envelope(tenant: "a", data: ConfigChanged(entity: "user", key: "1001", action: "created")))
        try await producer.send(ProducerRecord(topic: topic, key: "a", value: Array("not json".utf8)))
        try await publisher.publish(Envelope(tenant: "b", data: ConfigChanged(entity: "user", key: "poison", action: "created")))
        try await publisher.publish(Envelope(tenant: "c", data: ConfigChanged(entity: "user", key: "1003", action: "created")))

        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("loop"),
                                    partitions: [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.beginning)]),
            logger: TestEnvironment.logger)
        let handled = Handled()
        let loop = EventLoop(consumer: consumer, publisher: publisher, name: "test", logger: TestEnvironment.logger)
        let task = Task {
            try await loop.run { header, message in
                let event = try header.decode(message.value ?? [], as: ConfigChanged.self)
                if event.data.key == "poison" { throw TestFailure("cannot handle poison") }
                await handled.add(event.data.key)
            }
        }
        #expect(await eventually(timeout: .seconds(15)) { await handled.keys == ["1001", "1003"] })
        task.cancel()
        _ = await task.result
        await consumer.close()

        let dlq = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("dlq"), partitions: [
                TopicPartitionOffset(topic: Topic.configChanges.deadLetterName(prefix: prefix), partition: 0, offset: TopicPartitionOffset.beginning),
            ]),
            logger: TestEnvironment.logger)
        var dead: [KafkaMessage] = []
        _ = try await eventually(timeout: .seconds(10)) {
            if let message = try await dlq.poll() { dead.append(message) }
            return dead.count == 2
        }
        await dlq.close()
        #expect(dead.count == 2)
        #expect(dead.first.map { String(decoding: $0.value ?? [], as: UTF8.self) } == "not json")
        #expect(dead.first?.header("dlq-error")?.contains("not an event envelope") == true)
        #expect(dead.last?.header("dlq-error")?.contains("cannot handle poison") == true)
        #expect(dead.last?.header("dlq-origin") == "\(topic)/0/2")
        #expect(dead.last?.header("tenant") == "b")
        await producer.shutdown()
    }
}

actor Handled {
    var keys: [String] = []
    func add(_ key: String) { keys.append(key) }
}
