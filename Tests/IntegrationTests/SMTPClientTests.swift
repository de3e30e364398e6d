import Foundation
import Media
import NIOCore
import Runtime
import Testing
import TestSupport

@testable import Recording

/// aiosmtpd (scripts/bootstrap installs it) through scripts/smtp-sink.py: a real SMTP server on
/// loopback that stores what it accepts as .eml files, with STARTTLS, implicit TLS, AUTH and
/// deferrals when asked.
struct SMTPSink {
    struct Options {
        var startTLS: TestCertificate?
        var implicitTLS: TestCertificate?
        var credentials: SMTPConfiguration.Credentials?
        var mechanisms = "PLAIN,LOGIN"
        var failFirst = 0
    }

    /// One stored message, read by Python's email package (not by our own code), and its envelope.
    struct Received: Decodable {
        struct Attachment: Decodable {
            let filename: String?
            let content_type: String
            let disposition: String?
            let base64: String
            var bytes: [UInt8] { Data(base64Encoded: base64).map(Array.init) ?? [] }
        }
        struct Envelope: Decodable {
            let mail_from: String
            let rcpt_tos: [String]
            let login: String?
            let tls: Bool
        }
        let subject: String
        let from: String
        let to: String
        let date: String
        let message_id: String
        let mime_version: String
        let content_type: String
        let defects: [String]
        let text: String?
        let attachments: [Attachment]
        var envelope: Envelope!
        var raw: [UInt8] = []

        enum CodingKeys: String, CodingKey {
            case subject, from, to, date, message_id, mime_version, content_type, defects, text, attachments
        }
    }

    static let script = "\(TestEnvironment.repository)/scripts/smtp-sink.py"
    let server: ServiceProcess
    let port: Int
    let maildir: String

    static func start(_ options: Options = Options()) async throws -> SMTPSink {
        let python = TestEnvironment.tool("python")
        let check = try await onOwnThread { try runProgram(python, ["-c", "import aiosmtpd"]) }
        try #require(check.status == 0, "no aiosmtpd in \(python): run scripts/bootstrap")
        let port = try freePort()
        let maildir = NSTemporaryDirectory() + "smtp-sink-\(UUID().uuidString.prefix(8))"
        var arguments = [
            script, "serve", "--port", String(port), "--maildir", maildir, "--fail-first", String(options.failFirst),
        ]
        if let certificate = options.startTLS {
            arguments += ["--starttls-cert", certificate.certificate, "--starttls-key", certificate.key]
        }
        if let certificate = options.implicitTLS {
            arguments += ["--tls-cert", certificate.certificate, "--tls-key", certificate.key]
        }
        if let credentials = options.credentials {
            arguments += [
                "--username", credentials.username, "--password", credentials.password,
                "--auth-mechanisms", options.mechanisms,
            ]
        }
        let server = try ServiceProcess(program: python, arguments: arguments, environment: [:])
        let up = await eventually(timeout: .seconds(30)) { server.log.contains("smtp-sink: listening") }
        try #require(up, "smtp-sink did not start: \(server.log)")
        return SMTPSink(server: server, port: port, maildir: maildir)
    }

    func configuration(
        _ security: SMTPConfiguration.Security = .none, credentials: SMTPConfiguration.Credentials? = nil,
        caFile: String? = nil
    ) -> SMTPConfiguration {
        SMTPConfiguration(
            host: "127.0.0.1", port: port, security: security, credentials: credentials,
            from: SMTPClientTests.from, caFile: caFile)
    }

