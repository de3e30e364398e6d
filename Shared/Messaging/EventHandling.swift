import Events
import Kafka
import Logging

/// Consumes a topic and hands each envelope to `handle`, committing only after `handle` returned
/// (at-least-once). A message that cannot be decoded or whose handler throws a non-retryable error
/// goes to the dead-letter topic and is committed, so one bad message never blocks a partition.
package struct EventLoop: Sendable {
    package let consumer: KafkaConsumer
    package let publisher: EventPublisher
    package let name: String
    package let logger: Logger

    package init(consumer: KafkaConsumer, publisher: EventPublisher, name: String, logger: Logger) {
        self.consumer = consumer
        self.publisher = publisher
        self.name = name
        self.logger = logger
    }

    /// Runs until the task is cancelled. `handle` gets the decoded header and the raw bytes.
    package func run(_ handle: @Sendable (EnvelopeHeader, KafkaMessage) async throws -> Void) async throws {
        for try await message in consumer.messages {
            do {
                let header = try EnvelopeHeader.decode(message.value ?? [])
                try await handle(header, message)
            } catch {
                logger.error("message failed; sent to the dead-letter topic",
                             metadata: ["topic": "\(message.topic)", "offset": "\(message.offset)", "error": "\(error)"])
                try await publisher.deadLetter(message, error: error, consumer: name)
            }
            consumer.markProcessed(message)
        }
    }
}
