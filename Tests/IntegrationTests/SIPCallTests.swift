import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// sip-edge and routing running as processes on topics of their own, with a tenant whose users
/// 1001–1003 (password `password-<ext>`) call each other.
struct CallFixture {
    let edge: ServiceProcess
    let edgeEnvironment: [String: String]
    let routing: ServiceProcess
    let sipPort: Int
    let edgeHTTPPort: Int
    let prefix: String
    let db: PostgresClient
    let producer: KafkaProducer
    let provisioning: Provisioning
    let slug: String
    let domain: String
    /// A private broker's, when the test has one.
    let brokers: String?

    /// - Parameters:
    ///   - prefix: the topics' (other services of the test share them); a new one when nil.
    ///   - brokers: a private broker's (a test that stops it); the suite's when nil.
    static func start(name: String, trunkPort: Int? = nil, edgeSettings: [String: String] = [:], prefix given: String? = nil,
                      brokers: String? = nil) async throws -> CallFixture {
        let prefix = given ?? TestEnvironment.unique("call") + "."
        try await ensureTopics(prefix: prefix, brokers: brokers)
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(brokers), logger: TestEnvironment.logger)
        let provisioning = Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix), logger: TestEnvironment.logger)
        let slug = TestEnvironment.unique(name)
        let domain = slug.replacingOccurrences(of: "_", with: "-") + ".example.com"
        try await provisioning.createTenant(slug: slug, name: name, sipDomain: domain)
        for ext in ["1001", "1002", "1003"] {
            try await provisioning.createUser(tenant: slug, extension: ext, name: "User \(ext)", password: "password-\(ext)")
        }
        let sipPort = try freeUDPPort()
        let edgeHTTPPort = try freePort()
        var edgeEnvironment = serviceEnvironment(prefix: prefix, port: edgeHTTPPort, brokers: brokers)
        edgeEnvironment["SWITCHBOARD_SIP_PORT"] = String(sipPort)
        if let trunkPort { edgeEnvironment["SWITCHBOARD_SIP_TRUNK"] = "udp:\(trunkHost):\(trunkPort)" }
        // The trunks of most tests are SIPp scenarios that expect a call, not keep-alives.
        edgeEnvironment["SWITCHBOARD_SIP_TRUNK_OPTIONS_SECONDS"] = "0"
        edgeEnvironment.merge(edgeSettings) { $1 }
        let edge = try ServiceProcess("sip-edge", environment: edgeEnvironment)
        let routingPort = try freePort()
        let routing = try ServiceProcess("routing", environment: serviceEnvironment(prefix: prefix, port: routingPort, brokers: brokers))
        // Routing is ready once its consumer group gave it the offers' partitions.
        let ready = await eventually(timeout: .seconds(40)) {
            guard edgeListens(edge, on: sipPort) else { return false }
            return (try? await httpGet("http://127.0.0.1:\(routingPort)/health/ready").status) == 200
        }
        try #require(ready, "services did not start:\n\(edge.log)\n\(routing.log)")
        return CallFixture(edge: edge, edgeEnvironment: edgeEnvironment, routing: routing, sipPort: sipPort, edgeHTTPPort: edgeHTTPPort, prefix: prefix, db: db,
                           producer: producer, provisioning: provisioning, slug: slug, domain: domain, brokers: brokers)
    }

    var target: String { "127.0.0.1:\(sipPort)" }

    /// The operator trunk's address: a loopback host of its own, since the edge knows the trunk by its host.
    static let trunkHost = "127.0.0.2"

    func credentials(_ ext: String) -> [String] { [ext, domain, "password-\(ext)"] }

    /// Registers `ext` from `port` (where a UAS scenario then answers).
    func register(_ ext: String, port: Int, transport: String = "u1") async throws {
        let result = try await runSIPp(scenario: "register.xml", target: target, injection: [credentials(ext) + ["3600"]], localPort: port,
                                 transport: transport)
        try #require(result.status == 0, "register \(ext): \(result.errors)")
    }

    /// Runs a UAS scenario on `port` in the background.
    func answer(with scenario: String, port: Int, host: String = "127.0.0.1", timeout: Int = 25, transport: String = "u1")
        -> Task<(status: Int32, errors: String, messages: String), any Error>
    {
        Task {
            try await runSIPp(scenario: scenario, target: nil, localPort: port, localIP: host, transport: transport, timeout: timeout)
        }
    }

    /// The envelopes of one call on a topic, read from the beginning until `done` holds or 10 s pass.
    func events<P: EventPayload>(_ type: P.Type, callID: String? = nil, until done: ([Envelope<P>]) -> Bool) async throws -> [Envelope<P>] {
        try await readEvents(type, prefix: prefix, callID: callID, brokers: brokers, until: done)
    }

    func metric(_ name: String) async throws -> Double {
        try await serviceMetric(name, port: edgeHTTPPort)
    }

    /// Stops the services at once (a `defer` cannot await); the clients go with the test process.
    func stopProcesses() {
        edge.stop()
        routing.stop()
    }
}

