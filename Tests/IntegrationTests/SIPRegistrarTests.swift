import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// A running sip-edge against the test database and broker, with two tenants to register into.
struct EdgeFixture {
    let edge: ServiceProcess
    let sipPort: Int
    let httpPort: Int
    let prefix: String
    let db: PostgresClient
    let provisioning: Provisioning
    let producer: KafkaProducer

    static func start(environment extra: [String: String] = [:], sipPort chosen: Int? = nil) async throws -> EdgeFixture {
        let prefix = TestEnvironment.unique("sip") + "."
        try await ensureTopics(prefix: prefix)
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let provisioning = Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix), logger: TestEnvironment.logger)
        let sipPort = try chosen ?? freeUDPPort()
        let httpPort = try freePort()
        var environment = serviceEnvironment(prefix: prefix, port: httpPort)
        environment["SWITCHBOARD_SIP_PORT"] = String(sipPort)
        environment.merge(extra) { $1 }
        let edge = try ServiceProcess("sip-edge", environment: environment)
        let ready = await eventually(timeout: .seconds(30)) { edgeListens(edge, on: sipPort) }
        try #require(ready, "sip-edge did not start: \(edge.log)")
        return EdgeFixture(edge: edge, sipPort: sipPort, httpPort: httpPort, prefix: prefix, db: db, provisioning: provisioning, producer: producer)
    }

    /// A tenant with user 1001 (password `password-<slug>`); returns (slug, domain).
    func tenant(_ name: String) async throws -> (slug: String, domain: String) {
        let slug = TestEnvironment.unique(name)
        let domain = slug.replacingOccurrences(of: "_", with: "-") + ".example.com"
        try await provisioning.createTenant(slug: slug, name: name, sipDomain: domain)
        try await provisioning.createUser(tenant: slug, extension: "1001", name: "User of \(name)", password: "password-\(slug)")
        return (slug, domain)
    }

    func bindings(_ slug: String) async throws -> [(contact: String, source: String)] {
        try await db.query("SELECT contact, source FROM \(identifier: try SQLIdentifier("tenant_" + slug)).registrations ORDER BY contact")
            .map { (try $0.decode("contact", as: String.self), try $0.decode("source", as: String.self)) }
    }

    func recordingsStarted(_ count: Int) async -> Bool {
        await edgeRecordingsStarted(count, httpPort: httpPort)
    }

    func stop() async {
        edge.stop()
        await producer.shutdown()
        await db.shutdown()
    }
}

/// Waits until the edge serving metrics on `httpPort` has begun `count` recordings: audio sent
/// from then on is recorded.
func edgeRecordingsStarted(_ count: Int, httpPort: Int) async -> Bool {
    await eventually(timeout: .seconds(15)) {
        ((try? await serviceMetric("switchboard_media_recordings_started_total", port: httpPort)) ?? 0) >= Double(count)
    }
}

/// Whether sip-edge has both its UDP and its TCP listener on `port` (UDP's may come first).
func edgeListens(_ edge: ServiceProcess, on port: Int) -> Bool {
    edge.log.contains("\"udp\":\"127.0.0.1:\(port)\"") && edge.log.contains("\"tcp\":\"127.0.0.1:\(port)\"")
}

