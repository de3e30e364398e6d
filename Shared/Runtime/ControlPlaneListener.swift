import Events
import Kafka
import Logging
import Messaging
import Metrics
import ServiceLifecycle

/// Follows topics in every process: each instance reads all their partitions from the end (manual
/// assignment, no group, nothing committed), for what only matters to the process while it lives:
/// caches to drop, the devices it holds subscriptions for.
package struct BroadcastListener: Service {
    let context: ServiceContext
    /// Names the listener's consumer (with the process's instance id) in the broker's client list.
    let name: String
    let topics: [Topic]
    let onEvent: @Sendable (EnvelopeHeader, KafkaMessage) async -> Void

    package init(context: ServiceContext, name: String, topics: [Topic], onEvent: @escaping @Sendable (EnvelopeHeader, KafkaMessage) async -> Void) {
        self.context = context
        self.name = name
        self.topics = topics
        self.onEvent = onEvent
        // Not ready until it reads from a known place: what is produced after readiness is never missed.
        context.readiness.set(condition, false)
    }

    private var condition: String { "\(name) listener positioned" }

    package func run() async throws {
        var partitions: [TopicPartitionOffset] = []
        for topic in topics.map({ context.topic($0) }) {
            guard let count = try await context.producer.partitionCount(of: topic) else {
                throw ConfigurationError(message: "topic \(topic) does not exist; run `switchboard topics ensure`")
            }
            for partition in 0..<count {
                // The end as it is now, not as the first fetch finds it (on a loaded broker that may
                // be seconds later): everything produced once the service runs is read.
                let end = try await context.producer.endOffset(topic: topic, partition: partition)
                partitions.append(TopicPartitionOffset(topic: topic, partition: partition, offset: end))
            }
        }
        let consumer = try KafkaConsumer(
            configuration: context.kafka(pace: .background),
            subscription: .assigned(groupID: "\(context.name)-\(name)-\(context.configuration.instanceID)", partitions: partitions),
            logger: context.logger)
        context.readiness.set(condition, true)
        let (logger, name, onEvent) = (context.logger, self.name, self.onEvent)
        await withGracefulShutdownHandler {
            do {
                for try await message in consumer.messages {
                    guard let header = try? EnvelopeHeader.decode(message.value ?? []) else {
                        logger.warning("ignored a message that is not an envelope", metadata: ["listener": "\(name)", "topic": "\(message.topic)"])
                        continue
                    }
                    await onEvent(header, message)
                }
            } catch {
                logger.error("listener stopped", metadata: ["listener": "\(name)", "error": "\(error)"])
            }
        } onGracefulShutdown: {
            consumer.stopReading()
        }
        await consumer.close()
    }
}

/// Follows `config.changes`, `tenant.lifecycle` and `billing.entitlements` in every process: drops
/// the tenant's cached configuration, then hands the event to the service.
package enum ControlPlaneListener {
    package static func make(context: ServiceContext,
                             onEvent: @escaping @Sendable (EnvelopeHeader, KafkaMessage) async -> Void = { _, _ in }) -> BroadcastListener {
        let (cache, logger) = (context.tenantCache, context.logger)
        return BroadcastListener(context: context, name: "control", topics: [.configChanges, .tenantLifecycle, .billingEntitlements]) { header, message in
            cache.invalidate(tenant: header.tenant)
            Counter(label: "switchboard_control_events_total", dimensions: [("type", header.type)]).increment()
            logger.debug("control event", metadata: ["tenant": "\(header.tenant)", "type": "\(header.type)"])
            await onEvent(header, message)
        }
    }
}
