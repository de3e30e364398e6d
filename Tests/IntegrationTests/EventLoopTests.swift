import Events
import Foundation
import Kafka
import Messaging
import Postgres
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

extension EventLoopTests {
    @Test("a failure that can pass (database or broker unavailable) is retried on the same message in order and never dead-lettered")
    func passingFailuresWait() async throws {
        let prefix = TestEnvironment.unique("retry") + "."
        try await ensureTopics(prefix: prefix)
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
        let topic = Topic.configChanges.name(prefix: prefix)
        for key in ["1", "2", "3"] {
            try await publisher.publish(Envelope(tenant: "a", data: ConfigChanged(entity: "user", key: key, action: "created")))
        }
        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("retry"),
                                    partitions: [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.beginning)]),
            logger: TestEnvironment.logger)
        let handled = Handled()
        let attempts = Handled()
        var loop = EventLoop(consumer: consumer, publisher: publisher, name: "test", logger: TestEnvironment.logger)
        loop.backoff = { _ in .milliseconds(20) }
        let task = Task {
            try await loop.run { header, message in
                let key = try header.decode(message.value ?? [], as: ConfigChanged.self).data.key
                await attempts.add(key)
                let tries = await attempts.keys.filter { $0 == key }.count
                // Message 2 meets a refused connection three times, then a broker timeout, then works.
                if key == "2" && tries <= 3 { throw PostgresError(.connection, "connection refused") }
                if key == "2" && tries == 4 { throw KafkaError(.delivery, "message timed out") }
                if key == "2" && tries == 5 { throw PostgresError(.server, "the database system is shutting down", sqlState: "57P03") }
                await handled.add(key)
            }
        }
        #expect(await eventually(timeout: .seconds(15)) { await handled.keys == ["1", "2", "3"] })
        #expect(await attempts.keys == ["1", "2", "2", "2", "2", "2", "2", "3"], "the partition waited for message 2")
        task.cancel()
        _ = await task.result
        await consumer.close()
        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        #expect(try await admin.endOffset(topic: Topic.configChanges.deadLetterName(prefix: prefix), partition: 0) == 0,
                "nothing dead-lettered for a failure that can pass")
        await producer.shutdown()
    }

    @Test("failures are told apart: connection, shutdown and transient SQLSTATEs can pass; data errors and bad messages cannot")
    func classification() {
        #expect(HandlingFailure(PostgresError(.connection, "refused")) == .canPass)
        #expect(HandlingFailure(PostgresError(.server, "admin shutdown", sqlState: "57P01")) == .canPass)
        #expect(HandlingFailure(PostgresError(.server, "serialization", sqlState: "40001")) == .canPass)
        #expect(HandlingFailure(PostgresError(.server, "bad input", sqlState: "22P02")) == .permanent)
        #expect(HandlingFailure(PostgresError(.server, "duplicate", sqlState: "23505")) == .permanent)
        #expect(HandlingFailure(KafkaError(.timeout, "no answer")) == .canPass)
        #expect(HandlingFailure(EventError(message: "malformed")) == .permanent)
        #expect(HandlingFailure(TestFailure("anything else")) == .permanent)
    }
}

actor Handled {
    var keys: [String] = []
    func add(_ key: String) { keys.append(key) }
}