/// The envelopes of a type (of one call, or all) on a deployment's topic, read from the beginning
/// until `done` holds or 10 s pass, and then on to the topic's end, so that a second copy (a
/// duplicate CDR, an event sent twice) is counted too instead of left unread.
/// A consumer of every partition of a deployment's topic, from the beginning.
func consumerFromBeginning(_ topic: Topic, prefix: String, brokers: String? = nil) throws -> KafkaConsumer {
    let name = topic.name(prefix: prefix)
    return try KafkaConsumer(
        configuration: TestEnvironment.kafka(brokers),
        subscription: .assigned(groupID: TestEnvironment.unique("read"), partitions: (0..<topic.partitions).map {
            TopicPartitionOffset(topic: name, partition: $0, offset: TopicPartitionOffset.beginning)
        }),
        logger: TestEnvironment.logger)
}

func readEvents<P: EventPayload>(_ type: P.Type, prefix: String, callID: String? = nil, brokers: String? = nil,
                                 until done: ([Envelope<P>]) -> Bool) async throws -> [Envelope<P>] {
        let topic = P.topic.name(prefix: prefix)
        let consumer = try consumerFromBeginning(P.topic, prefix: prefix, brokers: brokers)
        var found: [Envelope<P>] = []
        var next: [Int32: Int64] = [:]
        func read() async throws {
            while let message = try await consumer.poll(timeoutMilliseconds: 50) {
                next[message.partition] = message.offset + 1
                let header = try EnvelopeHeader.decode(message.value ?? [])
                guard header.type == P.type, callID == nil || header.callId == callID else { continue }
                found.append(try header.decode(message.value ?? [], as: P.self))
            }
        }
        _ = try await eventually(timeout: .seconds(10)) {
            try await read()
            return done(found)
        }
        // Then on to the end of every partition as it is a moment later, so that a second copy
        // (a duplicate CDR, an event sent twice) is counted too instead of left unread.
        try await Task.sleep(for: .milliseconds(500))
        let admin = try KafkaAdmin(configuration: TestEnvironment.kafka(brokers), logger: TestEnvironment.logger)
        var ends: [Int32: Int64] = [:]
        for partition in 0..<P.topic.partitions { ends[partition] = try await admin.endOffset(topic: topic, partition: partition) }
        let reachedEnd = try await eventually(timeout: .seconds(10)) {
            try await read()
            return ends.allSatisfy { partition, end in end == 0 || next[partition, default: 0] >= end }
        }
        await consumer.close()
        try #require(reachedEnd, "\(topic) was not read to its end \(ends): at \(next)")
        return found
}

/// The final status a refused call got, from SIPp's message trace.
func finalStatus(in messages: String) -> Int? {
    messages.split(separator: "\n").compactMap { line -> Int? in
        guard line.hasPrefix("SIP/2.0 ") else { return nil }
        return Int(line.split(separator: " ")[1])
    }.last { $0 >= 300 && $0 != 407 }
}

