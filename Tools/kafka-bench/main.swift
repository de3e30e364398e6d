// kafka-bench: request/reply round trips over Kafka between two processes through the Swift client,
// and producer throughput. `make bench` runs it against the local broker.
//
//   kafka-bench run  --brokers HOST:PORT [--count 1000] [--throughput 50000]
//   kafka-bench echo --brokers HOST:PORT --requests TOPIC --replies TOPIC   (started by `run`)
//   kafka-bench play-loop --brokers HOST:PORT [--prefix P] --sha256 HASH      (scripts/bench-media)
import Foundation
import Kafka
import Logging

let logger: Logger = {
    var logger = Logger(label: "kafka-bench")
    logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_BENCH_DEBUG"] == nil ? .error : .debug
    return logger
}()

func option(_ name: String, _ fallback: String? = nil) -> String {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count { return arguments[index + 1] }
    guard let fallback else {
        FileHandle.standardError.write(Data("kafka-bench: --\(name) is required\n".utf8))
        exit(2)
    }
    return fallback
}

func configuration(_ brokers: String, client: String) -> KafkaConfiguration {
    var config = KafkaConfiguration(bootstrapServers: brokers, clientID: client)
    config.lingerMilliseconds = 0
    config.fetchWaitMaxMilliseconds = Int(ProcessInfo.processInfo.environment["KAFKA_BENCH_FETCH_WAIT_MS"] ?? "2") ?? 2
    config.idempotence = ProcessInfo.processInfo.environment["SWITCHBOARD_KAFKA_IDEMPOTENCE"] != "false"
    if let debug = ProcessInfo.processInfo.environment["KAFKA_BENCH_DEBUG"] { config.extra["debug"] = debug }
    return config
}

/// A consumer reading every partition of `topic` from its end.
func tailConsumer(_ brokers: String, _ topic: String) throws -> KafkaConsumer {
    try KafkaConsumer(configuration: configuration(brokers, client: "bench-consumer"),
                      subscription: .assigned(groupID: "bench-\(getpid())",
                                              partitions: [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.end)]),
                      logger: logger)
}

