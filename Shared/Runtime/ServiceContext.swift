import AsyncHTTPClient
import Events
import Kafka
import Logging
import Messaging
import Postgres

/// What every service gets from the runtime: its configuration, logger, database pool, producer,
/// event publisher, HTTP client and tenant cache.
package struct ServiceContext: Sendable {
    package let name: String
    package let configuration: RuntimeConfiguration
    package let logger: Logger
    package let db: PostgresClient
    package let publisher: EventPublisher
    /// Events that must follow a database change go here, in the change's transaction.
    package let outbox: Outbox
    /// For calls to other HTTP services (an S3 store); shut down after every service stopped.
    package let httpClient: HTTPClient
    package let tenantCache: TenantCache
    /// What `/health/ready` reports; a service adds its own conditions.
    package let readiness: Readiness

    package var producer: KafkaProducer { publisher.producer }

    /// The full name of a topic under this deployment's prefix.
    package func topic(_ topic: Topic) -> String { topic.name(prefix: configuration.topicPrefix) }

    /// Kafka settings for a client of this service. A consumer off the call path (`relaxed`: control
    /// events, statistics, chunks kept as they come) waits up to 100 ms per fetch: on the local
    /// broker, which holds every fetch for the whole wait, each empty fetch costs it about 150 µs,
    /// and a consumer at 2 ms makes 500 of them a second.
    package func kafka(client: String? = nil, relaxed: Bool = false) -> KafkaConfiguration {
        var config = KafkaConfiguration(runtime: configuration, clientID: client ?? "\(name)-\(configuration.instanceID)")
        if relaxed { config.fetchWaitMaxMilliseconds = max(config.fetchWaitMaxMilliseconds, 100) }
        return config
    }
}

extension KafkaConfiguration {
    /// Kafka settings from the process configuration.
    package init(runtime: RuntimeConfiguration, clientID: String) {
        self.init(bootstrapServers: runtime.kafkaBrokers, clientID: clientID)
        fetchWaitMaxMilliseconds = runtime.kafkaFetchWaitMs
        sessionTimeoutMilliseconds = runtime.kafkaSessionTimeoutMs
        maxPollIntervalMilliseconds = max(runtime.kafkaSessionTimeoutMs, 10_000)
        deliveryTimeoutMilliseconds = runtime.kafkaDeliveryTimeoutMs
        idempotence = runtime.kafkaIdempotence
    }
}
