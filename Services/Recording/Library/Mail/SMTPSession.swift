import Foundation
import NIOCore
import NIOSSL
import Runtime

/// One SMTP conversation on a connected channel, command by command (RFC 5321 §3, RFC 3207 for
/// STARTTLS, RFC 4954 for AUTH). Lives in one task: the reply iterator is not shared.
struct SMTPSession {
    let channel: any Channel
    let relay: String
    var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// Whether what is written is encrypted (implicit TLS, or after STARTTLS).
    var encrypted: Bool

    /// Greeting to QUIT. Returns once the relay took the message (250 after the data); a failure
    /// after that is not reported, since the message is on its way and a retry would send it twice.
    mutating func deliver(
        _ data: ByteBuffer, from sender: MailAddress, to recipients: [MailAddress],
        configuration: SMTPConfiguration, tls: NIOSSLContext?
    ) async throws {
        do {
            try await converse(data, from: sender, to: recipients, configuration: configuration, tls: tls)
        } catch let error as SMTPError {
            // A refusal leaves a working session: end it politely (RFC 5321 §4.1.1.10).
            if case .rejected = error.reason { _ = try? await command("QUIT", error.step) }
            throw error
        }
    }

    private mutating func converse(
        _ data: ByteBuffer, from sender: MailAddress, to recipients: [MailAddress],
        configuration: SMTPConfiguration, tls: NIOSSLContext?
    ) async throws {
        try expect(try await reply(.greeting), 220, .greeting)
        var capabilities = try await hello()
        if configuration.security == .startTLS {
            guard capabilities.startTLS, let tls else {
                throw SMTPError(.startTLSUnavailable, step: .startTLS, relay: relay)
            }
            try expect(try await command("STARTTLS", .startTLS), 220, .startTLS)
            try await startTLS(tls, host: configuration.host)
            // RFC 3207 §4.2: what was learnt before TLS is forgotten; AUTH often appears only now.
            capabilities = try await hello()
        }
        if let credentials = configuration.credentials {
            guard encrypted else { throw SMTPError(.authenticationNeedsTLS, step: .authentication, relay: relay) }
            try await authenticate(credentials, offered: capabilities.authentication)
        }
        if let limit = capabilities.sizeLimit, data.readableBytes > limit {
            throw SMTPError(.messageTooLarge(size: data.readableBytes, limit: limit), step: .mailFrom, relay: relay)
        }
        try expectPositive(try await command("MAIL FROM:<\(sender.address)>", .mailFrom), .mailFrom)
        for recipient in recipients {
            try expectPositive(try await command("RCPT TO:<\(recipient.address)>", .recipient), .recipient)
        }
        try expect(try await command("DATA", .data), 354, .data)
        var rest = data
        // In slices: the idle timeout counts each finished write as progress, so a slow uplink
        // moving a long recording is not taken for a dead relay.
        while rest.readableBytes > 0, let slice = rest.readSlice(length: min(rest.readableBytes, 64 * 1_024)) {
            try await write(slice, .message)
        }
        try expectPositive(try await reply(.message), .message)
        _ = try? await command("QUIT", .message)
    }

    /// EHLO, or HELO from a relay that knows no EHLO (RFC 5321 §3.2) when no extension is needed.
    private mutating func hello() async throws -> SMTPCapabilities {
        // An address literal: the client has no name the relay could check.
        let ip = channel.localAddress?.ipAddress ?? "127.0.0.1"
        let name = channel.localAddress?.protocol == .inet6 ? "[IPv6:\(ip)]" : "[\(ip)]"
        let answer = try await command("EHLO \(name)", .ehlo)
        if answer.isPositive { return SMTPCapabilities(ehlo: answer) }
        guard (500...504).contains(answer.code) else { throw SMTPError(.rejected(answer), step: .ehlo, relay: relay) }
        try expectPositive(try await command("HELO \(name)", .ehlo), .ehlo)
        return SMTPCapabilities()
    }

    /// TLS in front of everything else in the pipeline. Nothing is written in the clear after the
    /// relay's 220: the next command goes through the handshake, so an attacker who injected replies
    /// before it learns nothing and cannot pass a verified certificate.
    private mutating func startTLS(_ tls: NIOSSLContext, host: String) async throws {
        let channel = channel
        do {
            // The handshake's own outcome, so a bad certificate is reported as STARTTLS's failure
            // rather than as the EHLO's that waits behind it.
            try await channel.eventLoop.flatSubmit {
                let handshake = channel.eventLoop.makePromise(of: Void.self)
                let pipeline = channel.pipeline.syncOperations
                do {
                    let handler = try NIOSSLClientHandler(context: tls, serverHostname: SMTPClient.serverName(host))
                    try pipeline.addHandler(handler, position: .first)
                    try pipeline.addHandler(TLSHandshakeHandler(handshake), position: .after(handler))
                } catch {
                    handshake.fail(error)
                }
                return handshake.futureResult
            }.get()
        } catch {
            throw SMTPError(error, step: .startTLS, relay: relay)
        }
        encrypted = true
    }

