import Foundation
import Runtime
import SIP

/// The `sip-edge` service: SIP transports, registrar, B2BUA call legs and the media engine
/// (DESIGN §2). Done so far: UDP and TCP transports, registrar with digest authentication, OPTIONS.
package enum SipEdgeService {
    package static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "sip-edge", defaultHTTPPort: 8081)
        let directory = DirectoryHolder()
        definition.services = { context in
            let tenants = TenantDirectory(db: context.db)
            directory.set(tenants)
            let registrar = Registrar(
                db: context.db, publisher: context.publisher, directory: tenants,
                digest: DigestAuthenticator(secret: Array(context.configuration.sipSecret.utf8),
                                            algorithms: context.configuration.sipDigestAlgorithms.compactMap(DigestAuthenticator.Algorithm.init)),
                failures: AuthFailureGuard(), edge: context.configuration.edgeOrdinal, logger: context.logger)
            let router = SIPRequestRouter(registrar: registrar, transactions: ServerTransactions(), logger: context.logger)
            let host = context.configuration.sipHost
            let port = context.configuration.sipPort
            return [
                SIPUDPServer(host: host, port: port, router: router, logger: context.logger),
                SIPTCPServer(host: host, port: port, router: router, logger: context.logger),
                BindingSweeper(db: context.db, publisher: context.publisher, logger: context.logger),
            ]
        }
        definition.onControlEvent = { _, _, _ in
            await directory.get()?.invalidate()
        }
        return definition
    }
}

/// Lets the control-plane callback reach the directory made when the services start.
final class DirectoryHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var directory: TenantDirectory?
    func set(_ value: TenantDirectory) { lock.withLock { directory = value } }
    func get() -> TenantDirectory? { lock.withLock { directory } }
}
