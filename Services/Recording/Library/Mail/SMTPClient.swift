import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Runtime

/// What sends a message: the SMTP client, or a test's stand-in for the code that queues and retries.
package protocol MailSending: Sendable {
    /// - Throws: `SMTPError` (or the stand-in's own), whose `isTransient` tells whether to try again.
    func send(_ message: MailMessage) async throws
}

/// Sends e-mail through the configured relay: STARTTLS (or implicit TLS) with the certificate
/// verified, AUTH when credentials are set, one message per connection. Voicemail sends few
/// messages, so a connection kept open would buy nothing but reconnect logic. Failures are
/// `SMTPError`s that say whether a retry can help; the client itself does not retry, since its
/// caller owns the queue and the backoff.
package struct SMTPClient: MailSending {
    package let configuration: SMTPConfiguration
    /// How long a connect may take, and how long a session may go with no byte moving either way.
    package var timeout: TimeAmount
    private let group: any EventLoopGroup
    /// Nil with security `none`.
    private let tls: NIOSSLContext?

    /// Loads the trust roots once: the system's, and `configuration.caFile`'s.
    /// - Throws: `ConfigurationError` naming `SWITCHBOARD_SMTP_CA_FILE` when that file holds no PEM certificate.
    package init(
        configuration: SMTPConfiguration, timeout: TimeAmount = .seconds(30),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.configuration = configuration
        self.timeout = timeout
        self.group = group
        guard configuration.security != .none else {
            tls = nil
            return
        }
        // Full verification, hostname included, is the default; nothing here turns it off.
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw ConfigurationError(
                    message: "\(Settings.smtpCAFile.name)=\(caFile) holds no readable PEM certificate: \(error)")
            }
            guard !roots.isEmpty else {
                throw ConfigurationError(message: "\(Settings.smtpCAFile.name)=\(caFile) holds no PEM certificate")
            }
            tlsConfiguration.additionalTrustRoots = [.certificates(roots)]
        }
        do {
            tls = try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw ConfigurationError(message: "the TLS context for the SMTP relay: \(error)")
        }
    }

    /// `host:port`, as errors name the relay.
    package var relay: String { "\(configuration.host):\(configuration.port)" }

    /// Sends `message` from `message.from` to every address in `message.to`, on a connection of its own.
    /// Returns once the relay has taken responsibility for it (its 250 after the data).
    /// - Throws: `SMTPError`; `isTransient` tells whether the same message may go through later.
    ///   `CancellationError` when the task is cancelled.
    package func send(_ message: MailMessage) async throws {
        // Base64 of minutes of audio and the stuffing pass: CPU work, kept off the event loop and the
        // cooperative pool.
        let data = try await NIOThreadPool.singleton.runIfActive { DotStuffing.data(message.rendered()) }
        let (channel, handshake) = try await connect()
        try await channel.executeThenClose { inbound, outbound in
            do {
                try await handshake?.get()
            } catch {
                throw SMTPError(error, step: .connect, relay: relay)
            }
            var session = SMTPSession(
                channel: channel.channel, relay: relay, replies: inbound.makeAsyncIterator(),
                outbound: outbound, encrypted: configuration.security == .tls)
            try await session.deliver(data, from: message.from, to: message.to, configuration: configuration, tls: tls)
        }
    }

    /// The connected channel, and with implicit TLS the handshake's outcome.
    private func connect() async throws -> (NIOAsyncChannel<SMTPReply, ByteBuffer>, EventLoopFuture<Void>?) {
        let implicitTLS = configuration.security == .tls ? tls : nil
        let host = configuration.host
        let timeout = timeout
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .connect(host: host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        var handshake: EventLoopPromise<Void>?
                        if let implicitTLS {
                            let promise = channel.eventLoop.makePromise(of: Void.self)
                            try pipeline.addHandler(
                                NIOSSLClientHandler(context: implicitTLS, serverHostname: Self.serverName(host)))
                            try pipeline.addHandler(TLSHandshakeHandler(promise))
                            handshake = promise
                        }
                        try pipeline.addHandler(IdleStateHandler(allTimeout: timeout))
                        try pipeline.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        try pipeline.addHandler(SMTPIdleTimeoutHandler())
                        return (
                            try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel),
                            handshake?.futureResult
                        )
                    }
                }
        } catch {
            throw SMTPError(error, step: .connect, relay: relay)
        }
    }

    /// What TLS checks the certificate against (and sends as SNI): the host name; nil for an IP
    /// address, which NIOSSL then matches against the certificate's IP entries.
    static func serverName(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }
}

/// Completes its promise when the TLS handshake in front of it is done, or fails it with the
/// handshake's error or the connection's end.
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let handshake: EventLoopPromise<Void>

    init(_ handshake: EventLoopPromise<Void>) { self.handshake = handshake }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { handshake.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        handshake.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    // A completed promise ignores these; an open one is never left behind.
    func handlerRemoved(context: ChannelHandlerContext) { handshake.fail(ChannelError.ioOnClosedChannel) }
}

/// The session's deadline: `IdleStateHandler` reports a quiet connection, this fails the read that
/// waits for a reply and closes the channel.
final class SMTPIdleTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = SMTPReply

    struct TimedOut: Error {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        context.fireErrorCaught(TimedOut())
        context.close(promise: nil)
    }
}

extension SMTPError {
    /// What a failure of the connection means for the message.
    init(_ error: any Error, step: Step, relay: String) {
        let reason: Reason
        switch error {
        case let error as SMTPError:
            self = error
            return
        case is SMTPIdleTimeoutHandler.TimedOut:
            reason = .timedOut
        case let error as SMTPReplyDecoder.MalformedReply:
            reason = .malformedReply(error.description)
        case NIOSSLError.uncleanShutdown:
            reason = .connectionClosed("the relay ended TLS without close_notify")
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            reason = .tls("\(error)")
        case let error as ChannelError:
            if case .connectTimeout = error { reason = .timedOut } else { reason = .connectionClosed("\(error)") }
        case let error as NIOConnectionError:
            // Each address tried failed; the first one's cause is the telling one (refused, unreachable).
            reason = .connectFailed(
                error.connectionErrors.first.map { "\($0.error)" }
                    ?? error.dnsAError.map { "cannot resolve \(error.host): \($0)" } ?? "\(error)")
        default:
            reason = step == .connect ? .connectFailed("\(error)") : .connectionClosed("\(error)")
        }
        self.init(reason, step: step, relay: relay)
    }
}
