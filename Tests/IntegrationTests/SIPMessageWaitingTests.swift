import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// One or more sip-edge instances on topics of their own, with a tenant whose users 1001 and 1002
/// (password `password-<ext>`) have their voicemail boxes, changed through the real store.
struct MessageWaitingFixture {
    struct Edge {
        let process: ServiceProcess
        let sipPort: Int
        let httpPort: Int
        var target: String { "127.0.0.1:\(sipPort)" }
    }

    let edges: [Edge]
    let prefix: String
    let db: PostgresClient
    let producer: KafkaProducer
    let publisher: EventPublisher
    let provisioning: Provisioning
    let voicemail: Voicemail
    let slug: String
    let domain: String

    var edge: Edge { edges[0] }

    static func start(edges count: Int = 1) async throws -> MessageWaitingFixture {
        let prefix = TestEnvironment.unique("mwi") + "."
        try await ensureTopics(prefix: prefix)
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
        let provisioning = Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger)
        let slug = TestEnvironment.unique("mwi")
        let domain = slug.replacingOccurrences(of: "_", with: "-") + ".example.com"
        try await provisioning.createTenant(slug: slug, name: "MWI", sipDomain: domain)
        for ext in ["1001", "1002"] {
            try await provisioning.createUser(tenant: slug, extension: ext, name: "User \(ext)", password: "password-\(ext)")
        }
        var edges: [Edge] = []
        for ordinal in 0..<count {
            let sipPort = try freeUDPPort()
            let httpPort = try freePort()
            var environment = serviceEnvironment(prefix: prefix, port: httpPort)
            environment["SWITCHBOARD_SIP_PORT"] = String(sipPort)
            environment["SWITCHBOARD_EDGE_ORDINAL"] = String(ordinal)
            // A NOTIFY that failed, and why, is logged at debug.
            environment["SWITCHBOARD_LOG_LEVEL"] = "debug"
            edges.append(Edge(process: try ServiceProcess("sip-edge", environment: environment), sipPort: sipPort, httpPort: httpPort))
        }
        // Ready means the edge's message-waiting group has its partitions: a change made after
        // this reaches it.
        let ready = await eventually(timeout: .seconds(60)) {
            for edge in edges {
                guard edgeListens(edge.process, on: edge.sipPort),
                      (try? await httpGet("http://127.0.0.1:\(edge.httpPort)/health/ready").status) == 200 else { return false }
            }
            return true
        }
        try #require(ready, "sip-edge did not become ready:\n\(edges.map(\.process.log).joined(separator: "\n"))")
        return MessageWaitingFixture(edges: edges, prefix: prefix, db: db, producer: producer, publisher: publisher, provisioning: provisioning,
                                     voicemail: Voicemail(db: db, publisher: publisher, actor: "test"), slug: slug, domain: domain)
    }

    func credentials(_ ext: String, box: String? = nil) -> [String] {
        [ext, domain, "password-\(ext)"] + (box.map { [$0] } ?? [])
    }

    func metric(_ name: String, edge: Int = 0) async throws -> Double {
        try await serviceMetric(name, port: edges[edge].httpPort)
    }

    /// Waits until edge `edge` has sent `count` NOTIFYs in all. Not fatal: the test goes on to the
    /// phone's own report of what it missed.
    func notifiesSent(_ count: Double, edge: Int = 0) async throws {
        let sent = try await eventually(timeout: .seconds(30)) { try await metric("switchboard_mwi_notifies_sent_total", edge: edge) >= count }
        #expect(sent, "edge \(edge) did not send NOTIFY number \(Int(count)):\n\(edges[edge].process.log.suffix(6000))")
    }

    /// Leaves a message in `box` as `recording` stores one: its audio object, then the message, in
    /// one transaction whose outbox row is `voicemail.box-changed`.
    func leaveMessage(in box: String) async throws -> UUID {
        let slug = try TenantSlug(self.slug)
        let sha256 = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let stored = try await db.withTransaction { connection in
            try await connection.query("""
                INSERT INTO \(identifier: slug.schema).media_objects (sha256, kind, size, duration_ms) VALUES (\(sha256), 'voicemail', 48000, 3000)
                """)
            return try await voicemail.storeMessage(recordingID: "rec-\(UUID().uuidString.prefix(8))", box: box, caller: "+3725551234",
                                                    callID: "0-test", reason: .noAnswer, urgent: false, durationMs: 3000, sha256: sha256,
                                                    slug: slug, on: connection)
        }
        Outbox(db: db, publisher: publisher).committed()
        guard case .stored(let message) = stored else { throw TestFailure("message not stored: \(stored)") }
        return message.id
    }

    func stop() async {
        for edge in edges { edge.process.stop() }
        await producer.shutdown()
        await db.shutdown()
    }
}

