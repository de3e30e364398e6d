import Events
import Kafka
import Logging
import Metrics
import Postgres

/// Consumes a topic and hands each envelope to `handle`, committing only after `handle` returned
/// (at-least-once). A failure that can pass (the database or the broker unavailable, a deadline)
/// is retried with backoff on the same message, so the partition waits and nothing is
/// dead-lettered for it; a message that can never be processed (undecodable, invalid for its type)
/// goes to `<topic>.dlq` with the error and is committed, so one bad message never blocks a
/// partition.
package struct EventLoop: Sendable {
    package let consumer: KafkaConsumer
    package let publisher: EventPublisher
    package let name: String
    package let logger: Logger
    /// The pause before retry `n` (1, 2, ...) of a message whose failure can pass.
    package var backoff: @Sendable (Int) -> Duration = Backoff.exponential

    package init(consumer: KafkaConsumer, publisher: EventPublisher, name: String, logger: Logger) {
        self.consumer = consumer
        self.publisher = publisher
        self.name = name
        self.logger = logger
    }

    /// Runs until the task is cancelled or the consumer stops reading. `handle` gets the decoded
    /// header and the raw bytes. A message still failing when the consumer stops is not committed:
    /// the partition's next owner takes it up.
    package func run(_ handle: @Sendable (EnvelopeHeader, KafkaMessage) async throws -> Void) async throws {
        try await run(messages: { message in try await handle(try EnvelopeHeader.decode(message.value ?? []), message) })
    }

    /// The same for messages that are not JSON envelopes (`media.audio`'s binary chunks).
    package func run(messages handle: @Sendable (KafkaMessage) async throws -> Void) async throws {
        let retries = Counter(label: "switchboard_consumer_retries_total", dimensions: [("consumer", name)])
        let deadLetters = Counter(label: "switchboard_consumer_dead_letters_total", dimensions: [("consumer", name)])
        for try await message in consumer.messages {
            var attempt = 0
            retrying: while true {
                do {
                    try await handle(message)
                    break retrying
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    switch HandlingFailure(error) {
                    case .canPass:
                        attempt += 1
                        retries.increment()
                        // Logged on the first failure and then sparsely, not once per retry of an outage.
                        if attempt == 1 || attempt % 20 == 0 {
                            logger.warning("message failed for a reason that can pass; retrying", metadata: [
                                "topic": "\(message.topic)", "offset": "\(message.offset)", "attempt": "\(attempt)", "error": "\(error)",
                            ])
                        }
                        guard try await pause(backoff(attempt)) else { return }
                    case .permanent:
                        logger.error("message cannot be processed; sent to the dead-letter topic",
                                     metadata: ["topic": "\(message.topic)", "offset": "\(message.offset)", "error": "\(error)"])
                        guard try await deadLetter(message, error: error) else { return }
                        deadLetters.increment()
                        break retrying
                    }
                }
            }
            consumer.markProcessed(message)
        }
    }

    /// Sleeps unless the consumer is stopping; false when it is (the message stays uncommitted).
    private func pause(_ duration: Duration) async throws -> Bool {
        guard !consumer.isStopping else { return false }
        try await Task.sleep(for: duration)
        return !consumer.isStopping
    }

    /// Dead-letters `message`, retrying while the broker is unavailable; false if the consumer
    /// stopped first.
    private func deadLetter(_ message: KafkaMessage, error: any Error) async throws -> Bool {
        var attempt = 0
        while true {
            do {
                try await publisher.deadLetter(message, error: error, consumer: name)
                return true
            } catch let failure where HandlingFailure(failure) == .canPass {
                attempt += 1
                guard try await pause(backoff(attempt)) else { return false }
            }
        }
    }
}

/// What a handler's failure means for its message (DESIGN §4).
package enum HandlingFailure: Equatable, Sendable {
    /// The database or the broker is unavailable, or a deadline passed: try the same message again.
    case canPass
    /// The message can never be processed: dead-letter it.
    case permanent

    package init(_ error: any Error) {
        switch error {
        case let classified as ClassifiedFailure:
            self = classified.canPass ? .canPass : .permanent
        case let postgres as PostgresError:
            self = Self.classify(postgres)
        case let kafka as KafkaError:
            self = kafka.code == .configuration ? .permanent : .canPass
        case is EventError, is DecodingError:
            self = .permanent
        default:
            // A handler's own error that says nothing about passing: the message is the problem.
            self = .permanent
        }
    }

    /// Connection trouble, shutdown, and the SQLSTATE classes of transient server conditions can
    /// pass; data, constraint and syntax errors cannot.
    private static func classify(_ error: PostgresError) -> HandlingFailure {
        switch error.kind {
        case .connection, .shutdown:
            return .canPass
        case .decoding:
            return .permanent
        case .server:
            guard let state = error.sqlState else { return .canPass }
            // 08 connection exception, 40 transaction rollback (serialization, deadlock), 53 insufficient
            // resources, 57 operator intervention (admin shutdown, crash, cannot connect now), 58 system
            // error, 55P03 lock not available.
            if ["08", "40", "53", "57", "58"].contains(String(state.prefix(2))) || state == "55P03" { return .canPass }
            return .permanent
        }
    }
}

/// An error that says for itself whether it can pass (see `HandlingFailure`).
package protocol ClassifiedFailure: Error {
    var canPass: Bool { get }
}

/// How long to wait before retrying something that failed for a reason that can pass.
package enum Backoff {
    /// 100 ms doubling to 5 s for attempts 1, 2, ..., with a little jitter so that instances do not
    /// retry in step.
    package static func exponential(_ attempt: Int) -> Duration {
        let base = min(5_000, 100 << min(max(attempt - 1, 0), 6))
        return .milliseconds(base + Int.random(in: 0...(base / 10)))
    }
}
