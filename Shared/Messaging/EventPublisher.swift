import Events
import Kafka
import Logging
import Metrics

/// Publishes event envelopes: JSON value, the topic's key, and `type`/`tenant` headers, through one
/// shared producer. A publish returns once the broker acknowledged the message.
package final class EventPublisher: Sendable {
    package let producer: KafkaProducer
    package let topicPrefix: String

    package init(producer: KafkaProducer, topicPrefix: String) {
        self.producer = producer
        self.topicPrefix = topicPrefix
    }

    /// Publishes `envelope` to its payload's topic.
    /// - Parameters:
    ///   - key: the Kafka key; defaults to what the topic is keyed by (tenant or call id).
    ///   - partition: set for `call.commands`, where the partition is the owning edge's ordinal.
    @discardableResult
    package func publish<P: EventPayload>(_ envelope: Envelope<P>, key: String? = nil, partition: Int32? = nil)
        async throws -> DeliveryReport
    {
        try await send(try self.record(envelope, key: key, partition: partition), of: P.topic)
    }

    /// Sends a record of `topic`, counting it as published or failed.
    func send(_ record: ProducerRecord, of topic: Topic) async throws -> DeliveryReport {
        do {
            let report = try await producer.send(record)
            Counter(label: "switchboard_events_published_total", dimensions: [("topic", topic.rawValue)]).increment()
            return report
        } catch {
            Counter(label: "switchboard_events_publish_failures_total", dimensions: [("topic", topic.rawValue)]).increment()
            throw error
        }
    }

    /// The Kafka record of `envelope`: its topic under the prefix, key, JSON value and headers.
    package func record<P: EventPayload>(_ envelope: Envelope<P>, key: String? = nil, partition: Int32? = nil) throws -> ProducerRecord {
        ProducerRecord(
            topic: P.topic.name(prefix: topicPrefix), partition: partition,
            key: key ?? Self.defaultKey(envelope), value: try envelope.encoded(),
            headers: [KafkaHeader("type", envelope.type), KafkaHeader("tenant", envelope.tenant)])
    }

    /// Sends a message that could not be processed to `<topic>.dlq` with the error and its origin.
    package func deadLetter(_ message: KafkaMessage, error: any Error, consumer: String) async throws {
        let base = String(message.topic.dropFirst(topicPrefix.count))
        var headers = message.headers
        headers.append(KafkaHeader("dlq-error", String(describing: error)))
        headers.append(KafkaHeader("dlq-origin", "\(message.topic)/\(message.partition)/\(message.offset)"))
        headers.append(KafkaHeader("dlq-consumer", consumer))
        var record = ProducerRecord(topic: topicPrefix + base + ".dlq", key: nil, value: message.value ?? [], headers: headers)
        record.key = message.key
        try await producer.send(record)
        Counter(label: "switchboard_events_dead_lettered_total", dimensions: [("topic", base)]).increment()
    }

    private static func defaultKey<P: EventPayload>(_ envelope: Envelope<P>) -> String {
        switch P.topic {
        case .callCommands, .callEvents, .mediaAudio: envelope.callId ?? envelope.tenant
        default: envelope.tenant
        }
    }
}

/// The topics this deployment uses, under its prefix, with their partition counts: what
/// `switchboard topics ensure` creates (each with its dead-letter topic).
package func switchboardTopics(prefix: String) -> [(name: String, partitions: Int32)] {
    Topic.allCases.flatMap { topic -> [(name: String, partitions: Int32)] in
        [(topic.name(prefix: prefix), topic.partitions), (topic.deadLetterName(prefix: prefix), 1)]
    }
}