@Suite("sip-edge message-waiting indication (RFC 3842) with SIPp", .timeLimit(.minutes(3)))
struct SIPMessageWaitingTests {
    @Test("a registered phone subscribes and follows its box through the real store: left, heard, deleted; refreshes; unsubscribes")
    func followsTheBox() async throws {
        let fixture = try await MessageWaitingFixture.start()
        let phone = Task {
            try await runSIPp(scenario: "mwi-subscribe.xml", target: fixture.edge.target, injection: [fixture.credentials("1001", box: "1001")],
                              localPort: try freeUDPPort(), timeout: 90)
        }
        try await fixture.notifiesSent(1)
        #expect(try await fixture.metric("switchboard_mwi_subscriptions_active") == 1)
        let message = try await fixture.leaveMessage(in: "1001")
        try await fixture.notifiesSent(2)
        try await fixture.voicemail.move(tenant: fixture.slug, box: "1001", id: message, to: .heard)
        try await fixture.notifiesSent(3)
        try await fixture.voicemail.delete(tenant: fixture.slug, box: "1001", id: message)
        let result = try await phone.value
        #expect(result.status == 0, "\(result.errors)\n\(fixture.edge.process.log.suffix(6000))")
        // Four NOTIFYs of the box, one of the refresh, the final one; every one answered 200.
        #expect(try await fixture.metric("switchboard_mwi_notifies_sent_total") == 6)
        #expect(try await fixture.metric("switchboard_mwi_notifies_failed_total") == 0)
        let gone = try await eventually(timeout: .seconds(5)) { try await fixture.metric("switchboard_mwi_subscriptions_active") == 0 }
        #expect(gone, "the subscription ends with its final NOTIFY's answer")
        await fixture.stop()
    }

    @Test("an unknown event package gets 489; another user's box 403; a group box its member may open, not others")
    func whoMaySubscribe() async throws {
        let fixture = try await MessageWaitingFixture.start()
        let badEvent = try await runSIPp(scenario: "subscribe-bad-event.xml", target: fixture.edge.target, injection: [[ "1001", fixture.domain]],
                                         localPort: try freeUDPPort())
        #expect(badEvent.status == 0, "\(badEvent.errors)")
        let othersBox = try await runSIPp(scenario: "subscribe-refused.xml", target: fixture.edge.target,
                                          injection: [fixture.credentials("1001", box: "1002")], localPort: try freeUDPPort())
        #expect(othersBox.status == 0, "\(othersBox.errors)")

        let dialplan = DialplanConfiguration(db: fixture.db, publisher: fixture.publisher)
        try await dialplan.createGroup(tenant: fixture.slug, name: "sales", strategy: "ring-all", memberSeconds: 20, totalSeconds: 60,
                                       overflow: "none")
        try await dialplan.addMember(tenant: fixture.slug, group: "sales", member: "1001", ringSeconds: nil)
        _ = try await fixture.voicemail.createGroupBox(tenant: fixture.slug, group: "sales", number: "2000", email: nil)
        let notMember = try await runSIPp(scenario: "subscribe-refused.xml", target: fixture.edge.target,
                                          injection: [fixture.credentials("1002", box: "2000")], localPort: try freeUDPPort())
        #expect(notMember.status == 0, "\(notMember.errors)")
        let port = try freeUDPPort()
        let member = Task {
            try await runSIPp(scenario: "mwi-wait.xml", target: fixture.edge.target,
                              injection: [fixture.credentials("1001", box: "2000") + ["127.0.0.1:\(port)"]], localPort: port, timeout: 60)
        }
        try await fixture.notifiesSent(1)
        _ = try await fixture.leaveMessage(in: "2000")
        let result = try await member.value
        #expect(result.status == 0, "\(result.errors)\n\(fixture.edge.process.log.suffix(6000))")
        #expect(result.messages.contains("Message-Account: sip:2000@\(fixture.domain)"))
        await fixture.stop()
    }

