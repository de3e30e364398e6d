import Runtime

/// The `api` service: the control plane: REST API, authentication, provisioning, console (DESIGN §2).
package enum APIService {
    package static var definition: ServiceDefinition {
        ServiceDefinition(name: "api", defaultHTTPPort: 8080)
    }
}
