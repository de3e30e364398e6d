import AsyncHTTPClient
import Events
import Foundation
import NIOSSL
import Runtime
import SIP
import ServiceLifecycle
import Tenancy

/// The `sip-edge` service: SIP transports, registrar, B2BUA call legs and the media engine
/// (DESIGN §2). Done so far: UDP and TCP transports, registrar with digest authentication, OPTIONS,
/// B2BUA calls with anchored media, message-waiting indication.
package enum SipEdgeService {
    package static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "sip-edge", defaultHTTPPort: 8081)
        let directory = DirectoryHolder()
        let credentials = CredentialCache()
        definition.services = { context in
            let configuration = context.configuration
            let tenants = TenantDirectory(db: context.db)
            directory.set(tenants)
            let authenticator = DeviceAuthenticator(
                db: context.db,
                digest: DigestAuthenticator(secret: Array(configuration.sipSecret.utf8),
                                            algorithms: configuration.sipDigestAlgorithms.compactMap(DigestAuthenticator.Algorithm.init)),
                failures: AuthFailureGuard(), cache: credentials, logger: context.logger)
            let transport = SIPTransport(advertisedHost: configuration.sipHost, port: configuration.sipPort, tlsPort: configuration.sipTLSPort)
            let clientTransactions = ClientTransactions(transport: transport, logger: context.logger)
            let serverTransactions = ServerTransactions()
            let messageWaiting = MessageWaiting(
                db: context.db, directory: tenants, authenticator: authenticator,
                voicemail: Voicemail(db: context.db, publisher: context.publisher, actor: "sip-edge"), transport: transport,
                transactions: clientTransactions, serverTransactions: serverTransactions, subscriptions: SummarySubscriptions(),
                logger: context.logger)
            let registrar = Registrar(db: context.db, publisher: context.publisher, directory: tenants, authenticator: authenticator,
                                      messageWaiting: messageWaiting, writer: BindingWriter(db: context.db, edge: configuration.edgeOrdinal),
                                      edge: configuration.edgeOrdinal, logger: context.logger)
            // One or more, in order of preference.
            let trunks = try configuration.sipTrunk.map { text in
                Trunks(try text.split(separator: ",").map { item in
                    guard let target = SIPTarget(item.trimmingCharacters(in: .whitespaces)) else {
                        throw ConfigurationError(message: "\(Settings.sipTrunk.name)=\(text) must look like udp:host:port[,udp:host:port]")
                    }
                    return target
                })
            }
            var environment = CallEnvironment(
                deployment: configuration.topicPrefix, edge: configuration.edgeOrdinal, transport: transport, transactions: clientTransactions,
                serverTransactions: serverTransactions, publisher: context.publisher, outbox: context.outbox, db: context.db,
                rtpPorts: RTPPortAllocator(range: configuration.rtpPorts),
                prompts: PromptCache(store: RecordingPromptStore(baseURL: configuration.recordingURL, token: configuration.internalToken, client: context.httpClient)), trunks: trunks,
                routeTimeout: .milliseconds(configuration.routeTimeoutMs), mediaTimeout: .seconds(60), logger: context.logger)
            environment.trunkDiversion = configuration.sipTrunkDiversion
            let registry = CallRegistry()
            let supervisor = CallSupervisor(registry: registry, readiness: context.readiness,
                                            drainTime: .seconds(configuration.sipDrainSeconds), logger: context.logger)
            let calls = CallController(env: environment, registry: registry, supervisor: supervisor, directory: tenants,
                                       authenticator: authenticator)
            let router = SIPRequestRouter(registrar: registrar, calls: calls, messageWaiting: messageWaiting, transactions: serverTransactions,
                                          clientTransactions: clientTransactions, logger: context.logger)
            let host = configuration.sipHost
            let port = configuration.sipPort
            var listeners: [any Service] = [
                SIPUDPServer(host: host, port: port, router: router, transport: transport, logger: context.logger,
                             maxInFlight: configuration.sipMaxInFlight),
                SIPTCPServer(host: host, port: port, router: router, transport: transport, logger: context.logger),
            ]
            if let tls = try tlsContext(configuration) {
                listeners.append(SIPTCPServer(host: host, port: configuration.sipTLSPort, router: router, transport: transport,
                                              logger: context.logger, tls: tls))
            }
            if let trunks {
                listeners.append(TrunkMonitor(trunks: trunks, transport: transport, transactions: clientTransactions,
                                              interval: .seconds(configuration.sipTrunkOptionsSeconds), logger: context.logger))
            }
            // Shut down in reverse order: the supervisor first (it drains the calls while the
            // command listener and the transports still serve them).
            return listeners + [
                BindingSweeper(db: context.db, publisher: context.publisher, logger: context.logger),
                // Every instance reads every box change, from the end, for the subscriptions it holds
                // (which live as long as the process: nothing before its start concerns them).
                BroadcastListener(context: context, name: "mwi", topics: [.voicemailEvents]) { header, message in
                    guard header.type == VoicemailBoxChanged.type,
                          let change = try? header.decode(message.value ?? [], as: VoicemailBoxChanged.self) else { return }
                    await messageWaiting.changed(change.data, tenant: header.tenant)
                },
                SubscriptionSweeper(messageWaiting: messageWaiting),
                CallCommandListener(context: context, registry: registry, waker: environment.commandWaker),
                supervisor,
            ]
        }
        definition.onControlEvent = { _, header, _ in
            credentials.invalidate(tenant: header.tenant)
            directory.get()?.invalidate()
        }
        return definition
    }
}

/// The TLS server context from the configured certificate and key, or nil when TLS is off.
private func tlsContext(_ configuration: RuntimeConfiguration) throws -> NIOSSLContext? {
    switch (configuration.sipTLSCertificate, configuration.sipTLSKey) {
    case (nil, nil):
        return nil
    case (let certificate?, let key?):
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ConfigurationError(message: "SIP TLS certificate \(certificate) or key \(key) unusable: \(error)")
        }
    default:
        throw ConfigurationError(message: "\(Settings.sipTLSCertificate.name) and \(Settings.sipTLSKey.name) go together")
    }
}

/// Lets the control-plane callback reach the directory made when the services start.
final class DirectoryHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var directory: TenantDirectory?
    func set(_ value: TenantDirectory) { lock.withLock { directory = value } }
    func get() -> TenantDirectory? { lock.withLock { directory } }
}