@Suite("calls through sip-edge and routing with SIPp", .serialized, .timeLimit(.minutes(3)))
struct SIPCallTests {
    @Test("1001 calls 1002: 407, ringing, answer, RTP transcoded both ways, BYE; events in order and exactly one CDR")
    func answeredCall() async throws {
        let fixture = try await CallFixture.start(name: "calls")
        defer { fixture.stopProcesses() }
        let calleePort = try freeUDPPort()
        try await fixture.register("1002", port: calleePort)
        let callee = fixture.answer(with: "answer.xml", port: calleePort)
        try await Task.sleep(for: .milliseconds(300))
        let caller = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                                 localPort: try freeUDPPort(), arguments: ["-d", "3000"])
        #expect(caller.status == 0, "caller: \(caller.errors)\n\(fixture.edge.log.suffix(3000))")
        let answered = try await callee.value
        #expect(answered.status == 0, "callee: \(answered.errors)")
        #expect(answered.messages.contains("From: \"User 1001\" <sip:1001@\(fixture.domain)>"), "the callee sees the caller's name and extension")

        let records = try await fixture.events(CallRecord.self) { $0.count >= 1 }
        try #require(records.count == 1, "exactly one CDR")
        let record = records[0].data
        #expect(record.from == "1001")
        #expect(record.to == "1002")
        #expect(record.direction == .internal)
        #expect(record.cause == "normal")
        #expect(record.answer != nil)
        #expect((3...5).contains(record.billableSeconds), "billable \(record.billableSeconds)")
        let callID = try #require(records[0].callId)
        let states = try await fixture.events(CallStateChanged.self, callID: callID) { $0.last?.data.state == .ended }.map(\.data.state)
        #expect(states == [.offered, .ringing, .answered, .ended])
        let offers = try await fixture.events(CallOffered.self, callID: callID) { !$0.isEmpty }
        #expect(offers.first?.data.callerExtension == "1001")
        #expect(offers.first?.data.dialled == "1002")

