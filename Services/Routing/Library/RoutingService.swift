import Events
import Kafka
import Logging
import Messaging
import Metrics
import Runtime
import ServiceLifecycle
import Tenancy

/// The `routing` service: the tenant dialplan; consumes call offers and produces route commands (DESIGN §2).
package enum RoutingService {
    package static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "routing", defaultHTTPPort: 8082)
        definition.services = { context in [OfferConsumer(context: context), IdleTracker(context: context)] }
        return definition
    }
}

/// Reads `call.offers` in the `routing` consumer group and answers each offer (each failed plan,
/// each transfer out of an application)
/// with a route command on the owning edge's partition of `call.commands`. A decision that fails (say, the database is
/// down) is still answered, with a 503 rejection, so the caller hears a clear refusal at once.
struct OfferConsumer: Service {
    let context: ServiceContext

    func run() async throws {
        let dialplan = Dialplan(db: context.db, countryCode: context.configuration.countryCode)
        let consumer = try KafkaConsumer(configuration: context.kafka(),
                                         subscription: .group(groupID: context.configuration.topicPrefix + "routing", topics: [context.topic(.callOffers)]),
                                         logger: context.logger)
        let loop = EventLoop(consumer: consumer, publisher: context.publisher, name: "routing", logger: context.logger)
        let readiness = context.readiness
        readiness.set("call.offers assigned", false)
        let watcher = Task {
            // Ready once the group gave this instance its partitions (a join takes a while on Tansu).
            while !Task.isCancelled {
                let assigned = ((try? await consumer.assignment()) ?? []).isEmpty == false
                readiness.set("call.offers assigned", assigned)
                try? await Task.sleep(for: .milliseconds(assigned ? 2_000 : 200))
            }
        }
        defer { watcher.cancel() }
        let logger = context.logger
        let publisher = context.publisher
        let decisions = Timer(label: "switchboard_routing_decision_seconds")
        await withGracefulShutdownHandler {
            do {
                try await loop.run { header, message in
                    let bytes = message.value ?? []
                    let slug = try TenantSlug(header.tenant)
                    let edge: Int
                    let decide: () async throws -> CallRoute
                    switch header.type {
                    case CallOffered.type:
                        let offer = try header.decode(bytes, as: CallOffered.self).data
                        edge = offer.edge
                        decide = { try await dialplan.route(offer, callID: header.callId, tenant: slug) }
                    case CallPlanFailed.type:
                        let failed = try header.decode(bytes, as: CallPlanFailed.self).data
                        edge = failed.offer.edge
                        decide = { try await dialplan.fallback(failed, tenant: slug) }
                    case CallTransferRequested.type:
                        let request = try header.decode(bytes, as: CallTransferRequested.self).data
                        edge = request.offer.edge
                        decide = { try await dialplan.transfer(request, tenant: slug) }
                    default:
                        return
                    }
                    // The edge ordinal picks the partition of call.commands: one out of range is a bad message.
                    guard let partition = Int32(exactly: edge), partition >= 0 else {
                        throw EventError(message: "edge \(edge) is not a partition of \(Topic.callCommands.rawValue)")
                    }
                    let started = ContinuousClock.now
                    let route: CallRoute
                    do {
                        route = try await decide()
                    } catch {
                        logger.error("routing decision failed", metadata: ["call": "\(header.callId ?? "")", "error": "\(error)"])
                        route = .rejected(503, "Routing unavailable")
                    }
                    try await publisher.publish(Envelope(tenant: header.tenant, callId: header.callId, data: route),
                                                partition: partition)
                    decisions.record(duration: ContinuousClock.now - started)
                    Counter(label: "switchboard_routing_decisions_total",
                            dimensions: [("outcome", route.reject.map { String($0.status) } ?? "route")]).increment()
                }
            } catch {
                logger.error("offer consumer stopped", metadata: ["error": "\(error)"])
            }
        } onGracefulShutdown: {
            consumer.stopReading()
        }
        await consumer.close()
    }
}

/// Follows `call.cdrs` so the longest-idle strategy knows when each member's last call ended.
struct IdleTracker: Service {
    let context: ServiceContext

    func run() async throws {
        let dialplan = Dialplan(db: context.db, countryCode: context.configuration.countryCode)
        let consumer = try KafkaConsumer(configuration: context.kafka(pace: .background),
                                         subscription: .group(groupID: context.configuration.topicPrefix + "routing-idle",
                                                              topics: [context.topic(.callCDRs)]),
                                         logger: context.logger)
        let loop = EventLoop(consumer: consumer, publisher: context.publisher, name: "routing-idle", logger: context.logger)
        let logger = context.logger
        await withGracefulShutdownHandler {
            do {
                try await loop.run { header, message in
                    guard header.type == CallRecord.type else { return }
                    let record = try header.decode(message.value ?? [], as: CallRecord.self).data
                    try await dialplan.memberCallEnded(record, tenant: try TenantSlug(header.tenant))
                }
            } catch {
                logger.error("idle tracker stopped", metadata: ["error": "\(error)"])
            }
        } onGracefulShutdown: {
            consumer.stopReading()
        }
        await consumer.close()
    }
}
