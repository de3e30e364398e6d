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

    /// Kafka settings for a client of this service; a consumer's by how soon it must see a message.
    package func kafka(client: String? = nil, pace: ConsumerPace = .callSetup) -> KafkaConfiguration {
        var config = KafkaConfiguration(runtime: configuration, clientID: client ?? "\(name)-\(configuration.instanceID)")
        config.fetchWaitMaxMilliseconds = max(config.fetchWaitMaxMilliseconds, pace.leastFetchWaitMs)
        if pace != .background, configuration.kafkaDozeMs > 0 {
            config.dozing = KafkaDozing(probeEvery: .milliseconds(configuration.kafkaDozeMs))
        }
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

/// How soon a consumer must see a new message. On the local broker, which holds every fetch for the
/// whole `fetch.wait.max.ms`, each empty fetch costs it about 200 µs and a consumer at 2 ms makes
/// 500 of them a second; so only the call setup's round trip gets the short wait, and consumers
/// that wait for traffic doze (`KafkaDozing`) while there is none.
package enum ConsumerPace: Sendable {
    /// A caller waits for it (offers, route commands): the configured wait, dozing when quiet.
    case callSetup
    /// A caller in an application waits for it (its next prompt): 20 ms is not heard; dozing.
    case application
    /// Control events, statistics, chunks kept as they come: 100 ms, always fetching.
    case background

    var leastFetchWaitMs: Int {
        switch self {
        case .callSetup: 0
        case .application: 20
        case .background: 100
        }
    }
}