    /// The messages stored so far, in the order they came.
    /// Python runs on a thread of its own (see `onOwnThread`).
    func received() async throws -> [Received] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? []
        let numbers = files.filter { $0.hasSuffix(".eml") }.compactMap { Int($0.dropLast(4)) }.sorted()
        var messages: [Received] = []
        for number in numbers {
            let path = "\(maildir)/\(number).eml"
            let inspected = try await onOwnThread {
                try runProgram(TestEnvironment.tool("python"), [Self.script, "inspect", path])
            }
            try #require(inspected.status == 0, "inspect \(path): \(inspected.stderr)")
            var message = try JSONDecoder().decode(Received.self, from: Data(inspected.stdout.utf8))
            message.envelope = try JSONDecoder().decode(
                Received.Envelope.self, from: try Data(contentsOf: URL(fileURLWithPath: "\(maildir)/\(number).json")))
            message.raw = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            messages.append(message)
        }
        return messages
    }

    /// SIGTERM: the controller stops and the script exits.
    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: maildir)
    }
}

/// A self-signed certificate for 127.0.0.1 made with the openssl command, which is its own CA.
struct TestCertificate {
    let folder: String
    var certificate: String { "\(folder)/cert.pem" }
    var key: String { "\(folder)/key.pem" }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    static func make() async throws -> TestCertificate {
        let folder = NSTemporaryDirectory() + "smtp-cert-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let made = try await onOwnThread {
            try runProgram(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=smtp-sink.test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", "\(folder)/key.pem", "-out", "\(folder)/cert.pem",
                ])
        }
        try #require(made.status == 0, "openssl: \(made.stderr)")
        return TestCertificate(folder: folder)
    }
}

@Suite("SMTP client against aiosmtpd", .timeLimit(.minutes(2)))
struct SMTPClientTests {
    static let from = MailAddress(displayName: "Kõnepost", address: "voicemail@localhost")!
    static let to = MailAddress(displayName: "Jüri Õun", address: "juri@example.ee")!
    static let subject = "Uus kõnepostisõnum numbrilt +372 5551234"
    static let credentials = SMTPConfiguration.Credentials(username: "pbx", password: "õige parool")

    /// Five seconds of a 440 Hz tone as an 8 kHz 16-bit mono WAV.
    static let wav = WAV.file((0..<40_000).map { Int16(sin(Double($0) * 2 * .pi * 440 / 8_000) * 8_000) })

    static func voicemail(text: String = "Uus sõnum numbrilt +372 5551234, pikkus 0:05.\n") -> MailMessage {
        MailMessage(
            from: from, to: [to], subject: subject, text: text,
            attachments: [.init(filename: "kõnepost-1.wav", contentType: .wav, bytes: wav)])
    }

    /// The error `body` throws, as an SMTPError.
    static func failure(_ body: () async throws -> Void) async throws -> SMTPError {
        do {
            try await body()
        } catch let error as SMTPError {
            return error
        }
        throw TestFailure("the send succeeded")
    }

    @Test("plain SMTP: the WAV arrives byte for byte, the Estonian subject and names round-trip, the envelope is right")
    func plain() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let message = Self.voicemail()
        try await SMTPClient(configuration: sink.configuration()).send(message)

        let received = try await sink.received()
        try #require(received.count == 1, "\(sink.server.log)")
        let mail = received[0]
        #expect(mail.defects.isEmpty, "Python's parser found defects: \(mail.defects)")
        #expect(mail.subject == Self.subject)
        #expect(mail.from == "Kõnepost <voicemail@localhost>")
        #expect(mail.to == "Jüri Õun <juri@example.ee>")
        #expect(mail.message_id == "<\(message.messageID)>")
        #expect(mail.mime_version == "1.0" && mail.content_type == "multipart/mixed")
        #expect(mail.text == "Uus sõnum numbrilt +372 5551234, pikkus 0:05.\n")
        try #require(mail.attachments.count == 1)
        let attachment = mail.attachments[0]
        #expect(attachment.filename == "kõnepost-1.wav")
        #expect(attachment.content_type == "audio/wav" && attachment.disposition == "attachment")
        #expect(attachment.bytes.count == 44 + 80_000)
        #expect(attachment.bytes == Self.wav, "the attachment decodes to exactly the WAV sent")
        #expect(mail.envelope.mail_from == "voicemail@localhost" && mail.envelope.rcpt_tos == ["juri@example.ee"])
        #expect(!mail.envelope.tls && mail.envelope.login == nil)
        // As it arrived: 7-bit, every line CRLF-terminated and short.
        let lines = String(decoding: mail.raw, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(mail.raw.allSatisfy { $0 < 128 } && lines.allSatisfy { $0.utf8.count <= 78 && !$0.contains("\n") })
    }

