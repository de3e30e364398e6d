import Runtime

/// The `routing` service: the tenant dialplan; consumes call offers and produces route commands (DESIGN §2).
package enum RoutingService {
    package static var definition: ServiceDefinition {
        ServiceDefinition(name: "routing", defaultHTTPPort: 8082)
    }
}
