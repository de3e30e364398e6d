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
        definition.services = { context in
            let store = try store(context)
            return [
                // Every CDR into its tenant's call history; the call id makes a redelivered CDR a no-op.
                GroupConsumer(context: context, group: "billing", topic: .callCDRs) { header, message in
                    guard header.type == CallRecord.type else { return }
                    let envelope = try header.decode(message.value ?? [], as: CallRecord.self)
                    try await store.record(envelope.data, callID: envelope.callId ?? envelope.id.uuidString, tenant: header.tenant)
                },
                // A group of its own on config.changes, so no subscription change is missed across restarts.
                GroupConsumer(context: context, group: "billing-entitlements", topic: .configChanges) { header, message in
                    guard header.type == ConfigChanged.type,
                          try header.decode(message.value ?? [], as: ConfigChanged.self).data.entity == "subscription" else { return }
                    try await publishEntitlements(context: context, tenant: header.tenant)
                },
                InvoiceRun(context: context),
            ]
        }
        return definition
    }

    /// The billing store with this process's settings. - Throws: `ConfigurationError` for a bad VAT rate.
    package static func store(_ context: ServiceContext, actor: String = "billing") throws -> BillingStore {
        guard let vat = Percent(context.configuration.vatPercent), vat <= Percent(basisPoints: 10_000) else {
            throw ConfigurationError(message: "SWITCHBOARD_VAT_PERCENT \(context.configuration.vatPercent) is not a percentage like 24 or 22.5")
        }
        return BillingStore(db: context.db, publisher: context.publisher, actor: actor, vatRate: vat,
                            countryCode: context.configuration.countryCode)
    }

    static func publishEntitlements(context: ServiceContext, tenant: String) async throws {
        // A deleted tenant has nothing left to entitle.
        guard (try? await Provisioning(db: context.db, publisher: context.publisher, logger: context.logger).tenant(tenant)) != nil else { return }
        let entitlements = try await store(context).entitlements(tenant: tenant, on: Day.today(in: TimeZone(identifier: "UTC")!))
        try await context.publisher.publish(Envelope(tenant: tenant, data: entitlements))
    }
}

/// Hourly: moves tenants at contract end on (`TenantLifecycle.advance`), and once a month has
/// ended issues its invoice for every tenant that had subscriptions in it. Both are idempotent, so
/// several instances or a restart do nothing twice.
struct InvoiceRun: Service {
    let context: ServiceContext

    func run() async throws {
        let store = try BillingService.store(context)
        let lifecycle = TenantLifecycle(db: context.db, publisher: context.publisher, logger: context.logger)
        try? await cancelWhenGracefulShutdown { try await runHourly(store: store, lifecycle: lifecycle) }
    }

    private func runHourly(store: BillingStore, lifecycle: TenantLifecycle) async throws {
        while !Task.isCancelled {
            let today = Day.today(in: TimeZone(identifier: "UTC")!)
            do {
                for (tenant, status) in try await lifecycle.advance(today: today) {
                    context.logger.notice("contract end", metadata: ["tenant": "\(tenant)", "status": "\(status)"])
                }
                let tenants = try await context.db.query("""
                    SELECT slug FROM platform.tenants WHERE status <> 'deleted'
                      AND NOT EXISTS (SELECT 1 FROM platform.invoices i WHERE i.tenant = slug AND i.period = \(today.period.previous.description))
                    """).map { try $0.decode("slug", as: String.self) }
                // Shutdown cancels this task: stop between tenants (what is left is done at the next start).
                for tenant in tenants where !Task.isCancelled {
                    let draft = try await store.preview(tenant: tenant, period: today.period.previous)
                    guard !draft.lines.isEmpty else { continue }
                    let invoice = try await store.issue(tenant: tenant, period: today.period.previous, today: today)
                    context.logger.info("invoice issued", metadata: ["tenant": "\(tenant)", "number": "\(invoice.number)"])
                }
            } catch {
                context.logger.error("invoice run failed", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .seconds(3600))
        }
    }
}
