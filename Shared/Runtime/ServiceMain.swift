import AsyncHTTPClient
import Events
import Foundation
import Hummingbird
import Kafka
import Logging
import Messaging
import Metrics
import Postgres
import Prometheus
import ServiceLifecycle

/// How a service describes itself to the runtime.
package struct ServiceDefinition: Sendable {
    package var name: String
    package var defaultHTTPPort: Int
    /// Extra HTTP routes (the API and console for `api`).
    package var routes: @Sendable (Router<ServiceRequestContext>, ServiceContext) -> Void = { _, _ in }
    /// The long-running parts of the service (consumers, listeners), started after the runtime's own.
    package var services: @Sendable (ServiceContext) async throws -> [any Service] = { _ in [] }
    /// Reaction to config.changes / tenant.lifecycle / billing.entitlements, after the cache was dropped.
    package var onControlEvent: @Sendable (ServiceContext, EnvelopeHeader, KafkaMessage) async -> Void = { _, _, _ in }

    package init(name: String, defaultHTTPPort: Int) {
        self.name = name
        self.defaultHTTPPort = defaultHTTPPort
    }
}

/// The one way a service process starts: configuration from the environment, JSON logs,
/// Prometheus metrics, the librdkafka version check, PostgreSQL pool, Kafka producer and HTTP
/// client, the HTTP listener with health and metrics, the control-plane listener, then the
/// service's own parts, all in a ServiceGroup that shuts down in reverse order on SIGTERM or
/// SIGINT; the clients close after it.
package enum ServiceMain {
    package static func run(_ definition: ServiceDefinition) async -> Never {
        let configuration: RuntimeConfiguration
        do {
            configuration = try RuntimeConfiguration.fromEnvironment(defaultHTTPPort: definition.defaultHTTPPort)
        } catch {
            fail(definition.name, "configuration: \(error)")
        }
        // Writes to a closed pipe or socket must fail with EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        LoggingSetup.bootstrap(level: configuration.logLevel, format: configuration.logFormat)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: definition.name)
        logger[metadataKey: "instance"] = "\(configuration.instanceID)"
        do {
            try KafkaLibrary.requireSupportedVersion()
        } catch {
            fail(definition.name, "\(error)")
        }

        let db = PostgresClient(configuration: PostgresConfiguration(conninfo: configuration.databaseURL,
                                                                     maxConnections: configuration.databasePoolSize),
                                logger: logger)
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: KafkaConfiguration(runtime: configuration, clientID: "\(definition.name)-\(configuration.instanceID)"),
                                         logger: logger)
        } catch {
            fail(definition.name, "kafka producer: \(error)")
        }
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        let readiness = Readiness()
        let publisher = EventPublisher(producer: producer, topicPrefix: configuration.topicPrefix)
        let context = ServiceContext(name: definition.name, configuration: configuration, logger: logger, db: db,
                                     publisher: publisher, outbox: Outbox(db: db, publisher: publisher),
                                     httpClient: httpClient, tenantCache: TenantCache(), readiness: readiness)
        let router = Router(context: ServiceRequestContext.self)
        HealthRoutes.add(to: router, readiness: readiness, registry: registry)
        definition.routes(router, context)
        let http = Application(router: router,
                               configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort),
                                                    serverName: definition.name),
                               logger: logger)
        do {
            let own = try await definition.services(context)
            let group = ServiceGroup(configuration: .init(
                // Shut down in reverse order: the relay last, after everything that writes the outbox.
                services: [
                    .init(service: OutboxRelay(outbox: context.outbox, logger: logger,
                                               poll: .milliseconds(configuration.outboxPollMs))),
                    .init(service: ReadinessProbe(context: context, readiness: readiness)),
                    .init(service: ControlPlaneListener.make(context: context) { header, message in
                        await definition.onControlEvent(context, header, message)
                    }),
                    // Before the service's own: health stays up (and says not ready) while they drain.
                    .init(service: http),
                ] + own.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            logger.info("starting", metadata: ["http": "\(configuration.httpHost):\(configuration.httpPort)",
                                               "librdkafka": "\(KafkaLibrary.version)"])
            try await group.run()
            logger.info("stopped")
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
            await close(httpClient: httpClient, producer: producer, db: db, logger: logger)
            exit(1)
        }
        await close(httpClient: httpClient, producer: producer, db: db, logger: logger)
        exit(0)
    }

    /// The clients every part of the service shared, closed once the group has stopped.
    private static func close(httpClient: HTTPClient, producer: KafkaProducer, db: PostgresClient, logger: Logger) async {
        do {
            try await httpClient.shutdown()
        } catch {
            logger.warning("HTTP client shutdown", metadata: ["error": "\(error)"])
        }
        await producer.shutdown()
        await db.shutdown()
    }

    /// One clear line and a non-zero exit.
    package static func fail(_ name: String, _ message: String) -> Never {
        try? FileHandle.standardError.write(contentsOf: Data("\(name): \(message)\n".utf8))
        exit(1)
    }
}
