import Hummingbird
import NIOCore

/// The request context of every service's HTTP routes: Hummingbird's core storage plus the address
/// the connection came from, which login throttling keys on (a proxy in front would need its own
/// trusted header; none is read here).
package struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text ("?" when unknown).
    package var clientAddress: String { remoteAddress?.ipAddress ?? "?" }
}