@Suite("sip-edge registrar with SIPp", .timeLimit(.minutes(3)))
struct SIPRegistrarTests {
    @Test("SIPp registers with digest authentication; the binding is stored and published; expires 0 removes it")
    func registerAndUnregister() async throws {
        let fixture = try await EdgeFixture.start()
        let (slug, domain) = try await fixture.tenant("reg")
        let sippPort = try freeUDPPort()
        let registered = try await runSIPp(scenario: "register.xml", target: "127.0.0.1:\(fixture.sipPort)",
                                     injection: [["1001", domain, "password-\(slug)", "3600"]], localPort: sippPort)
        #expect(registered.status == 0, "\(registered.errors)\n\(fixture.edge.log)")
        let bindings = try await fixture.bindings(slug)
        #expect(bindings.count == 1)
        #expect(bindings.first?.contact.hasPrefix("sip:1001@127.0.0.1:\(sippPort)") == true)
        #expect(bindings.first?.source == "127.0.0.1:\(sippPort)")

        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("reg"), partitions: (0..<Topic.sipRegistrations.partitions).map {
                TopicPartitionOffset(topic: Topic.sipRegistrations.name(prefix: fixture.prefix), partition: $0, offset: TopicPartitionOffset.beginning)
            }),
            logger: TestEnvironment.logger)
        var event: Envelope<RegistrationChanged>?
        _ = try await eventually(timeout: .seconds(10)) {
            guard let message = try await consumer.poll() else { return false }
            event = try EnvelopeHeader.decode(message.value ?? []).decode(message.value ?? [], as: RegistrationChanged.self)
            return true
        }
        await consumer.close()
        #expect(event?.tenant == slug)
        #expect(event?.data.aor == "sip:1001@\(domain)")
        #expect(event?.data.expires == 3600)

        let removed = try await runSIPp(scenario: "register.xml", target: "127.0.0.1:\(fixture.sipPort)",
                                  injection: [["1001", domain, "password-\(slug)", "0"]], localPort: sippPort)
        #expect(removed.status == 0, "\(removed.errors)")
        #expect(try await fixture.bindings(slug).isEmpty)
        await fixture.stop()
    }

    @Test("SIPp registers over TCP too; the edge frames the stream and answers on the connection")
    func registerOverTCP() async throws {
        let fixture = try await EdgeFixture.start()
        let (slug, domain) = try await fixture.tenant("tcp")
        let result = try await runSIPp(scenario: "register.xml", target: "127.0.0.1:\(fixture.sipPort)",
                                 injection: [["1001", domain, "password-\(slug)", "600"]], localPort: try freePort(), transport: "t1")
        #expect(result.status == 0, "\(result.errors)\n\(fixture.edge.log)")
        let bindings = try await fixture.bindings(slug)
        #expect(bindings.count == 1)
        #expect(bindings.first?.contact.contains("transport=TCP") == true)
        await fixture.stop()
    }

    @Test("a wrong password, and one tenant's credentials in another tenant's domain, are refused")
    func refusals() async throws {
        let fixture = try await EdgeFixture.start()
        let (slugA, domainA) = try await fixture.tenant("ta")
        let (slugB, domainB) = try await fixture.tenant("tb")
        let wrong = try await runSIPp(scenario: "register-refused.xml", target: "127.0.0.1:\(fixture.sipPort)",
                                injection: [["1001", domainA, "not-the-password", "3600"]], localPort: try freeUDPPort())
        #expect(wrong.status == 0, "\(wrong.errors)")
        // Tenant A's user 1001 with A's password, registering into tenant B (which has its own 1001).
        let crossTenant = try await runSIPp(scenario: "register-refused.xml", target: "127.0.0.1:\(fixture.sipPort)",
                                      injection: [["1001", domainB, "password-\(slugA)", "3600"]], localPort: try freeUDPPort())
        #expect(crossTenant.status == 0, "\(crossTenant.errors)")
        #expect(try await fixture.bindings(slugA).isEmpty)
        #expect(try await fixture.bindings(slugB).isEmpty)
        await fixture.stop()
    }

    @Test("malformed and hostile datagrams leave the edge serving; the malformed get their status")
    func malformedInput() async throws {
        let fixture = try await EdgeFixture.start()
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 2, 17, 512, 1400, 9000, 65_000] {
            _ = udpExchange((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }, to: fixture.sipPort, timeout: 0.05)
        }
        let badVersion = Array("OPTIONS sip:x@y SIP/3.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: bad1\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8)
        let reply = try #require(udpExchange(badVersion, to: fixture.sipPort))
        #expect(String(decoding: reply, as: UTF8.self).hasPrefix("SIP/2.0 505"))
        // The datagram that once killed the edge (Via: SIP/2.0/UDP :), and a body shorter than its
        // Content-Length: each gets 400 with its reason.
        let emptySentBy = Array("OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP :\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: bad2\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8)
        let viaRefused = String(decoding: try #require(udpExchange(emptySentBy, to: fixture.sipPort)), as: UTF8.self)
        #expect(viaRefused.hasPrefix("SIP/2.0 400 Malformed Via"), "\(viaRefused)")
        let shortBody = Array("OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKc\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: bad3\r\nCSeq: 1 OPTIONS\r\nContent-Length: 500\r\n\r\nv=0".utf8)
        let shortRefused = String(decoding: try #require(udpExchange(shortBody, to: fixture.sipPort)), as: UTF8.self)
        #expect(shortRefused.hasPrefix("SIP/2.0 400 Content-Length larger than the body"), "\(shortRefused)")
        // Every input that ever crashed a parser, and every seed of the SIP fuzzers, as datagrams.
        let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz").standardizedFileURL
        var sent = 0
        for folder in ["Crashes/sip-message", "Crashes/sip-stream", "Corpus/sip-message"] {
            let url = fuzz.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] {
                _ = udpExchange(Array(try Data(contentsOf: url.appendingPathComponent(name))), to: fixture.sipPort, timeout: 0.02)
                sent += 1
            }
        }
        #expect(sent > 100, "the fuzz corpus was not found at \(fuzz.path)")
        let options = Array("OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKb;rport\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: ok1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n".utf8)
        let answer = String(decoding: try #require(udpExchange(options, to: fixture.sipPort)), as: UTF8.self)
        #expect(answer.hasPrefix("SIP/2.0 200 OK"))
        // A datagram far longer than NIO's default read (2,048 bytes) arrives whole.
        let padding = String(repeating: "x", count: 9_000)
        let long = Array("OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKlong;rport\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: long1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nSubject: \(padding)\r\nContent-Length: 0\r\n\r\n".utf8)
        let longAnswer = String(decoding: try #require(udpExchange(long, to: fixture.sipPort)), as: UTF8.self)
        #expect(longAnswer.hasPrefix("SIP/2.0 200 OK"), "\(longAnswer.prefix(200))")
        #expect(answer.contains("received=127.0.0.1"))
        #expect(answer.contains("Allow: "))
        // And a device still registers.
        let (slug, domain) = try await fixture.tenant("fuzzed")
        let registered = try await runSIPp(scenario: "register.xml", target: "127.0.0.1:\(fixture.sipPort)",
                                           injection: [["1001", domain, "password-\(slug)", "3600"]], localPort: try freeUDPPort())
        #expect(registered.status == 0, "\(registered.errors)\n\(fixture.edge.log)")
        #expect(try await fixture.bindings(slug).count == 1)
        #expect(!fixture.edge.log.contains("Fatal error"), "\(fixture.edge.log)")
        await fixture.stop()
    }

    @Test("a burst beyond the edge's limit: every REGISTER is answered, the excess with 503 and Retry-After, each one counted")
    func overloadRefused() async throws {
        let fixture = try await EdgeFixture.start(environment: ["SWITCHBOARD_SIP_MAX_IN_FLIGHT": "4"])
        let (_, domain) = try await fixture.tenant("burst")
        let client = try RTPEndpoint()
        let burst = 300
        for index in 0..<burst {
            client.send(Array("""
                REGISTER sip:\(domain) SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:\(client.port);branch=z9hG4bKburst\(index);rport\r\n\
                From: <sip:1001@\(domain)>;tag=\(index)\r\nTo: <sip:1001@\(domain)>\r\nCall-ID: burst-\(index)\r\nCSeq: 1 REGISTER\r\n\
                Contact: <sip:1001@127.0.0.1:\(client.port)>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n
                """.utf8), to: fixture.sipPort)
        }
        let answered = await eventually(timeout: .seconds(15)) { client.packets.count >= burst }
        let replies = client.packets.map { String(decoding: $0, as: UTF8.self) }
        client.close()
        #expect(answered, "\(replies.count) of \(burst) answered")
        let refused = replies.filter { $0.hasPrefix("SIP/2.0 503") }
        let challenged = replies.filter { $0.hasPrefix("SIP/2.0 401") }
        #expect(refused.count > 0, "a burst of \(burst) at 4 in flight refuses some")
        #expect(challenged.count > 0, "and still challenges the others")
        #expect(refused.count + challenged.count == burst, "one answer each, nothing else: \(Set(replies.map { $0.prefix(20) }))")
        #expect(refused.allSatisfy { $0.contains("\r\nRetry-After: ") })
        let counted = try await serviceMetric("switchboard_sip_overload_rejections_total", port: fixture.httpPort)
        #expect(Int(counted) == refused.count)
        await fixture.stop()
    }

    @Test("a refresh publishes nothing; a binding answered 200 is in PostgreSQL even if the edge is killed at once")
    func refreshAndCrash() async throws {
        let fixture = try await EdgeFixture.start()
        let (slug, domain) = try await fixture.tenant("refresh")
        let sippPort = try freeUDPPort()
        for _ in 0..<3 {
            let registered = try await runSIPp(scenario: "register.xml", target: "127.0.0.1:\(fixture.sipPort)",
                                               injection: [["1001", domain, "password-\(slug)", "3600"]], localPort: sippPort)
            #expect(registered.status == 0, "\(registered.errors)")
        }
        // Killed without a chance to flush anything: what was answered was committed first.
        _ = fixture.edge.stop(signal: SIGKILL)
        #expect(try await fixture.bindings(slug).map(\.source) == ["127.0.0.1:\(sippPort)"])
        let consumer = try KafkaConsumer(
            configuration: TestEnvironment.kafka(),
            subscription: .assigned(groupID: TestEnvironment.unique("refresh"), partitions: (0..<Topic.sipRegistrations.partitions).map {
                TopicPartitionOffset(topic: Topic.sipRegistrations.name(prefix: fixture.prefix), partition: $0, offset: TopicPartitionOffset.beginning)
            }),
            logger: TestEnvironment.logger)
        var events: [RegistrationChanged] = []
        func read() async {
            if let message = try? await consumer.poll(),
               let event = try? EnvelopeHeader.decode(message.value ?? []).decode(message.value ?? [], as: RegistrationChanged.self) {
                events.append(event.data)
            }
        }
        // The first event, then a while longer for any that would follow it.
        _ = await eventually(timeout: .seconds(20)) { await read(); return !events.isEmpty }
        _ = await eventually(timeout: .seconds(3)) { await read(); return false }
        await consumer.close()
        #expect(events.count == 1, "three registrations from one place: one new binding, two refreshes: \(events)")
        await fixture.stop()
    }

    @Test("over TCP a message beyond the limit gets 513 and one without Content-Length 400, then the connection closes")
    func framingRefusals() async throws {
        let fixture = try await EdgeFixture.start()
        let head = "OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKd\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: tcp1\r\nCSeq: 1 OPTIONS\r\n"
        let tooLarge = try await tcpExchange(Array((head + "Content-Length: 9223372036854775807\r\n\r\n").utf8), port: fixture.sipPort)
        #expect(tooLarge.hasPrefix("SIP/2.0 400") || tooLarge.hasPrefix("SIP/2.0 513"), "\(tooLarge)")
        let huge = try await tcpExchange(Array((head + "Content-Length: 1000000\r\n\r\n").utf8), port: fixture.sipPort)
        #expect(huge.hasPrefix("SIP/2.0 513 Message Too Large"), "\(huge)")
        let unframed = try await tcpExchange(Array((head + "\r\n").utf8), port: fixture.sipPort)
        #expect(unframed.hasPrefix("SIP/2.0 400 Missing or malformed Content-Length"), "\(unframed)")
        #expect(!fixture.edge.log.contains("Fatal error"))
        await fixture.stop()
    }

    @Test("SIP over TLS on the SIP port + 1 with the configured certificate: OPTIONS answered, REGISTER challenged")
    func tls() async throws {
        let folder = NSTemporaryDirectory() + "tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try runProgram("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                                       "-keyout", "\(folder)/key.pem", "-out", "\(folder)/cert.pem"])
        try #require(made.status == 0, "\(made.stderr)")
        // A TLS port below the kernel's ephemeral range, so no outgoing connection of another test takes it meanwhile.
        let tlsPort = try (0..<50).lazy.map { _ in Int.random(in: 15_000..<20_000) }.first(where: isTCPPortFree) ?? freePort()
        let fixture = try await EdgeFixture.start(environment: ["SWITCHBOARD_SIP_TLS_CERTIFICATE": "\(folder)/cert.pem",
                                                                 "SWITCHBOARD_SIP_TLS_KEY": "\(folder)/key.pem",
                                                                 "SWITCHBOARD_SIP_TLS_PORT": String(tlsPort)])
        let (_, domain) = try await fixture.tenant("tls")
        let listening = await eventually(timeout: .seconds(10)) { fixture.edge.log.contains("\"tls\":\"127.0.0.1:\(tlsPort)\"") }
        #expect(listening, "\(fixture.edge.log)")
        let requests = """
            OPTIONS sip:\(domain) SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKt1;rport\r\nFrom: <sip:a@\(domain)>;tag=1\r\n\
            To: <sip:\(domain)>\r\nCall-ID: tls1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n\
            REGISTER sip:\(domain) SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKt2;rport\r\nFrom: <sip:1001@\(domain)>;tag=2\r\n\
            To: <sip:1001@\(domain)>\r\nCall-ID: tls2\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:5999;transport=tls>\r\n\
            Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n
            """
        try requests.write(toFile: "\(folder)/requests", atomically: true, encoding: .utf8)
        // openssl's client sends the two requests over one TLS connection and prints what comes back.
        let exchange = try runProgram("/bin/sh", ["-c", "timeout 4 openssl s_client -connect 127.0.0.1:\(tlsPort) -quiet -ign_eof < \(folder)/requests"])
        #expect(exchange.stdout.contains("SIP/2.0 200 OK"), "\(exchange.stdout)\n\(exchange.stderr)")
        #expect(exchange.stdout.contains("SIP/2.0 401 Unauthorized"))
        #expect(exchange.stdout.contains("WWW-Authenticate: Digest"))
        #expect(exchange.stdout.contains("SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKt1;rport="), "rport filled in over TLS too")
        await fixture.stop()
    }
}