    @Test("a body line starting with \".\" survives: a lone dot, two dots, a dot then text")
    func dotStuffing() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let text = "Enne\n.\n..kaks punkti\n.punkt ees\n. \nlõpp.\n"
        try await SMTPClient(configuration: sink.configuration()).send(Self.voicemail(text: text))
        let received = try await sink.received()
        try #require(received.count == 1, "\(sink.server.log)")
        #expect(received[0].text == text)
        #expect(received[0].attachments.first?.bytes == Self.wav, "nothing after the lone dot was lost")
    }

    @Test("STARTTLS and AUTH PLAIN with the self-signed certificate trusted through the CA file")
    func startTLS() async throws {
        let certificate = try await TestCertificate.make()
        defer { certificate.remove() }
        let sink = try await SMTPSink.start(.init(startTLS: certificate, credentials: Self.credentials))
        defer { sink.stop() }
        let configuration = sink.configuration(
            .startTLS, credentials: Self.credentials, caFile: certificate.certificate)
        try await SMTPClient(configuration: configuration).send(Self.voicemail())
        let received = try await sink.received()
        try #require(received.count == 1, "\(sink.server.log)")
        #expect(received[0].envelope.tls && received[0].envelope.login == "pbx")
        #expect(received[0].attachments.first?.bytes == Self.wav)
        #expect(sink.server.log.contains("AUTH PLAIN accepted"))
    }

    @Test("without the CA file the certificate does not verify: a permanent TLS error at STARTTLS, nothing sent")
    func untrustedCertificate() async throws {
        let certificate = try await TestCertificate.make()
        defer { certificate.remove() }
        let sink = try await SMTPSink.start(.init(startTLS: certificate, credentials: Self.credentials))
        defer { sink.stop() }
        let client = try SMTPClient(configuration: sink.configuration(.startTLS, credentials: Self.credentials))
        let error = try await Self.failure { try await client.send(Self.voicemail()) }
        guard case .tls(let cause) = error.reason else {
            Issue.record("not a TLS error: \(error)")
            return
        }
        #expect(error.step == .startTLS && !error.isTransient)
        #expect(cause.contains("CERTIFICATE_VERIFY_FAILED"), "\(error)")
        #expect("\(error)".contains("SWITCHBOARD_SMTP_CA_FILE"), "the message says what to do")
        #expect(!sink.server.log.contains("AUTH"), "no credentials went out")
        #expect(try await sink.received().isEmpty)
    }

    @Test("a wrong password is a permanent refusal at AUTH")
    func wrongPassword() async throws {
        let certificate = try await TestCertificate.make()
        defer { certificate.remove() }
        let sink = try await SMTPSink.start(.init(startTLS: certificate, credentials: Self.credentials))
        defer { sink.stop() }
        let wrong = SMTPConfiguration.Credentials(username: "pbx", password: "vale")
        let client = try SMTPClient(
            configuration: sink.configuration(.startTLS, credentials: wrong, caFile: certificate.certificate))
        let error = try await Self.failure { try await client.send(Self.voicemail()) }
        guard case .rejected(let reply) = error.reason else {
            Issue.record("not a refusal: \(error)")
            return
        }
        #expect(reply.code == 535 && error.step == .authentication && !error.isTransient, "\(error)")
        #expect(try await sink.received().isEmpty)
    }

    @Test("AUTH LOGIN where the relay offers no PLAIN")
    func authLogin() async throws {
        let certificate = try await TestCertificate.make()
        defer { certificate.remove() }
        let sink = try await SMTPSink.start(
            .init(startTLS: certificate, credentials: Self.credentials, mechanisms: "LOGIN"))
        defer { sink.stop() }
        let configuration = sink.configuration(
            .startTLS, credentials: Self.credentials, caFile: certificate.certificate)
        try await SMTPClient(configuration: configuration).send(Self.voicemail())
        #expect(try await sink.received().first?.envelope.login == "pbx")
        #expect(sink.server.log.contains("AUTH LOGIN accepted"))
    }

    @Test("implicit TLS from the first byte")
    func implicitTLS() async throws {
        let certificate = try await TestCertificate.make()
        defer { certificate.remove() }
        let sink = try await SMTPSink.start(.init(implicitTLS: certificate, credentials: Self.credentials))
        defer { sink.stop() }
        let configuration = sink.configuration(.tls, credentials: Self.credentials, caFile: certificate.certificate)
        try await SMTPClient(configuration: configuration).send(Self.voicemail())
        let received = try await sink.received()
        #expect(received.count == 1 && received.first?.envelope.tls == true && received.first?.envelope.login == "pbx")

        let untrusted = try SMTPClient(configuration: sink.configuration(.tls, credentials: Self.credentials))
        let error = try await Self.failure { try await untrusted.send(Self.voicemail()) }
        #expect(error.step == .connect && !error.isTransient, "\(error)")
    }

    @Test("STARTTLS required and not offered: permanent, and nothing goes out in clear text")
    func startTLSMissing() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let error = try await Self.failure {
            try await SMTPClient(configuration: sink.configuration(.startTLS)).send(Self.voicemail())
        }
        #expect(error.reason == .startTLSUnavailable && !error.isTransient, "\(error)")
        #expect(try await sink.received().isEmpty)
    }

    @Test("a relay that answers 451 is a transient failure; the same message then goes through")
    func deferred() async throws {
        let sink = try await SMTPSink.start(.init(failFirst: 1))
        defer { sink.stop() }
        let client = try SMTPClient(configuration: sink.configuration())
        let message = Self.voicemail()
        let error = try await Self.failure { try await client.send(message) }
        guard case .rejected(let reply) = error.reason else {
            Issue.record("not a refusal: \(error)")
            return
        }
        #expect(reply.code == 451 && error.step == .message && error.isTransient, "\(error)")
        #expect(try await sink.received().isEmpty)
        try await client.send(message)
        #expect(try await sink.received().map(\.message_id) == ["<\(message.messageID)>"])
    }

    @Test("connection refused, a connect that hangs and a relay that never greets are transient")
    func unreachable() async throws {
        let closed = try freePort()
        let refused = try await Self.failure {
            try await SMTPClient(
                configuration: SMTPConfiguration(host: "127.0.0.1", port: closed, security: .none, from: Self.from)
            )
            .send(Self.voicemail())
        }
        guard case .connectFailed = refused.reason else {
            Issue.record("not a connect failure: \(refused)")
            return
        }
        #expect(refused.step == .connect && refused.isTransient, "\(refused)")

        let blackHole = try freePort()
        let descriptors = try blackHoleTCPPort(blackHole)
        defer { descriptors.forEach { close($0) } }
        let started = ContinuousClock.now
        let hung = try await Self.failure {
            try await SMTPClient(
                configuration: SMTPConfiguration(host: "127.0.0.1", port: blackHole, security: .none, from: Self.from),
                timeout: .seconds(1)
            ).send(Self.voicemail())
        }
        #expect(hung.reason == .timedOut && hung.step == .connect && hung.isTransient, "\(hung)")
        #expect(ContinuousClock.now - started < .seconds(10))

        // Listening, so the kernel completes the handshake, but nobody accepts or writes a greeting.
        let silentPort = try freePort()
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        try #require(withLoopbackAddress(port: silentPort, { bind(silent, $0, $1) }) == 0 && listen(silent, 8) == 0)
        let quiet = try await Self.failure {
            try await SMTPClient(
                configuration: SMTPConfiguration(host: "127.0.0.1", port: silentPort, security: .none, from: Self.from),
                timeout: .seconds(1)
            ).send(Self.voicemail())
        }
        #expect(quiet.reason == .timedOut && quiet.step == .greeting && quiet.isTransient, "\(quiet)")
    }
}