    @Test("malformed SUBSCRIBEs get a 4xx with the reason, and the edge goes on")
    func malformed() async throws {
        let fixture = try await MessageWaitingFixture.start()
        func subscribe(_ headers: String, callID: String) throws -> String {
            let text = "SUBSCRIBE sip:1001@\(fixture.domain) SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK\(callID);rport\r\n"
                + "From: <sip:1001@\(fixture.domain)>;tag=f\(callID)\r\nCall-ID: \(callID)\r\nCSeq: 1 SUBSCRIBE\r\nMax-Forwards: 70\r\n"
                + headers + "\r\n"
            let reply = try #require(udpExchange(Array(text.utf8), to: fixture.edge.sipPort), "no answer to \(callID)")
            return String(decoding: reply, as: UTF8.self)
        }
        let to = "To: <sip:1001@\(fixture.domain)>\r\n"
        let contact = "Contact: <sip:1001@127.0.0.1:9>\r\n"
        #expect(try subscribe(to + contact, callID: "m1").hasPrefix("SIP/2.0 400 Missing Event"))
        #expect(try subscribe(to + contact + "Event: message summary\r\n", callID: "m2").hasPrefix("SIP/2.0 400 Malformed Event"))
        let bad = try subscribe(to + contact + "Event: dialog\r\n", callID: "m3")
        #expect(bad.hasPrefix("SIP/2.0 489 Bad Event") && bad.contains("Allow-Events: message-summary"), "\(bad)")
        #expect(try subscribe(to + "Event: message-summary\r\n", callID: "m4").hasPrefix("SIP/2.0 400 Missing Contact"))
        let brief = try subscribe(to + contact + "Event: message-summary\r\nExpires: 5\r\n", callID: "m5")
        #expect(brief.hasPrefix("SIP/2.0 423") && brief.contains("Min-Expires: 60"), "\(brief)")
        #expect(try subscribe(to + contact + "Event: message-summary\r\nAccept: application/pidf+xml\r\n", callID: "m6").hasPrefix("SIP/2.0 406"))
        #expect(try subscribe("To: <sip:1001@\(fixture.domain)>;tag=nosuch\r\n" + contact + "Event: message-summary\r\n", callID: "m7")
            .hasPrefix("SIP/2.0 481"))
        #expect(try subscribe(to + contact + "Event: message-summary\r\nExpires: soon\r\n", callID: "m8").hasPrefix("SIP/2.0 400 Malformed Expires"))
        let challenged = try subscribe(to + contact + "Event: message-summary\r\n", callID: "m9")
        #expect(challenged.hasPrefix("SIP/2.0 401") && challenged.contains("WWW-Authenticate: Digest"), "\(challenged)")
        let options = "OPTIONS sip:\(fixture.domain) SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKo1\r\nFrom: <sip:a@b>;tag=1\r\n"
            + "To: <sip:\(fixture.domain)>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\n\r\n"
        let capabilities = String(decoding: try #require(udpExchange(Array(options.utf8), to: fixture.edge.sipPort)), as: UTF8.self)
        #expect(capabilities.contains("SUBSCRIBE") && capabilities.contains("Allow-Events: message-summary"), "\(capabilities)")
        #expect(!fixture.edge.process.log.contains("Fatal error"))
        await fixture.stop()
    }

