/// Why a message was not sent, and whether sending it again later can work: a caller retries a
/// transient failure (a 4yz reply, a relay that is down or slow, a dropped connection) and gives
/// up on a permanent one (a 5yz reply, a certificate that does not verify, a relay without
/// STARTTLS or AUTH).
package struct SMTPError: Error, Sendable, CustomStringConvertible {
    package enum Reason: Sendable, Equatable {
        /// No connection: refused, unreachable, or the name did not resolve.
        case connectFailed(String)
        /// Nothing came or went for the client's timeout.
        case timedOut
        /// The relay closed the connection, or it broke, before the session was over.
        case connectionClosed(String)
        /// The TLS handshake failed: most often the relay's certificate did not verify.
        case tls(String)
        /// The relay said no (4yz or 5yz).
        case rejected(SMTPReply)
        /// A reply that makes no sense at this step (a 354 to MAIL, a 235 to DATA).
        case unexpectedReply(SMTPReply)
        /// Bytes that are not SMTP replies: most likely not an SMTP server at that port.
        case malformedReply(String)
        /// Security is `starttls` and the relay does not offer STARTTLS (or refuses a TLS session
        /// where one is required). Sending on in clear text is exactly what the setting forbids.
        case startTLSUnavailable
        /// Credentials are set and the relay offers neither AUTH PLAIN nor LOGIN.
        case authenticationUnavailable(offered: [String])
        /// Credentials are set and the connection is not encrypted: they are not sent.
        case authenticationNeedsTLS
        /// The relay announced a SIZE limit the message exceeds.
        case messageTooLarge(size: Int, limit: Int)
    }

    /// The step of the session that failed.
    package enum Step: String, Sendable {
        case connect, greeting, ehlo = "EHLO", startTLS = "STARTTLS", authentication = "AUTH", mailFrom = "MAIL FROM"
        case recipient = "RCPT TO", data = "DATA", message = "end of data"
    }

    package let reason: Reason
    package let step: Step
    /// `host:port` of the relay.
    package let relay: String

    package init(_ reason: Reason, step: Step, relay: String) {
        self.reason = reason
        self.step = step
        self.relay = relay
    }

    /// True when the same message may go through later; false when only a change (of the message,
    /// the recipient or the configuration) can make it.
    package var isTransient: Bool {
        switch reason {
        case .connectFailed, .timedOut, .connectionClosed: true
        case .rejected(let reply): reply.isTransientNegative
        case .tls, .unexpectedReply, .malformedReply, .startTLSUnavailable, .authenticationUnavailable,
            .authenticationNeedsTLS, .messageTooLarge:
            false
        }
    }

    package var description: String {
        let what =
            switch reason {
            case .connectFailed(let cause): "cannot connect: \(cause)"
            case .timedOut: "timed out"
            case .connectionClosed(let cause): "the connection closed: \(cause)"
            case .tls(let cause):
                "TLS handshake failed: \(cause) (a relay with a private CA needs it in SWITCHBOARD_SMTP_CA_FILE)"
            case .rejected(let reply): "refused: \(reply)"
            case .unexpectedReply(let reply): "unexpected reply: \(reply)"
            case .malformedReply(let cause): "not an SMTP server? \(cause)"
            case .startTLSUnavailable: "the relay does not offer STARTTLS, which SWITCHBOARD_SMTP_TLS=starttls requires"
            case .authenticationUnavailable(let offered) where offered.isEmpty: "the relay offers no AUTH"
            case .authenticationUnavailable(let offered):
                "the relay offers no AUTH PLAIN or LOGIN, only \(offered.joined(separator: " "))"
            case .authenticationNeedsTLS: "credentials are only sent over TLS"
            case .messageTooLarge(let size, let limit):
                "the message of \(size) bytes is over the relay's limit of \(limit)"
            }
        return "SMTP \(relay), \(step.rawValue): \(what) (\(isTransient ? "transient" : "permanent"))"
    }
}
