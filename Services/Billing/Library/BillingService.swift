import Runtime

/// The `billing` service: plans, subscriptions, entitlements, usage rating and invoices (DESIGN §2).
package enum BillingService {
    package static var definition: ServiceDefinition {
        ServiceDefinition(name: "billing", defaultHTTPPort: 8085)
    }
}
