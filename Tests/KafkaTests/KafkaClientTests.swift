import Foundation
import Kafka
import Logging
import Testing
import TestSupport

@Suite("Kafka client against the local broker", .timeLimit(.minutes(2)))
struct KafkaClientTests {
    let logger = TestEnvironment.logger

    @Test("the loaded librdkafka is 2.1 or later")
    func libraryVersion() throws {
        try KafkaLibrary.requireSupportedVersion()
        #expect(KafkaLibrary.version.split(separator: ".").first.flatMap { Int($0) } ?? 0 >= 2)
    }

    @Test("a message keeps its key, value and headers from producer to consumer")
    func produceAndConsume() async throws {
        let topic = try await TestEnvironment.makeTopic("kv", partitions: 3)
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: logger)
        var reports: [DeliveryReport] = []
        for i in 0..<5 {
            reports.append(try await producer.send(ProducerRecord(
                topic: topic, key: "tenant-\(i % 2)", value: Array("value \(i) ünïcode".utf8),
                headers: [KafkaHeader("type", "test.event"), KafkaHeader("tenant", "t\(i)")])))
        }
        #expect(reports.allSatisfy { $0.topic == topic && $0.offset >= 0 })
        // Same key, same partition.
        #expect(reports[0].partition == reports[2].partition && reports[2].partition == reports[4].partition)

        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("g"),
                                    partitions: (0..<3).map { TopicPartitionOffset(topic: topic, partition: $0, offset: TopicPartitionOffset.beginning) }),
            logger: logger)
        var received: [KafkaMessage] = []
        _ = try await eventually {
            if let message = try await consumer.poll() { received.append(message) }
            return received.count == 5
        }
        await consumer.close()
        try #require(received.count == 5)
        let byValue = Dictionary(uniqueKeysWithValues: received.map { (String(decoding: $0.value ?? [], as: UTF8.self), $0) })
        for i in 0..<5 {
            let message = try #require(byValue["value \(i) ünïcode"])
            #expect(message.key == Array("tenant-\(i % 2)".utf8))
            #expect(message.header("type") == "test.event")
            #expect(message.header("tenant") == "t\(i)")
            #expect(message.topic == topic)
        }
        await producer.shutdown()
    }

    @Test("a message with no key and an empty value is delivered as such")
    func emptyValue() async throws {
        let topic = try await TestEnvironment.makeTopic("empty")
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: logger)
        try await producer.send(ProducerRecord(topic: topic, key: nil, value: []))
        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("g"),
                                    partitions: [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.beginning)]),
            logger: logger)
        var message: KafkaMessage?
        _ = try await eventually { message = try await consumer.poll(); return message != nil }
        #expect(message?.key == nil)
        let value = message?.value ?? []
        #expect(value.isEmpty)
        await consumer.close()
        await producer.shutdown()
    }

    @Test("producing to a topic that does not exist fails with an error, not a hang")
    func unknownTopic() async throws {
        var config = TestEnvironment.kafka()
        config.deliveryTimeoutMilliseconds = 2_000
        let producer = try KafkaProducer(configuration: config, logger: logger)
        let start = ContinuousClock.now
        await #expect(throws: KafkaError.self) {
            try await producer.send(ProducerRecord(topic: TestEnvironment.unique("missing"), key: "k", value: [1]))
        }
        // The deadline is 2 s; the margin absorbs a loaded machine while still catching a hang.
        #expect(ContinuousClock.now - start < .seconds(15))
        await producer.shutdown()
    }

    @Test("two members of a group share three partitions, and the survivor takes all when one leaves")
    func groupRebalance() async throws {
        let topic = try await TestEnvironment.makeTopic("group", partitions: 3)
        let group = TestEnvironment.unique("group")
        let first = try KafkaConsumer(configuration: TestEnvironment.kafka(), subscription: .group(groupID: group, topics: [topic]),
                                      logger: logger)
        let second = try KafkaConsumer(configuration: TestEnvironment.kafka(), subscription: .group(groupID: group, topics: [topic]),
                                       logger: logger)
        // Polling drives the group protocol; keep both members polling in the background.
        let pollFirst = Task { while !Task.isCancelled { _ = try? await first.poll() } }
        let pollSecond = Task { while !Task.isCancelled { _ = try? await second.poll() } }

        let shared = await eventually(timeout: .seconds(40)) {
            let a = (try? await first.assignment()) ?? []
            let b = (try? await second.assignment()) ?? []
            return a.count + b.count == 3 && !a.isEmpty && !b.isEmpty && Set(a.map(\.partition)).isDisjoint(with: b.map(\.partition))
        }
        #expect(shared, "both members own partitions, three in all, none twice")

        pollSecond.cancel()
        _ = await pollSecond.result
        await second.close()
        let tookOver = await eventually(timeout: .seconds(40)) {
            ((try? await first.assignment()) ?? []).count == 3
        }
        #expect(tookOver, "the remaining member owns all three partitions after the other left")
        pollFirst.cancel()
        _ = await pollFirst.result
        await first.close()
    }

    /// Sends m0, m1, … to partition 0 of `topic` (one key); returns the producer, still open.
    func sendNumbered(_ count: Int, to topic: String) async throws -> KafkaProducer {
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: logger)
        for i in 0..<count {
            try await producer.send(ProducerRecord(topic: topic, key: "k", value: Array("m\(i)".utf8)))
        }
        return producer
    }

    /// Reads partition 0 of `topic` from where `group` committed.
    func reader(of topic: String, group: String) throws -> KafkaConsumer {
        let partitions = [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.stored)]
        return try KafkaConsumer(configuration: TestEnvironment.kafka(), subscription: .assigned(groupID: group, partitions: partitions),
                                 logger: logger)
    }

    func text(_ message: KafkaMessage) -> String { String(decoding: message.value ?? [], as: UTF8.self) }

    @Test("a dozing consumer fetches nothing between probes, takes a message at the next probe, and at once when woken")
    func dozing() async throws {
        let topic = try await TestEnvironment.makeTopic("doze")
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: logger)
        var config = TestEnvironment.kafka()
        config.dozing = KafkaDozing(quietAfter: .milliseconds(300), probeEvery: .seconds(4))
        let consumer = try KafkaConsumer(configuration: config,
                                         subscription: .assigned(groupID: TestEnvironment.unique("doze"),
                                                                 partitions: [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.end)]),
                                         logger: logger)
        /// Polls until a message comes or `seconds` pass; the message and when it came.
        func next(within seconds: Double) async throws -> (KafkaMessage, Duration)? {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(seconds) {
                if let message = try await consumer.poll(timeoutMilliseconds: 20) { return (message, ContinuousClock.now - start) }
            }
            return nil
        }
        func dozedOff() async throws -> Bool {
            try await eventually(timeout: .seconds(5)) { _ = try await consumer.poll(timeoutMilliseconds: 20); return consumer.isDozing }
        }
        // Nothing read yet: resumed, it goes on from where it fetched (the end it started at), not
        // from the logical end again, so what came while it dozed is not skipped.
        try #require(try await dozedOff(), "quiet for 300 ms, the consumer pauses")
        // Just paused: the next probe is 4 s away, so a message sent now waits for it.
        try await Task.sleep(for: .milliseconds(50))
        try await producer.send(ProducerRecord(topic: topic, key: "k", value: Array("while dozing".utf8)))
        #expect(try await next(within: 1.5) == nil, "paused partitions are not fetched")
        let probed = try #require(try await next(within: 4), "the probe finds it")
        #expect(text(probed.0) == "while dozing" && !consumer.isDozing)

        try #require(try await dozedOff())
        try await Task.sleep(for: .milliseconds(50))
        try await producer.send(ProducerRecord(topic: topic, key: "k", value: Array("woken".utf8)))
        #expect(try await next(within: 0.5) == nil)
        consumer.wake()
        let woken = try #require(try await next(within: 1), "woken, it fetches at once")
        #expect(text(woken.0) == "woken" && woken.1 < .milliseconds(500))
        await consumer.close()
        await producer.shutdown()
    }

    @Test("a restarted consumer resumes after the last committed offset")
    func commitAndResume() async throws {
        let topic = try await TestEnvironment.makeTopic("resume")
        let group = TestEnvironment.unique("resume")
        let producer = try await sendNumbered(10, to: topic)
        let first = try reader(of: topic, group: group)
        var processed: [String] = []
        _ = try await eventually {
            if let message = try await first.poll() {
                processed.append(text(message))
                first.markProcessed(message)
            }
            return processed.count == 4
        }
        #expect(processed == ["m0", "m1", "m2", "m3"])
        try await first.commit()
        await first.close()

        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(), logger: logger)
        let committed = try await admin.committedOffsets(groupID: group, topics: [topic: 1])
        #expect(committed.first?.offset == 4)

        let second = try reader(of: topic, group: group)
        var next: KafkaMessage?
        _ = try await eventually { next = try await second.poll(); return next != nil }
        #expect(next.map(text) == "m4")
        #expect(next?.offset == 4)
        await second.close()
        await producer.shutdown()
    }

    @Test("stopping while a message is in hand: the message finishes, is committed at close, and the next reader starts after it")
    func stopReadingWithMessageInHand() async throws {
        let topic = try await TestEnvironment.makeTopic("stop")
        let group = TestEnvironment.unique("stop")
        let producer = try await sendNumbered(5, to: topic)
        let consumer = try reader(of: topic, group: group)
        var handled: [String] = []
        for try await message in consumer.messages {
            handled.append(text(message))
            if handled.count == 2 {
                // Shutdown arrives while m1 is being handled: it still finishes and is marked.
                consumer.stopReading()
                try await Task.sleep(for: .milliseconds(300))
            }
            consumer.markProcessed(message)
        }
        #expect(handled == ["m0", "m1"], "no message after the stop")
        await consumer.close()

        let next = try reader(of: topic, group: group)
        var first: KafkaMessage?
        _ = try await eventually { first = try await next.poll(); return first != nil }
        #expect(first.map(text) == "m2", "m1 is not handled again")
        await next.close()
        await producer.shutdown()
    }

    @Test("ensureTopics creates what is missing and is idempotent")
    func ensureTopics() async throws {
        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(), logger: logger)
        let name = TestEnvironment.unique("ensure")
        #expect(try await admin.ensureTopics([(name, 4)]) == [name])
        #expect(try await admin.ensureTopics([(name, 4)]) == [])
        #expect(try await admin.topics()[name] == 4)
    }

    @Test("the producer's buffer is bounded: past it, send throws instead of queueing")
    func boundedBuffer() async throws {
        let topic = try await TestEnvironment.makeTopic("bounded")
        var config = TestEnvironment.kafka()
        config.maxBufferedMessages = 5
        config.lingerMilliseconds = 500
        let producer = try KafkaProducer(configuration: config, logger: logger)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<50 {
                group.addTask { (try? await producer.send(ProducerRecord(topic: topic, key: "k", value: [UInt8(i)]))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.contains(false), "some sends were refused because the buffer was full")
        #expect(results.contains(true))
        await producer.shutdown()
    }
}

@Suite("Kafka client while the broker is away", .timeLimit(.minutes(2)))
struct KafkaBrokerOutageTests {
    /// The outage makes librdkafka log connection errors by design; keep them out of the test output.
    let logger: Logger = {
        var logger = TestEnvironment.logger
        logger.logLevel = .critical
        return logger
    }()

    /// A private broker with topic `topic`, and a producer (2 s delivery deadline) that has delivered once.
    /// Not idempotent: the local broker takes neither the epoch bump an idempotent producer makes
    /// after a timed-out request (KIP-360) nor a restart (it forgets producer ids), unlike real
    /// Kafka; `make run` runs the same way (docs/decisions.md).
    func setUp(topic: String) async throws -> (TestBroker, KafkaConfiguration, KafkaProducer) {
        let broker = try TestBroker()
        try broker.start()
        var config = TestEnvironment.kafka(broker.brokers)
        config.deliveryTimeoutMilliseconds = 2_000
        config.idempotence = false
        try await KafkaAdmin(configuration: config, logger: logger).ensureTopics([(topic, 1)])
        let producer = try KafkaProducer(configuration: config, logger: logger)
        try await producer.send(ProducerRecord(topic: topic, key: "k", value: Array("before".utf8)))
        return (broker, config, producer)
    }

    @Test("a produce while the broker hangs fails within its deadline and succeeds once it answers again")
    func produceWhileBrokerHangs() async throws {
        let (broker, _, producer) = try await setUp(topic: "outage")
        defer { broker.stop() }

        broker.pause()
        let start = ContinuousClock.now
        await #expect(throws: KafkaError.self) {
            try await producer.send(ProducerRecord(topic: "outage", key: "k", value: Array("while away".utf8)))
        }
        let waited = ContinuousClock.now - start
        // librdkafka checks message deadlines once a second; the rest is margin for a loaded machine.
        #expect(waited < .seconds(8), "failed after \(waited); the deadline is 2 s")

        broker.resume()
        let delivered = await eventually(timeout: .seconds(30)) {
            (try? await producer.send(ProducerRecord(topic: "outage", key: "k", value: Array("after".utf8)))) != nil
        }
        #expect(delivered, "a produce succeeds once the broker answers again")
        await producer.shutdown()
    }

    @Test("a produce while the broker is stopped fails within its deadline; after a restart clients work again")
    func produceWhileBrokerStopped() async throws {
        let (broker, config, producer) = try await setUp(topic: "restart")
        defer { broker.stop() }
        let admin = try KafkaAdmin(configuration: config, logger: logger)

        broker.stop()
        let start = ContinuousClock.now
        await #expect(throws: KafkaError.self) {
            try await producer.send(ProducerRecord(topic: "restart", key: "k", value: Array("while down".utf8)))
        }
        #expect(ContinuousClock.now - start < .seconds(15))

        try broker.start()
        let recreated = await eventually(timeout: .seconds(20)) {
            (try? await admin.ensureTopics([("restart", 1)], timeoutMilliseconds: 2_000)) != nil
        }
        #expect(recreated)
        let delivered = await eventually(timeout: .seconds(30)) {
            (try? await producer.send(ProducerRecord(topic: "restart", key: "k", value: Array("after".utf8)))) != nil
        }
        #expect(delivered, "a produce succeeds after the broker returned")
        await producer.shutdown()
    }
}
