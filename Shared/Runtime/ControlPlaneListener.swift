import Events
import Kafka
import Logging
import Messaging
import Metrics
import ServiceLifecycle

/// Follows `config.changes`, `tenant.lifecycle` and `billing.entitlements` in every process: each
/// instance reads all partitions from the end (manual assignment, no group), drops the tenant's
/// cached configuration, then hands the event to the service.
package struct ControlPlaneListener: Service {
    let context: ServiceContext
    let onEvent: @Sendable (EnvelopeHeader, KafkaMessage) async -> Void

    package init(context: ServiceContext, onEvent: @escaping @Sendable (EnvelopeHeader, KafkaMessage) async -> Void = { _, _ in }) {
        self.context = context
        self.onEvent = onEvent
    }

    package func run() async throws {
        let topics = [Topic.configChanges, .tenantLifecycle, .billingEntitlements].map { context.topic($0) }
        var partitions: [TopicPartitionOffset] = []
        for topic in topics {
            guard let count = try await context.producer.partitionCount(of: topic) else {
                throw ConfigurationError(message: "topic \(topic) does not exist; run `switchboard topics ensure`")
            }
            partitions += (0..<count).map { TopicPartitionOffset(topic: topic, partition: $0, offset: TopicPartitionOffset.end) }
        }
        let consumer = try KafkaConsumer(
            configuration: context.kafka(relaxed: true), subscription: .assigned(groupID: "\(context.name)-control-\(context.configuration.instanceID)",
                                                                    partitions: partitions),
            logger: context.logger)
        let logger = context.logger
        let cache = context.tenantCache
        await withGracefulShutdownHandler {
            do {
                for try await message in consumer.messages {
                    guard let header = try? EnvelopeHeader.decode(message.value ?? []) else {
                        logger.warning("ignored a control message that is not an envelope", metadata: ["topic": "\(message.topic)"])
                        continue
                    }
                    cache.invalidate(tenant: header.tenant)
                    Counter(label: "switchboard_control_events_total", dimensions: [("type", header.type)]).increment()
                    logger.debug("control event", metadata: ["tenant": "\(header.tenant)", "type": "\(header.type)"])
                    await onEvent(header, message)
                }
            } catch {
                logger.error("control-plane listener stopped", metadata: ["error": "\(error)"])
            }
        } onGracefulShutdown: {
            consumer.stopReading()
        }
        await consumer.close()
    }
}
