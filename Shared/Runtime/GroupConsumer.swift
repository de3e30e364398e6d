import Events
import Kafka
import Messaging
import ServiceLifecycle

/// A service that reads one topic in a consumer group and hands each envelope to `handle`, with
/// the runtime's at-least-once loop (commit after the effect, dead letters for what fails). The
/// process is ready once the group gave it partitions (a join takes a while on the local broker).
package struct GroupConsumer: Service {
    let context: ServiceContext
    let group: String
    let topic: Topic
    let pace: ConsumerPace
    let handle: @Sendable (KafkaMessage) async throws -> Void
    private var condition: String { "\(topic.rawValue) assigned to \(group)" }

    /// - Parameters:
    ///   - group: the consumer group, under the deployment's topic prefix.
    ///   - pace: how soon it must see a message (`ConsumerPace`).
    package init(context: ServiceContext, group: String, topic: Topic, pace: ConsumerPace = .background,
                 handle: @escaping @Sendable (EnvelopeHeader, KafkaMessage) async throws -> Void) {
        self.init(context: context, group: group, topic: topic, pace: pace, messages: { message in
            try await handle(try EnvelopeHeader.decode(message.value ?? []), message)
        })
    }

    /// A consumer of messages that are not JSON envelopes (`media.audio`).
    package init(context: ServiceContext, group: String, topic: Topic, pace: ConsumerPace = .background,
                 messages handle: @escaping @Sendable (KafkaMessage) async throws -> Void) {
        self.context = context
        self.group = group
        self.topic = topic
        self.pace = pace
        self.handle = handle
        // Not ready from the start: the service group runs the probe before `run()` gets here.
        context.readiness.set(condition, false)
    }

    package func run() async throws {
        let consumer = try KafkaConsumer(configuration: context.kafka(pace: pace),
                                         subscription: .group(groupID: context.configuration.topicPrefix + group, topics: [context.topic(topic)]),
                                         logger: context.logger)
        let loop = EventLoop(consumer: consumer, publisher: context.publisher, name: group, logger: context.logger)
        let readiness = context.readiness
        let condition = self.condition
        // An instance the group left without partitions (more instances than partitions) is ready too,
        // once a join has surely finished.
        let joined = ContinuousClock.now + .milliseconds(2 * context.configuration.kafkaSessionTimeoutMs)
        let watcher = Task {
            while !Task.isCancelled {
                let assigned = ((try? await consumer.assignment()) ?? []).isEmpty == false
                readiness.set(condition, assigned || ContinuousClock.now > joined)
                try? await Task.sleep(for: .milliseconds(assigned ? 2_000 : 200))
            }
        }
        defer { watcher.cancel() }
        let logger = context.logger
        let handle = self.handle
        await withGracefulShutdownHandler {
            do {
                try await loop.run(messages: handle)
            } catch {
                logger.error("consumer stopped", metadata: ["group": "\(group)", "error": "\(error)"])
            }
        } onGracefulShutdown: {
            consumer.stopReading()
        }
        await consumer.close()
    }
}
