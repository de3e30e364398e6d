import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIP

/// Where a SIP message goes: a transport and an address (a device's NAT-visible source, a trunk,
/// or the host and port of a URI).
struct SIPTarget: Sendable, Hashable, CustomStringConvertible {
    var transport: String  // "UDP", "TCP" or "TLS"
    var host: String
    var port: Int

    var description: String { "\(transport.lowercased()):\(host):\(port)" }

    /// Parses "udp:127.0.0.1:5060" (the form in route commands and settings); the transport may be left out.
    init?(_ text: String) {
        var parts = text.split(separator: ":").map(String.init)
        var transport = "UDP"
        if let first = parts.first, ["udp", "tcp", "tls"].contains(first.lowercased()) {
            transport = first.uppercased()
            parts.removeFirst()
        }
        guard parts.count >= 2, let port = parts.last.flatMap({ Int($0) }), (1...65_535).contains(port) else { return nil }
        self.init(transport: transport, host: parts.dropLast().joined(separator: ":"), port: port)
    }

    init(transport: String, host: String, port: Int) {
        self.transport = transport.uppercased()
        self.host = host
        self.port = port
    }

    init(_ source: SIPSource) {
        self.init(transport: source.transport, host: source.host, port: source.port)
    }

    /// The next hop for a URI without a known source: its host and port, and its transport parameter.
    init?(uri: SIPURI) {
        let transport = (uri.parameter("transport") ?? nil)?.uppercased() ?? (uri.scheme == "sips" ? "TLS" : "UDP")
        let known = ["TCP", "TLS"].contains(transport) ? transport : "UDP"
        self.init(transport: known, host: uri.host, port: uri.port ?? (known == "TLS" ? 5061 : 5060))
    }

    /// Where a request to a device goes when this is where the device was last heard from (its NAT
    /// binding, its connection): here, unless this is a TCP or TLS connection that has closed; then
    /// the address its Contact names, where a new connection is opened.
    func reaching(contact: String, isConnected: (SIPTarget) -> Bool) -> SIPTarget {
        guard transport != "UDP", !isConnected(self), let uri = SIPURI(contact), let direct = SIPTarget(uri: uri) else { return self }
        return direct
    }
}

struct SIPTransportError: Error, CustomStringConvertible {
    let description: String
}

/// How the edge names itself in what it sends: the host and ports in its Via, Contact and SDP.
struct EdgeAddress: Sendable, Equatable {
    let host: String
    let port: Int
    /// TLS listens on a port of its own (by default the SIP port + 1).
    let tlsPort: Int

    init(host: String, port: Int, tlsPort: Int? = nil) {
        self.host = host
        self.port = port
        self.tlsPort = tlsPort ?? port + 1
    }

    func port(of transport: String) -> Int { transport == "TLS" ? tlsPort : port }

    /// The Via of a request the edge sends over `transport`, with a new branch.
    func via(transport: String, branch: String = SIPTransport.newBranch()) -> String {
        "SIP/2.0/\(transport) \(host):\(port(of: transport));branch=\(branch);rport"
    }

    /// The edge's Contact for a dialog.
    func contact(transport: String) -> String {
        let parameter = transport == "UDP" ? "" : ";transport=\(transport.lowercased())"
        return "<sip:edge@\(host):\(port(of: transport))\(parameter)>"
    }
}

/// Sends SIP messages the edge originates (requests of its call legs, responses it sends later than
/// the request's own answer). UDP goes out of the listening socket, so devices see the edge's SIP
/// port; TCP and TLS reuse the connection the device opened (RFC 5626 §5), which is the only way to
/// reach a device behind NAT.
final class SIPTransport: Sendable {
    typealias TCPWriter = NIOAsyncChannelOutboundWriter<ByteBuffer>

    let address: EdgeAddress
    /// The address the edge puts in Via, Contact and SDP.
    var advertisedHost: String { address.host }
    var port: Int { address.port }
    private let udp = NIOLockedValueBox<(any Channel)?>(nil)
    private let tcp = NIOLockedValueBox<[String: TCPWriter]>([:])
    /// In a struct, not as a bare closure: a closure kept in a generic box is wrapped in two more
    /// reabstraction thunks at every `withLockedValue` (its inout access), so calling it costs more
    /// each time.
    private struct Connector: Sendable {
        let open: @Sendable (String, Int) async throws -> Void
    }
    private let connector = NIOLockedValueBox<Connector?>(nil)

    init(advertisedHost: String, port: Int, tlsPort: Int? = nil) {
        address = EdgeAddress(host: advertisedHost, port: port, tlsPort: tlsPort)
    }

    func attach(udp channel: any Channel) { udp.withLockedValue { $0 = channel } }
    func attach(tcp writer: TCPWriter, for source: SIPSource) { tcp.withLockedValue { $0[source.description] = writer } }
    func detach(tcpFor source: SIPSource) { _ = tcp.withLockedValue { $0.removeValue(forKey: source.description) } }
    func setConnector(_ open: @escaping @Sendable (String, Int) async throws -> Void) { connector.withLockedValue { $0 = Connector(open: open) } }

    /// Whether a connection to this address is open (always true for UDP).
    func canReach(_ target: SIPTarget) -> Bool {
        target.transport == "UDP" || tcp.withLockedValue { $0["\(target.host):\(target.port)"] != nil }
    }

    func send(_ message: SIPMessage, to target: SIPTarget) async throws {
        let bytes = ByteBuffer(bytes: message.serialized())
        if target.transport != "UDP" {
            let key = "\(target.host):\(target.port)"
            if tcp.withLockedValue({ $0[key] == nil }), target.transport == "TCP", let open = connector.withLockedValue({ $0?.open }) {
                try await open(target.host, target.port)
            }
            guard let writer = tcp.withLockedValue({ $0[key] }) else {
                throw SIPTransportError(description: "no \(target.transport) connection to \(target.host):\(target.port)")
            }
            try await writer.write(bytes)
            return
        }
        guard let channel = udp.withLockedValue({ $0 }) else { throw SIPTransportError(description: "UDP transport not started") }
        let address = try await Self.resolve(target.host, port: target.port)
        // Not awaited: a lost datagram is the transaction timers' business, and waiting costs a wake-up.
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: bytes), promise: nil)
        SIPMetrics.sentUDP.increment()
    }

    /// An IP literal directly; a name through the resolver, off the event loops.
    static func resolve(_ host: String, port: Int) async throws -> SocketAddress {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if let address = try? SocketAddress(ipAddress: bare, port: port) { return address }
        return try await NIOThreadPool.singleton.runIfActive { try SocketAddress.makeAddressResolvingHost(bare, port: port) }
    }

    /// A fresh Via branch (RFC 3261 §8.1.1.7 magic cookie).
    static func newBranch() -> String { "z9hG4bK" + randomToken(16) }

    /// Lower-case letters and digits from the system's random source (RFC 3261 §19.3: tags and
    /// branches need 32 random bits at least), 5 bits of each random word per character.
    static func randomToken(_ length: Int = 10) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: length)
        var word: UInt64 = 0
        for index in 0..<length {
            if index % 12 == 0 { word = generator.next() }
            bytes[index] = alphabet[Int(word & 31) % alphabet.count]
            word >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 32 characters, so 5 bits pick one with no bias.
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz012345".utf8)

    /// The Via this edge puts on a request it sends over `transport`.
    func via(transport: String, branch: String) -> String { address.via(transport: transport, branch: branch) }

    /// The edge's Contact for a dialog.
    func contact(transport: String) -> String { address.contact(transport: transport) }
}
