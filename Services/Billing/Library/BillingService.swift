import Events
import Foundation
import Kafka
import Logging
import Messaging
import Pricing
import Runtime
import ServiceLifecycle
import Tenancy

/// The `billing` service: plans, subscriptions, entitlements, usage rating and invoices (DESIGN §2).
/// It keeps the call history from `call.cdrs` (rated once per call), publishes a tenant's
/// entitlements when its subscriptions change, and issues last month's invoices once a month has ended.
package enum BillingService {
    package static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "billing", defaultHTTPPort: 8085)
        definition.services = { context in [CallHistoryConsumer(context: context), InvoiceRun(context: context)] }
        definition.onControlEvent = { context, header, message in
            guard header.type == ConfigChanged.type,
                  let change = try? header.decode(message.value ?? [], as: ConfigChanged.self).data, change.entity == "subscription" else { return }
            do {
                try await publishEntitlements(context: context, tenant: header.tenant)
            } catch {
                context.logger.error("entitlements not published", metadata: ["tenant": "\(header.tenant)", "error": "\(error)"])
            }
        }
        return definition
    }

    /// The billing store with this process's settings. - Throws: `ConfigurationError` for a bad VAT rate.
    package static func store(_ context: ServiceContext, actor: String = "billing") throws -> BillingStore {
        guard let vat = Percent(context.configuration.vatPercent) else {
            throw ConfigurationError(message: "SWITCHBOARD_VAT_PERCENT \(context.configuration.vatPercent) is not a percentage like 24 or 22.5")
        }
        return BillingStore(db: context.db, publisher: context.publisher, actor: actor, vatRate: vat,
                            countryCode: context.configuration.countryCode)
    }

    static func publishEntitlements(context: ServiceContext, tenant: String) async throws {
        let entitlements = try await store(context).entitlements(tenant: tenant, on: Day.today(in: TimeZone(identifier: "UTC")!))
        try await context.publisher.publish(Envelope(tenant: tenant, data: entitlements))
    }
}

/// Every CDR into its tenant's call history; the call id makes a redelivered CDR a no-op.
struct CallHistoryConsumer: Service {
    let context: ServiceContext

    func run() async throws {
        let store = try BillingService.store(context)
        let consumer = try KafkaConsumer(configuration: context.kafka(relaxed: true),
                                         subscription: .group(groupID: context.configuration.topicPrefix + "billing",
                                                              topics: [context.topic(.callCDRs)]),
                                         logger: context.logger)
        let loop = EventLoop(consumer: consumer, publisher: context.publisher, name: "billing", logger: context.logger)
        let logger = context.logger
        await withGracefulShutdownHandler {
            do {
                try await loop.run { header, message in
                    guard header.type == CallRecord.type else { return }
                    let envelope = try header.decode(message.value ?? [], as: CallRecord.self)
                    try await store.record(envelope.data, callID: envelope.callId ?? envelope.id.uuidString, tenant: header.tenant)
                }
            } catch {
                logger.error("call history consumer stopped", metadata: ["error": "\(error)"])
            }
        } onGracefulShutdown: {
            Task { await consumer.close() }
        }
        await consumer.close()
    }
}

/// Once a month has ended, issues its invoice for every tenant that had subscriptions in it.
/// Runs hourly; issuing is idempotent, so several instances or a restart issue nothing twice.
struct InvoiceRun: Service {
    let context: ServiceContext

    func run() async throws {
        let store = try BillingService.store(context)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let today = Day.today(in: TimeZone(identifier: "UTC")!)
            do {
                let tenants = try await context.db.query("""
                    SELECT slug FROM platform.tenants WHERE status <> 'deleted'
                      AND NOT EXISTS (SELECT 1 FROM platform.invoices i WHERE i.tenant = slug AND i.period = \(today.period.previous.description))
                    """).map { try $0.decode("slug", as: String.self) }
                for tenant in tenants {
                    let draft = try await store.preview(tenant: tenant, period: today.period.previous)
                    guard !draft.lines.isEmpty else { continue }
                    let invoice = try await store.issue(tenant: tenant, period: today.period.previous, today: today)
                    context.logger.info("invoice issued", metadata: ["tenant": "\(tenant)", "number": "\(invoice.number)"])
                }
            } catch {
                context.logger.error("invoice run failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}