/// The other process: answers every request with a reply carrying the same bytes.
func echo() async throws {
    let brokers = option("brokers")
    let producer = try KafkaProducer(configuration: configuration(brokers, client: "bench-echo"), logger: logger)
    let consumer = try tailConsumer(brokers, option("requests"))
    let replies = option("replies")
    for try await message in consumer.messages {
        let value = message.value ?? []
        Task { try? await producer.send(ProducerRecord(topic: replies, key: "r", value: value)) }
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func spawnSelf(_ arguments: [String]) throws -> pid_t {
    var pid: pid_t = 0
    let path = CommandLine.arguments[0]
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { throw KafkaError(.admin, "cannot start the echo process") }
    return pid
}

func run() async throws {
    let brokers = option("brokers")
    let count = Int(option("count", "1000")) ?? 1000
    let throughputCount = Int(option("throughput", "50000")) ?? 50_000
    let suffix = String(getpid())
    let requests = "bench.requests.\(suffix)"
    let replies = "bench.replies.\(suffix)"
    let sink = "bench.throughput.\(suffix)"
    let admin = try KafkaAdmin(configuration: configuration(brokers, client: "bench-admin"), logger: logger)
    try await admin.ensureTopics([(requests, 1), (replies, 1), (sink, 1)])

    let echoPID = try spawnSelf(["echo", "--brokers", brokers, "--requests", requests, "--replies", replies])
    defer { kill(echoPID, SIGKILL); var status: Int32 = 0; waitpid(echoPID, &status, 0) }
    let producer = try KafkaProducer(configuration: configuration(brokers, client: "bench-requester"), logger: logger)
    let consumer = try tailConsumer(brokers, replies)

    /// Sends one request and waits for its reply; returns the round trip in milliseconds.
    func roundTrip(_ sequence: Int, timeout: Duration) async throws -> Double? {
        let token = Array("\(sequence)".utf8)
        let start = ContinuousClock.now
        let send = Task { try await producer.send(ProducerRecord(topic: requests, key: "q", value: token)) }
        while ContinuousClock.now - start < timeout {
            if let reply = try await consumer.poll(timeoutMilliseconds: 20), reply.value == token {
                _ = try? await send.value
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            }
        }
        _ = try? await send.value
        return nil
    }

    // Warm up until the echo process answers (it starts, connects and is assigned its partition).
    var warm = false
    for attempt in 0..<100 where !warm {
        warm = try await roundTrip(-1 - attempt, timeout: .milliseconds(300)) != nil
    }
    guard warm else { throw KafkaError(.timeout, "the echo process never answered") }
    for i in 0..<50 { _ = try await roundTrip(-1000 - i, timeout: .seconds(2)) }

    var samples: [Double] = []
    var lost = 0
    for i in 0..<count {
        if let ms = try await roundTrip(i, timeout: .seconds(2)) { samples.append(ms) } else { lost += 1 }
    }
    samples.sort()

    // Produce latency alone: one message at a time, each acknowledged (acks=all) before the next.
    var acks: [Double] = []
    for i in 0..<min(count, 500) {
        let start = ContinuousClock.now
        try await producer.send(ProducerRecord(topic: sink, key: "k", value: Array("\(i)".utf8)))
        let elapsed = ContinuousClock.now - start
        acks.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    acks.sort()

    // Producer throughput: many sends in flight, each acknowledged by the broker (acks=all).
    let payload = [UInt8](repeating: 0x61, count: 200)
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        let window = 2_000
        for i in 0..<throughputCount {
            if i >= window { try await group.next() }
            group.addTask { try await producer.send(ProducerRecord(topic: sink, key: "k\(i % 64)", value: payload)) }
        }
        try await group.waitForAll()
    }
    let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds)
    await consumer.close()
    await producer.shutdown()

    let rate = Double(throughputCount) / seconds
    print("""

        Kafka through the Swift client (librdkafka \(KafkaLibrary.version)), broker \(brokers)
        | measure                                   | value        |
        |-------------------------------------------|--------------|
        | request/reply round trips (2 processes)   | \(pad(String(samples.count)))|
        | round trip p50                            | \(pad(String(format: "%.2f ms", percentile(samples, 0.50))))|
        | round trip p90                            | \(pad(String(format: "%.2f ms", percentile(samples, 0.90))))|
        | round trip p95                            | \(pad(String(format: "%.2f ms", percentile(samples, 0.95))))|
        | round trip p99                            | \(pad(String(format: "%.2f ms", percentile(samples, 0.99))))|
        | round trip max                            | \(pad(String(format: "%.2f ms", samples.last ?? 0)))|
        | produce acknowledged, p50                 | \(pad(String(format: "%.2f ms", percentile(acks, 0.50))))|
        | produce acknowledged, p99                 | \(pad(String(format: "%.2f ms", percentile(acks, 0.99))))|
        | round trips lost (no reply in 2 s)        | \(pad(String(lost)))|
        | producer throughput, 200 B, acks=all      | \(pad(String(format: "%.0f msg/s", rate)))|
        | producer throughput                       | \(pad(String(format: "%.1f MB/s", rate * 200 / 1_000_000)))|

        Target: round trip p99 under 10 ms -> \(percentile(samples, 0.99) < 10 ? "met" : "NOT met")
        """)
}

func pad(_ text: String) -> String { text.padding(toLength: 13, withPad: " ", startingAt: 0) }

do {
    switch CommandLine.arguments.dropFirst().first {
    case "echo": try await echo()
    case "run": try await run()
    case "play-loop": try await playLoop()
    default:
        FileHandle.standardError.write(Data("usage: kafka-bench run --brokers HOST:PORT [--count N] [--throughput N]\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("kafka-bench: \(error)\n".utf8))
    exit(1)
}
