import Runtime

/// The `sip-edge` service: SIP transports, registrar, B2BUA call legs and the media engine (DESIGN §2).
package enum SipEdgeService {
    package static var definition: ServiceDefinition {
        ServiceDefinition(name: "sip-edge", defaultHTTPPort: 8081)
    }
}