    @Test("a phone that registers anew is told the current counts: in its subscription when it has one, else outside one if it takes NOTIFY")
    func registersAnew() async throws {
        let fixture = try await MessageWaitingFixture.start()
        _ = try await fixture.leaveMessage(in: "1001")
        let registered = try await runSIPp(scenario: "mwi-register.xml", target: fixture.edge.target, injection: [fixture.credentials("1001")],
                                           localPort: try freeUDPPort(),
                                           arguments: ["-oocsf", "\(sippScenarios)/mwi-unsolicited.xml"])
        #expect(registered.status == 0, "\(registered.errors)")
        // The out-of-call scenario checked the body too, but only the main scenario decides SIPp's status.
        #expect(registered.messages.contains("Messages-Waiting: yes"), "\(registered.messages)\n\(fixture.edge.process.log.suffix(6000))")
        #expect(registered.messages.contains("Voice-Message: 1/0 (0/0)"))
        #expect(registered.messages.contains("Message-Account: sip:1001@\(fixture.domain)"))
        #expect(try await fixture.metric("switchboard_mwi_notifies_sent_total") == 1)
        #expect(try await fixture.metric("switchboard_mwi_notifies_failed_total") == 0, "the phone answered the unsolicited NOTIFY 200")

        // 1002 subscribes first (0/0), gets a message, then registers: the counts again, in its dialog.
        let phone = Task {
            try await runSIPp(scenario: "mwi-subscribe-register.xml", target: fixture.edge.target,
                              injection: [fixture.credentials("1002", box: "1002")], localPort: try freeUDPPort(), timeout: 60)
        }
        try await fixture.notifiesSent(2)
        _ = try await fixture.leaveMessage(in: "1002")
        let result = try await phone.value
        #expect(result.status == 0, "\(result.errors)\n\(fixture.edge.process.log.suffix(6000))")
        #expect(try await fixture.metric("switchboard_mwi_notifies_failed_total") == 0)

        // A device whose REGISTER does not say it takes NOTIFY gets none outside a subscription
        // (waited past the edge's two seconds of grace).
        let sent = try await fixture.metric("switchboard_mwi_notifies_sent_total")
        let quiet = try await runSIPp(scenario: "register.xml", target: fixture.edge.target, injection: [fixture.credentials("1001") + ["3600"]],
                                      localPort: try freeUDPPort())
        #expect(quiet.status == 0, "\(quiet.errors)")
        try await Task.sleep(for: .seconds(3))
        #expect(try await fixture.metric("switchboard_mwi_notifies_sent_total") == sent)
        await fixture.stop()
    }

    @Test("behind NAT: the Contact names a private address; NOTIFYs reach where the SUBSCRIBE came from, over UDP and its TCP connection",
          arguments: ["u1", "t1"])
    func behindNAT(transport: String) async throws {
        let fixture = try await MessageWaitingFixture.start()
        let phone = Task {
            try await runSIPp(scenario: "mwi-wait.xml", target: fixture.edge.target,
                              injection: [fixture.credentials("1001", box: "1001") + ["10.255.255.1:5060"]],
                              localPort: try transport == "u1" ? freeUDPPort() : freePort(), transport: transport, timeout: 60)
        }
        try await fixture.notifiesSent(1)
        _ = try await fixture.leaveMessage(in: "1001")
        let result = try await phone.value
        #expect(result.status == 0, "\(result.errors)\n\(fixture.edge.process.log.suffix(6000))")
        #expect(result.messages.contains("NOTIFY sip:1001@10.255.255.1:5060"), "the Request-URI is still the Contact")
        #expect(try await fixture.metric("switchboard_mwi_notifies_failed_total") == 0)
        await fixture.stop()
    }

    @Test("two edge instances: each holds its own subscriptions and notifies them of the same change")
    func twoEdges() async throws {
        let fixture = try await MessageWaitingFixture.start(edges: 2)
        let phones = try (0..<2).map { index in
            let port = try freeUDPPort()
            return Task {
                try await runSIPp(scenario: "mwi-wait.xml", target: fixture.edges[index].target,
                                  injection: [fixture.credentials("1001", box: "1001") + ["127.0.0.1:\(port)"]], localPort: port, timeout: 60)
            }
        }
        for index in 0..<2 {
            try await fixture.notifiesSent(1, edge: index)
            #expect(try await fixture.metric("switchboard_mwi_subscriptions_active", edge: index) == 1, "edge \(index) holds one subscription")
        }
        _ = try await fixture.leaveMessage(in: "1001")
        for (index, phone) in phones.enumerated() {
            let result = try await phone.value
            #expect(result.status == 0, "phone of edge \(index): \(result.errors)\n\(fixture.edges[index].process.log.suffix(6000))")
            #expect(try await fixture.metric("switchboard_mwi_notifies_sent_total", edge: index) == 3, "edge \(index): first, the change, the end")
        }
        await fixture.stop()
    }
}
