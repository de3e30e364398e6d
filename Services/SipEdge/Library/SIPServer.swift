import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SIP
import ServiceLifecycle

/// Where a message came from, after NAT: the address the packet really had (RFC 3581).
struct SIPSource: Sendable, CustomStringConvertible {
    let host: String
    let port: Int
    let transport: String
    var description: String { "\(host):\(port)" }
}

/// The UDP listener: parses each datagram, answers malformed requests with the status RFC 3261
/// prescribes (or drops and counts what cannot be answered), absorbs retransmissions, and hands
/// requests to the edge's request router. A bad packet never ends the service.
///
/// Datagrams are taken on the event loop's thread (`SIPDatagramHandler`), not by a task: the
/// reader then keeps up with the socket however busy the handlers are, so a backlog shows as
/// messages in flight, where overload is refused (`SIPLoad`), and never waits in the kernel's
/// buffer, where nothing can refuse it.
struct SIPUDPServer: Service {
    let host: String
    let port: Int
    let router: SIPRequestRouter
    let transport: SIPTransport
    let logger: Logger
    /// Messages in progress at once before new work is refused (`SIPLoad`).
    let maxInFlight: Int

    func run() async throws {
        let handler = SIPDatagramHandler(router: router, inFlight: InFlightCounter(), maxInFlight: maxInFlight)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            // Room for the largest datagram: NIO's default (2,048 bytes) cut longer ones short.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: host, port: port).get()
        transport.attach(udp: channel)
        logger.info("SIP listening", metadata: ["udp": "\(host):\(port)"])
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        logger.info("SIP listener stopped")
    }
}

/// Reads the UDP socket on its event loop: counts each datagram, refuses it at once when the edge
/// is saturated, else hands it to the router, whose tasks write the answers.
final class SIPDatagramHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let router: SIPRequestRouter
    let inFlight: InFlightCounter
    let maxInFlight: Int

    init(router: SIPRequestRouter, inFlight: InFlightCounter, maxInFlight: Int) {
        self.router = router
        self.inFlight = inFlight
        self.maxInFlight = maxInFlight
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let remote = envelope.remoteAddress
        SIPMetrics.receivedUDP.increment()
        let source = SIPSource(host: remote.ipAddress ?? "?", port: remote.port ?? 0, transport: "UDP")
        let load = SIPLoad(inFlight: inFlight.value, limit: maxInFlight)
        inFlight.add(1)
        let channel = context.channel
        let inFlight = self.inFlight
        // Answers are written without waiting for the write: a datagram's send cannot fail in a way the
        // handler could act on, and waiting would wake the task once more for every answer.
        let refusal = router.submit(Array(envelope.data.readableBytesView), source: source, load: load, reply: { reply in
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: reply)), promise: nil)
        }, finished: { inFlight.add(-1) })
        if let refusal {
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: refusal))), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A failed read (ICMP port unreachable of an earlier send) is no reason to stop listening.
        SIPMetrics.dropped("udp read error").increment()
    }
}

/// How busy the edge is when a message arrives, and what it refuses because of it (RFC 3261
/// §21.5.4: 503 with Retry-After). New work without credentials is refused first, from half the
/// limit, so that registrations and calls already challenged still complete (goodput holds under
/// overload instead of every transaction half done); responses, requests within a dialog or a
/// transaction, and retransmissions are never refused.
struct SIPLoad: Sendable {
    let inFlight: Int
    let limit: Int

    static let idle = SIPLoad(inFlight: 0, limit: .max)

    var isBusy: Bool { inFlight >= limit / 2 }

    /// Whether to refuse this new request (one that starts a transaction outside any dialog).
    func refuses(_ request: SIPMessage) -> Bool {
        guard isBusy, let method = request.method, Self.sheddable.contains(method) else { return false }
        if let to = request["To"], NameAddress.parameter("tag", in: to) != nil { return false }
        let authenticated = request["Authorization"] != nil || request["Proxy-Authorization"] != nil
        return !authenticated || inFlight >= limit
    }

    /// Methods that start new work; the rest (ACK, BYE, CANCEL, INFO, UPDATE, NOTIFY, PRACK) end or
    /// continue work already accepted.
    static let sheddable: Set<String> = ["INVITE", "REGISTER", "SUBSCRIBE", "OPTIONS", "MESSAGE", "REFER", "PUBLISH"]
}

/// Requests being processed, shared by the receive loop and the tasks it starts.
final class InFlightCounter: Sendable {
    private let box = NIOLockedValueBox(0)
    var value: Int { box.withLockedValue { $0 } }
    func add(_ delta: Int) { box.withLockedValue { $0 += delta } }
}


/// The TCP listener, and with a TLS context the TLS one (RFC 3261 §26.2): each connection is framed
/// by Content-Length (`SIPStreamDecoder`, bounded), its requests are handled one after another and
/// answered on the same connection. A connection that breaks the framing (or the TLS handshake) is
/// closed and counted; the listener goes on.
struct SIPTCPServer: Service {
    let host: String
    let port: Int
    let router: SIPRequestRouter
    let transport: SIPTransport
    let logger: Logger
    var tls: NIOSSLContext? = nil

    private var transportName: String { tls == nil ? "TCP" : "TLS" }

    typealias Connection = NIOAsyncChannel<[UInt8], ByteBuffer>

    func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { [tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SIPStreamDecoder()))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("SIP listening", metadata: [transportName.lowercased(): "\(host):\(port)"])
        if tls == nil { transport.setConnector { host, port in try await connect(host: host, port: port) } }
        do {
            try await cancelWhenGracefulShutdown {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in connections {
                            group.addTask { await serve(connection) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Graceful shutdown: a normal end.
        }
        logger.info("SIP \(transportName) listener stopped")
    }

    /// Opens a connection to a device that has none open to the edge (RFC 3261 §18.1.1: a request
    /// over TCP goes to the URI's address) and serves it like an accepted one; returns once the
    /// transport can send over it.
    private func connect(host: String, port: Int) async throws {
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(3))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SIPStreamDecoder()))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        await withCheckedContinuation { (ready: CheckedContinuation<Void, Never>) in
            Task { await serve(connection, ready: ready) }
        }
    }

    private func serve(_ connection: Connection, ready: CheckedContinuation<Void, Never>? = nil) async {
        let remote = connection.channel.remoteAddress
        let source = SIPSource(host: remote?.ipAddress ?? "?", port: remote?.port ?? 0, transport: transportName)
        var ready = ready
        defer { ready?.resume() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                // The edge reaches this device over this connection (calls to it, BYEs) while it is open.
                transport.attach(tcp: outbound, for: source)
                defer { transport.detach(tcpFor: source) }
                ready?.resume()
                ready = nil
                do {
                    for try await frame in inbound {
                        SIPMetrics.receivedTCP.increment()
                        if let reply = await router.handle(frame, source: source) {
                            try await outbound.write(ByteBuffer(bytes: reply))
                        }
                    }
                } catch let error as SIPStreamDecoder.FramingError {
                    // The stream cannot be framed past this message: answer it if its headers allow, then close.
                    if let reply = router.framingRefusal(error, source: source) { try? await outbound.write(ByteBuffer(bytes: reply)) }
                    throw error
                }
            }
        } catch {
            SIPMetrics.dropped("\(transportName.lowercased()) framing").increment()
            logger.debug("SIP TCP connection closed", metadata: ["source": "\(source)", "error": "\(error)"])
        }
    }
}