        // The caller sent PCMU, the callee PCMA: the edge transcoded in both directions (50 packets/s each).
        #expect(try await fixture.metric("switchboard_media_packets_transcoded_total") > 150)
        #expect(try await fixture.metric("switchboard_calls_active") == 0)
    }

    @Test("refusals: unknown extension 404, nobody registered 480, busy 486, a device of another tenant 403")
    func refusedCalls() async throws {
        let fixture = try await CallFixture.start(name: "refusals")
        defer { fixture.stopProcesses() }
        let caller = fixture.credentials("1001")
        let unknown = try await runSIPp(scenario: "call-refused.xml", target: fixture.target, injection: [caller + ["1999"]], localPort: try freeUDPPort())
        #expect(unknown.status == 0, "\(unknown.errors)")
        #expect(finalStatus(in: unknown.messages) == 404)
        let unregistered = try await runSIPp(scenario: "call-refused.xml", target: fixture.target, injection: [caller + ["1003"]], localPort: try freeUDPPort())
        #expect(finalStatus(in: unregistered.messages) == 480)

        let busyPort = try freeUDPPort()
        try await fixture.register("1002", port: busyPort)
        let busy = fixture.answer(with: "busy.xml", port: busyPort)
        try await Task.sleep(for: .milliseconds(300))
        let toBusy = try await runSIPp(scenario: "call-refused.xml", target: fixture.target, injection: [caller + ["1002"]], localPort: try freeUDPPort())
        #expect(finalStatus(in: toBusy.messages) == 486, "\(toBusy.messages.suffix(1500))")
        #expect(try await busy.value.status == 0)

        // 1001 of another tenant, with its own valid password, calling into this tenant's domain.
        let other = TestEnvironment.unique("other")
        try await fixture.provisioning.createTenant(slug: other, name: "Other", sipDomain: other.replacingOccurrences(of: "_", with: "-") + ".example.com")
        try await fixture.provisioning.createUser(tenant: other, extension: "1001", name: "Intruder", password: "intruder-pw")
        let intruder = try await runSIPp(scenario: "call-refused.xml", target: fixture.target,
                                   injection: [["1001", fixture.domain, "intruder-pw", "1002"]], localPort: try freeUDPPort())
        #expect(finalStatus(in: intruder.messages) == 403)

        let records = try await fixture.events(CallRecord.self) { $0.count >= 3 }
        #expect(records.map(\.data.cause).sorted() == ["404 No such extension", "480 Not registered", "486 Busy Here"])
        #expect(records.allSatisfy { $0.data.answer == nil && $0.data.billableSeconds == 0 })
    }

    @Test("a dead trunk: the caller gets 503 within seconds, not at Timer B; with a second trunk the calls go through it, the dead one is marked down by its OPTIONS keep-alives and taken back once it answers")
    func deadTrunk() async throws {
        let (deadPort, livePort) = (try freeUDPPort(), try freeUDPPort())
        let second = "127.0.0.3"
        // Alone, nothing listening: refused in about the 5 s a trunk gets to answer.
        let lone = try await CallFixture.start(name: "deadtrunk", trunkPort: deadPort, edgeSettings: ["SWITCHBOARD_SIP_TRUNK_OPTIONS_SECONDS": "0"])
        let started = Date()
        let refused = try await runSIPp(scenario: "call-refused.xml", target: lone.target, injection: [lone.credentials("1001") + ["5550123"]],
                                        localPort: try freeUDPPort(), timeout: 40)
        #expect(finalStatus(in: refused.messages) == 503, "\(refused.messages.suffix(1500))")
        #expect(Date().timeIntervalSince(started) < 10, "refused after \(Date().timeIntervalSince(started)) s")
        lone.stopProcesses()

        // -aa: the live trunk answers the keep-alives (OPTIONS) with 200; each is a call of SIPp's
        // own, so it takes many, and the test ends it (its status says nothing).
        let network = Task {
            try await runSIPp(scenario: "answer.xml", target: nil, calls: 1_000, localPort: livePort, localIP: second, timeout: 45, arguments: ["-aa"])
        }
        let fixture = try await CallFixture.start(name: "twotrunks", edgeSettings: [
            "SWITCHBOARD_SIP_TRUNK": "udp:\(CallFixture.trunkHost):\(deadPort),udp:\(second):\(livePort)",
            "SWITCHBOARD_SIP_TRUNK_OPTIONS_SECONDS": "1",
        ])
        defer { fixture.stopProcesses() }
        func trunkUp(_ trunk: String) async -> Double? { try? await fixture.metric("switchboard_sip_trunk_up{trunk=\"\(trunk)\"}") }
        let deadTrunk = "udp:\(CallFixture.trunkHost):\(deadPort)"
        let sorted = await eventually(timeout: .seconds(15)) {
            let dead = await trunkUp(deadTrunk)
            let live = await trunkUp("udp:\(second):\(livePort)")
            return dead == 0 && live == 1
        }
        #expect(sorted, "the keep-alives find the first trunk dead and the second alive")
        let started2 = Date()
        let call = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["5550123"]],
                                     localPort: try freeUDPPort(), arguments: ["-d", "500"])
        #expect(call.status == 0, "\(call.errors)\n\(fixture.edge.log.suffix(2000))")
        #expect(Date().timeIntervalSince(started2) < 5, "straight to the trunk that is up")
        let reached = try await network.value
        #expect(reached.messages.contains("INVITE sip:+3725550123@\(second):\(livePort)"), "\(reached.messages.prefix(1500))")
        // The first trunk comes back: its keep-alives are answered, and it is up again.
        let back = Task { try await runSIPp(scenario: "answer.xml", target: nil, calls: 1_000, localPort: deadPort, localIP: CallFixture.trunkHost,
                                           timeout: 8, arguments: ["-aa"]) }
        let up = await eventually(timeout: .seconds(10)) { await trunkUp(deadTrunk) == 1 }
        #expect(up, "the first trunk is taken back once it answers")
        _ = try? await back.value
    }

    @Test("the caller gives up while it rings: CANCEL reaches the callee, the caller gets 487, the CDR says cancelled")
    func cancelledCall() async throws {
        let fixture = try await CallFixture.start(name: "cancel")
        defer { fixture.stopProcesses() }
        let calleePort = try freeUDPPort()
        try await fixture.register("1002", port: calleePort)
        let callee = fixture.answer(with: "ring.xml", port: calleePort)
        try await Task.sleep(for: .milliseconds(300))
        let caller = try await runSIPp(scenario: "cancel.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                                 localPort: try freeUDPPort())
        #expect(caller.status == 0, "caller: \(caller.errors)\n\(caller.messages.suffix(2000))")
        #expect(try await callee.value.status == 0, "the callee was cancelled")
        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        #expect(records.map(\.data.cause) == ["cancelled"])
        #expect(records.first?.data.answer == nil)
    }

    @Test("the trunk: a call to a DID rings its user; a user's call to a national number goes out through the trunk as the company number")
    func trunkCalls() async throws {
        let trunkPort = try freeUDPPort()
        let fixture = try await CallFixture.start(name: "trunk", trunkPort: trunkPort)
        defer { fixture.stopProcesses() }
        // A DID of this run's own (numbers are unique across tenants).
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: did, userExtension: "1002")

        let calleePort = try freeUDPPort()
        try await fixture.register("1002", port: calleePort)
        let callee = fixture.answer(with: "answer.xml", port: calleePort)
        try await Task.sleep(for: .milliseconds(300))
        let inbound = try await runSIPp(scenario: "inbound.xml", target: fixture.target, injection: [["+3725550199", "127.0.0.1", "-", did]],
                                  localPort: try freeUDPPort(), localIP: CallFixture.trunkHost, arguments: ["-d", "1000"])
        #expect(inbound.status == 0, "trunk: \(inbound.errors)\n\(fixture.edge.log.suffix(2000))")
        #expect(try await callee.value.status == 0)

        let operatorNetwork = fixture.answer(with: "answer.xml", port: trunkPort, host: CallFixture.trunkHost)
        try await Task.sleep(for: .milliseconds(300))
        let outbound = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["5550123"]],
                                   localPort: try freeUDPPort(), arguments: ["-d", "1000"])
        #expect(outbound.status == 0, "caller: \(outbound.errors)")
        let reached = try await operatorNetwork.value
        #expect(reached.status == 0, "trunk side: \(reached.errors)")
        #expect(reached.messages.contains("INVITE sip:+3725550123@\(CallFixture.trunkHost):\(trunkPort)"), "national number sent as E.164")
        #expect(reached.messages.contains("From: \"User 1001\" <sip:\(did)@\(CallFixture.trunkHost)>"), "presented as the company's main number")
        #expect(reached.messages.contains("P-Asserted-Identity: <sip:\(did)@\(CallFixture.trunkHost)>"))

        let records = try await fixture.events(CallRecord.self) { $0.count >= 2 }.map(\.data)
        let incoming = try #require(records.first { $0.direction == .inbound })
        #expect(incoming.from == "+3725550199")
        #expect(incoming.to == did)
        let outgoing = try #require(records.first { $0.direction == .outbound })
        #expect(outgoing.from == did)
        #expect(outgoing.to == "+3725550123")
        #expect(outgoing.answer != nil)
    }

    @Test("hold and resume: the caller's re-INVITEs reach the callee as re-INVITEs of the edge; held and resumed events")
    func holdAndResume() async throws {
        let fixture = try await CallFixture.start(name: "hold")
        defer { fixture.stopProcesses() }
        let calleePort = try freeUDPPort()
        try await fixture.register("1002", port: calleePort)
        let callee = fixture.answer(with: "answer-held.xml", port: calleePort)
        try await Task.sleep(for: .milliseconds(300))
        let caller = try await runSIPp(scenario: "hold.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                                 localPort: try freeUDPPort())
        #expect(caller.status == 0, "caller: \(caller.errors)\n\(caller.messages.suffix(3000))")
        let held = try await callee.value
        #expect(held.status == 0, "callee: \(held.errors)\n\(held.messages.suffix(3000))")
        #expect(held.messages.contains("a=sendonly"), "the callee was asked to hold")
        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        let callID = try #require(records.first?.callId)
        let states = try await fixture.events(CallStateChanged.self, callID: callID) { $0.last?.data.state == .ended }.map(\.data.state)
        #expect(states == [.offered, .ringing, .answered, .held, .resumed, .ended])
    }

    @Test("an edge that crashes mid-call closes that call when it starts again: ended event and one CDR, cause edge restarted")
    func callsOfACrashedEdge() async throws {
        let fixture = try await CallFixture.start(name: "crash")
        defer { fixture.stopProcesses() }
        let calleePort = try freeUDPPort()
        try await fixture.register("1002", port: calleePort)
        let callee = fixture.answer(with: "answer.xml", port: calleePort, timeout: 8)
        try await Task.sleep(for: .milliseconds(300))
        let callerPort = try freeUDPPort()
        let caller = Task {
            try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                              localPort: callerPort, timeout: 8, arguments: ["-d", "3000"])
        }
        let answered = try await eventually(timeout: .seconds(10)) {
            try await !fixture.db.query("SELECT 1 AS one FROM platform.edge_calls WHERE tenant = \(fixture.slug) AND answered_at IS NOT NULL").isEmpty
        }
        if !answered {
            let result = try await caller.value
            Issue.record("the call was not answered: \(result.errors)\n\(result.messages.suffix(3000))\n\(fixture.edge.log.suffix(2000))")
            return
        }
        fixture.edge.stop(signal: SIGKILL)
        let restarted = try ServiceProcess("sip-edge", environment: fixture.edgeEnvironment)
        defer { restarted.stop() }
        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        #expect(records.count == 1)
        #expect(records.first?.data.cause == "edge restarted")
        #expect(records.first?.data.answer != nil)
        let rows = try await fixture.db.query("SELECT 1 AS one FROM platform.edge_calls WHERE tenant = \(fixture.slug)")
        #expect(rows.isEmpty, "the journal row is gone")
        _ = try? await caller.value
        _ = try? await callee.value
    }

    @Test("over TCP: the caller's connection carries its answers; the callee, whose registering connection is gone, is reached on a new one")
    func tcpCall() async throws {
        let fixture = try await CallFixture.start(name: "tcp")
        defer { fixture.stopProcesses() }
        let calleePort = try freePort()
        try await fixture.register("1002", port: calleePort, transport: "t1")
        let callee = fixture.answer(with: "answer.xml", port: calleePort, transport: "t1")
        try await Task.sleep(for: .milliseconds(300))
        let caller = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                                 localPort: try freePort(), transport: "t1", arguments: ["-d", "1000"])
        #expect(caller.status == 0, "caller: \(caller.errors)\n\(caller.messages.suffix(2000))")
        let answered = try await callee.value
        #expect(answered.status == 0, "callee: \(answered.errors)\n\(answered.messages.suffix(2000))")
        #expect(answered.messages.contains("Via: SIP/2.0/TCP"))
        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        #expect(records.first?.data.cause == "normal")
    }

    @Test("ring-all with a device that is gone: its TCP connect hangs, and its other device rings and answers at once")
    func deadDeviceDoesNotDelayOthers() async throws {
        let fixture = try await CallFixture.start(name: "deaddev")
        defer { fixture.stopProcesses() }
        let livePort = try freeUDPPort()
        try await fixture.register("1002", port: livePort)
        // The dead device registers last, so routing lists it first; its connection then closes, and
        // the port it named takes no connection: the edge's connect to it hangs for its 3 s timeout.
        let deadPort = try freePort()
        try await fixture.register("1002", port: deadPort, transport: "t1")
        let blackHole = try blackHoleTCPPort(deadPort)
        defer { blackHole.forEach { close($0) } }
        let callee = fixture.answer(with: "answer.xml", port: livePort)
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        let caller = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                                       localPort: try freeUDPPort(), arguments: ["-d", "200"])
        let took = ContinuousClock.now - started
        #expect(caller.status == 0, "caller: \(caller.errors)\n\(fixture.edge.log.suffix(3000))")
        #expect(try await callee.value.status == 0)
        // Sent one after another, the live device's INVITE would wait out the dead one's connect (3 s).
        #expect(took < .milliseconds(2500), "the call took \(took)")
        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        #expect(records.first?.data.cause == "normal")
    }
}
