import Hummingbird
import Logging
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle

/// Whether the process can do its work: ready only while PostgreSQL and Kafka answer and every
/// condition the service added holds (say, its consumer got its partitions).
package final class Readiness: Sendable {
    private let state = NIOLockedValueBox((database: false, kafka: false))
    private let conditions = NIOLockedValueBox([String: Bool]())

    package init() {}

    package var isReady: Bool {
        state.withLockedValue { $0.database && $0.kafka } && conditions.withLockedValue { $0.values.allSatisfy { $0 } }
    }
    package var detail: (database: Bool, kafka: Bool) { state.withLockedValue { $0 } }

    /// Sets one of the service's own conditions; the first call adds it.
    package func set(_ condition: String, _ holds: Bool) {
        conditions.withLockedValue { $0[condition] = holds }
    }

    func update(database: Bool, kafka: Bool) {
        state.withLockedValue { $0 = (database, kafka) }
        Gauge(label: "switchboard_dependency_up", dimensions: [("dependency", "postgres")]).record(database ? 1 : 0)
        Gauge(label: "switchboard_dependency_up", dimensions: [("dependency", "kafka")]).record(kafka ? 1 : 0)
    }
}

/// Checks PostgreSQL (`SELECT 1`) and Kafka (metadata of the deployment's `config.changes`: one
/// named topic, so the request stays small however many topics the cluster holds) every second and
/// updates `Readiness`.
struct ReadinessProbe: Service {
    let context: ServiceContext
    let readiness: Readiness

    func run() async throws {
        var wasReady: Bool?
        while !Task.isCancelledOrShuttingDown {
            async let database = context.db.ping()
            async let kafka = (try? await context.producer.partitionCount(of: context.topic(.configChanges), timeoutMilliseconds: 1_000)) != nil
            let (db, broker) = await (database, kafka)
            readiness.update(database: db, kafka: broker)
            if wasReady != (db && broker) {
                context.logger.info(db && broker ? "ready" : "not ready", metadata: ["postgres": "\(db)", "kafka": "\(broker)"])
                wasReady = db && broker
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { isCancelled || isShuttingDownGracefully }
}

/// The HTTP routes every service has: `/health/live`, `/health/ready` and Prometheus `/metrics`.
package enum HealthRoutes {
    package static func add(to router: Router<ServiceRequestContext>, readiness: Readiness, registry: PrometheusCollectorRegistry) {
        router.get("/health/live") { _, _ in "ok\n" }
        router.get("/health/ready") { _, _ -> Response in
            let detail = readiness.detail
            let body = "{\"ready\":\(readiness.isReady),\"postgres\":\(detail.database),\"kafka\":\(detail.kafka)}\n"
            return Response(status: readiness.isReady ? .ok : .serviceUnavailable,
                            headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
