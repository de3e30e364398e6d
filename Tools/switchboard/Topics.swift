import ArgumentParser
import Events
import Foundation
import Kafka
import Messaging

struct Topics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create, list and follow topics.",
                                                    subcommands: [Ensure.self, List.self, Tail.self])

    struct Ensure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create every Switchboard topic (and its .dlq) that is missing.")
        func run() async throws {
            try await withCLI { cli in
                let admin = try KafkaAdmin(configuration: cli.kafka, logger: cli.logger)
                let created = try await admin.ensureTopics(switchboardTopics(prefix: cli.configuration.topicPrefix))
                print(created.isEmpty ? "topics: all exist" : "topics: created \(created.joined(separator: ", "))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topics with partitions and end offsets.")
        func run() async throws {
            try await withCLI { cli in
                let admin = try KafkaAdmin(configuration: cli.kafka, logger: cli.logger)
                var rows: [[String]] = []
                for (topic, partitions) in try await admin.topics().sorted(by: { $0.key < $1.key }) {
                    var messages: Int64 = 0
                    for partition in 0..<partitions {
                        messages += (try? await admin.endOffset(topic: topic, partition: partition)) ?? 0
                    }
                    rows.append([topic, String(partitions), String(messages)])
                }
                printTable(["TOPIC", "PARTITIONS", "END OFFSETS (SUM)"], rows)
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print envelopes as they arrive on a topic.")
        @Argument(help: "Topic, e.g. tenant.lifecycle (the deployment prefix is added).") var topic: String
        @Option(help: "Only this tenant's messages.") var tenant: String?
        @Option(help: "Only messages of this event type.") var type: String?
        @Flag(help: "Start at the oldest message.") var fromBeginning = false
        @Option(help: "Show up to this many of the latest messages of each partition first, like tail(1).") var last: Int = 10
        @Option(help: "Stop after this many messages.") var count: Int?
        @Option(help: "Stop after this many seconds.") var timeout: Double?

        func validate() throws {
            guard (0...1_000_000).contains(last) else { throw ValidationError("--last must be 0 to 1000000") }
            if let timeout, !(timeout.isFinite && (0...31_536_000).contains(timeout)) {
                throw ValidationError("--timeout must be 0 to 31536000 seconds")
            }
        }

        func run() async throws {
            try await withCLI { cli in
                let name = cli.configuration.topicPrefix + topic
                let admin = try KafkaAdmin(configuration: cli.kafka, logger: cli.logger)
                guard let partitions = try await admin.topics()[name] else {
                    throw ValidationError("no topic \(name); run `switchboard topics ensure`")
                }
                let start = fromBeginning ? TopicPartitionOffset.beginning : TopicPartitionOffset.tail(max(0, last))
                let consumer = try KafkaConsumer(
                    configuration: cli.kafka,
                    subscription: .assigned(groupID: "switchboard-tail-\(ProcessInfo.processInfo.processIdentifier)",
                                            partitions: (0..<partitions).map { TopicPartitionOffset(topic: name, partition: $0, offset: start) }),
                    logger: cli.logger)
                let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
                var printed = 0
                emit("following \(name)" + (tenant.map { " for tenant \($0)" } ?? "") + (type.map { ", type \($0)" } ?? "")
                      + " (Ctrl-C to stop)")
                while count.map({ printed < $0 }) ?? true {
                    if let deadline, ContinuousClock.now >= deadline { break }
                    guard let message = try await consumer.poll(timeoutMilliseconds: 200) else { continue }
                    if let tenant, message.header("tenant") != tenant { continue }
                    if let type, message.header("type") != type { continue }
                    emit(Self.pretty(message))
                    printed += 1
                }
                await consumer.close()
            }
        }

        static func pretty(_ message: KafkaMessage) -> String {
            let bytes = message.value ?? []
            guard let header = try? EnvelopeHeader.decode(bytes),
                  let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let payload = object["data"],
                  let json = try? JSONSerialization.data(withJSONObject: payload, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            else {
                return "\(message.topic)/\(message.partition)@\(message.offset) (not an envelope) \(String(decoding: bytes, as: UTF8.self))"
            }
            let data = String(decoding: json, as: UTF8.self).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
            return "\(EventCoding.formatTime(header.time))  \(header.type)  tenant=\(header.tenant)"
                + (header.callId.map { "  call=\($0)" } ?? "")
                + "  id=\(header.id.uuidString.lowercased())  [\(message.topic)/\(message.partition)@\(message.offset)]\n\(data)"
        }
    }
}

struct Lag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consumer groups with their committed offsets and lag per partition.")
    @Option(help: "Only this group.") var group: String?

    func run() async throws {
        try await withCLI { cli in
            let admin = try KafkaAdmin(configuration: cli.kafka, logger: cli.logger)
            // This deployment's topics only, each looked up by name: a shared cluster holds others',
            // and listing thousands of topics takes longer than anyone waits.
            var topics: [String: Int32] = [:]
            for (name, _) in switchboardTopics(prefix: cli.configuration.topicPrefix) {
                if let count = try await admin.partitionCount(of: name) { topics[name] = count }
            }
            let groups: [String]
            if let group { groups = [group] } else { groups = try await admin.groups() }
            var rows: [[String]] = []
            for group in groups {
                for entry in try await admin.committedOffsets(groupID: group, topics: topics) where entry.offset >= 0 {
                    let end = try await admin.endOffset(topic: entry.topic, partition: entry.partition)
                    rows.append([group, entry.topic, String(entry.partition), String(entry.offset), String(end),
                                 String(max(0, end - entry.offset))])
                }
            }
            printTable(["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"], rows)
        }
    }
}

/// Writes a line to stdout unbuffered, so a follower piped into another program sees it at once.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