    /// AUTH PLAIN where offered (one round trip), else LOGIN.
    private mutating func authenticate(_ credentials: SMTPConfiguration.Credentials, offered: [String]) async throws {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        if offered.contains("PLAIN") {
            let response = base64("\u{0}\(credentials.username)\u{0}\(credentials.password)")
            var answer = try await command("AUTH PLAIN \(response)", .authentication)
            // A server that takes no initial response asks for it with an empty challenge.
            if answer.code == 334 { answer = try await command(response, .authentication) }
            try expect(answer, 235, .authentication)
        } else if offered.contains("LOGIN") {
            try expect(try await command("AUTH LOGIN", .authentication), 334, .authentication)
            try expect(try await command(base64(credentials.username), .authentication), 334, .authentication)
            try expect(try await command(base64(credentials.password), .authentication), 235, .authentication)
        } else {
            throw SMTPError(.authenticationUnavailable(offered: offered), step: .authentication, relay: relay)
        }
    }

    private mutating func command(_ line: String, _ step: SMTPError.Step) async throws -> SMTPReply {
        try await write(ByteBuffer(string: line + "\r\n"), step)
        return try await reply(step)
    }

    private func write(_ buffer: ByteBuffer, _ step: SMTPError.Step) async throws {
        do {
            try await outbound.write(buffer)
        } catch {
            throw SMTPError(error, step: step, relay: relay)
        }
    }

    private mutating func reply(_ step: SMTPError.Step) async throws -> SMTPReply {
        let next: SMTPReply?
        do {
            next = try await replies.next()
        } catch {
            throw SMTPError(error, step: step, relay: relay)
        }
        try Task.checkCancellation()
        guard let next else {
            throw SMTPError(.connectionClosed("the relay closed the connection"), step: step, relay: relay)
        }
        return next
    }

    private func expect(_ reply: SMTPReply, _ code: Int, _ step: SMTPError.Step) throws {
        guard reply.code != code else { return }
        let refused = reply.code >= 400
        throw SMTPError(refused ? .rejected(reply) : .unexpectedReply(reply), step: step, relay: relay)
    }

    private func expectPositive(_ reply: SMTPReply, _ step: SMTPError.Step) throws {
        guard !reply.isPositive else { return }
        let refused = reply.code >= 400
        throw SMTPError(refused ? .rejected(reply) : .unexpectedReply(reply), step: step, relay: relay)
    }
}

/// What the relay's EHLO reply offers of what the client uses.
struct SMTPCapabilities: Equatable {
    var startTLS = false
    /// Mechanism names, upper case.
    var authentication: [String] = []
    /// From `SIZE n` (RFC 1870); nil for none or 0 (no fixed limit).
    var sizeLimit: Int?

    init() {}

    init(ehlo reply: SMTPReply) {
        // The first line is the relay's name; each later one an extension keyword and its parameters.
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            guard let keyword = words.first else { continue }
            switch keyword {
            case "STARTTLS": startTLS = true
            case "AUTH": authentication += words.dropFirst()
            // Some old servers still say `AUTH=LOGIN PLAIN`.
            case _ where keyword.hasPrefix("AUTH="):
                authentication += [String(keyword.dropFirst(5))] + words.dropFirst()
            case "SIZE": sizeLimit = words.dropFirst().first.flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            default: break
            }
        }
    }
}

/// The DATA of a rendered message (RFC 5321 §4.5.2): every line ending made CRLF, a "." put before
/// each line that starts with one, the closing "." line. A bare CR or LF is never sent: relays that
/// take one for a line end can be made to end the message early ("SMTP smuggling").
enum DotStuffing {
    static func data(_ message: [UInt8]) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(message.count + message.count / 64 + 8)
        message.withUnsafeBufferPointer { bytes in
            func line(_ range: Range<Int>) {
                if bytes[range].first == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
                out.writeBytes(UnsafeBufferPointer(rebasing: bytes[range]))
                out.writeBytes(MIMEEncoding.crlf)
            }
            var start = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 13 || byte == 10 else {
                    index += 1
                    continue
                }
                line(start..<index)
                index += byte == 13 && index + 1 < bytes.count && bytes[index + 1] == 10 ? 2 : 1
                start = index
            }
            if start < bytes.count { line(start..<bytes.count) }
        }
        out.writeString(".\r\n")
        return out
    }
}
