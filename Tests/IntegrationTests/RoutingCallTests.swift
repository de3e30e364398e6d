import Events
import Foundation
import Messaging
import Tenancy
import Testing
import TestSupport

@Suite("routing: groups, schedules and caller ID through the edge, with SIPp", .serialized, .timeLimit(.minutes(3)))
struct RoutingCallTests {
    @Test("in hours, a call to the main number hunts a linear group: 1002 rings first and is cancelled after its ring time, then the external member's mobile answers at the trunk; on a holiday the call goes to the closed destination")
    func huntGroupWithMobileAndSchedule() async throws {
        let trunkPort = try freeUDPPort()
        let fixture = try await CallFixture.start(name: "hunt", trunkPort: trunkPort)
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        let mobile = "+37255" + String(Int.random(in: 100_000...999_999))
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: did)
        try await config.createGroup(tenant: fixture.slug, name: "sales", strategy: "linear", memberSeconds: 5, totalSeconds: 30, overflow: "none")
        try await config.addMember(tenant: fixture.slug, group: "sales", member: "1002", ringSeconds: nil)
        try await config.addMember(tenant: fixture.slug, group: "sales", member: mobile, ringSeconds: nil)
        try await config.createSchedule(tenant: fixture.slug, name: "hours", open: "group:sales", closed: "voicemail")
        try await config.addPeriod(tenant: fixture.slug, schedule: "hours", days: Array(1...7), opens: "00:00", closes: "24:00")
        try await config.routeNumber(tenant: fixture.slug, number: did, to: "schedule:hours")

        let deskPort = try freeUDPPort()
        try await fixture.register("1002", port: deskPort)
        let desk = fixture.answer(with: "ring.xml", port: deskPort)
        let mobileLeg = fixture.answer(with: "answer.xml", port: trunkPort, host: CallFixture.trunkHost)
        try await Task.sleep(for: .milliseconds(300))
        let call = try await runSIPp(scenario: "inbound.xml", target: fixture.target, injection: [["+3725550199", "127.0.0.1", "-", did]],
                               localPort: try freeUDPPort(), localIP: CallFixture.trunkHost, timeout: 25, arguments: ["-d", "1000"])
        #expect(call.status == 0, "caller: \(call.errors)\n\(fixture.edge.log.suffix(2000))")
        let rang = try await desk.value
        let answered = try await mobileLeg.value
        #expect(rang.status == 0, "1002 rang and was cancelled: \(rang.errors)")
        #expect(answered.status == 0, "the mobile answered at the trunk: \(answered.errors)")
        #expect(answered.messages.contains("INVITE sip:\(mobile)@\(CallFixture.trunkHost):\(trunkPort)"), "\(answered.messages.prefix(1500))")
        // Hunted out: the caller's number, and the number called as the one that diverted it.
        #expect(answered.messages.contains("<sip:+3725550199@\(CallFixture.trunkHost)>"))
        #expect(answered.messages.contains("Diversion: <sip:\(did)@\(CallFixture.trunkHost)>;reason=unknown;counter=1"))
        // SIPp's trace stamps each message: 1002's INVITE came about 5 s before the mobile's.
        let deskInvite = try #require(Self.time(of: "INVITE sip:", in: rang.messages))
        let mobileInvite = try #require(Self.time(of: "INVITE sip:", in: answered.messages))
        #expect((4.0...8.0).contains(mobileInvite - deskInvite), "the mobile rang \(mobileInvite - deskInvite) s after 1002")

        // Today a holiday in the tenant's time zone: the number's calls go to the closed destination
        // (voicemail, but with no user or group on the way there is no box to leave it in).
        let today = Date.now.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "Europe/Tallinn")!).year().month().day())
        try await config.addException(tenant: fixture.slug, schedule: "hours", day: today, opens: nil, closes: nil, label: "holiday")
        let closed = try await runSIPp(scenario: "inbound-refused.xml", target: fixture.target, injection: [["+3725550199", "127.0.0.1", "-", did]],
                                 localPort: try freeUDPPort(), localIP: CallFixture.trunkHost)
        #expect(finalStatus(in: closed.messages) == 404)
        #expect(closed.messages.contains("404 No voicemail box for this call"))

        let records = try await fixture.events(CallRecord.self) { $0.count >= 2 }.map(\.data)
        #expect(records.contains { $0.cause == "normal" && $0.answer != nil && $0.direction == .inbound && $0.answeredBy == mobile })
        #expect(records.contains { $0.cause == "404 No voicemail box for this call" })
    }

    @Test("group overflow: nobody in the group answers within its total time, so the call goes to the overflow destination")
    func groupOverflow() async throws {
        let fixture = try await CallFixture.start(name: "ovf")
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: did)
        try await config.createGroup(tenant: fixture.slug, name: "support", strategy: "ring-all", memberSeconds: 5, totalSeconds: 5,
                                     overflow: "user:1003")
        try await config.addMember(tenant: fixture.slug, group: "support", member: "1002", ringSeconds: nil)
        // 1001 dials the group through its number's destination: calls to a tenant's own DID stay inside.
        try await config.routeNumber(tenant: fixture.slug, number: did, to: "group:support")
        let ringPort = try freeUDPPort()
        let answerPort = try freeUDPPort()
        try await fixture.register("1002", port: ringPort)
        try await fixture.register("1003", port: answerPort)
        let ringing = fixture.answer(with: "ring.xml", port: ringPort)
        let answer = fixture.answer(with: "answer.xml", port: answerPort)
        try await Task.sleep(for: .milliseconds(300))
        let call = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + [did]],
                               localPort: try freeUDPPort(), timeout: 25, arguments: ["-d", "500"])
        #expect(call.status == 0, "\(call.errors)\n\(fixture.edge.log.suffix(2000))")
        #expect(try await ringing.value.status == 0, "1002 rang and was cancelled")
        #expect(try await answer.value.status == 0, "1003, the overflow, answered")
        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        #expect(records.first?.data.answeredBy == "1003")
    }

    @Test("caller ID: a user set to anonymous calls out without a number (Privacy: id, anonymous.invalid) and with the number asserted to the network; *32# presents their own DID, *33# the main number, also dialled escaped (*33%23)")
    func callerIDOnTheTrunk() async throws {
        let trunkPort = try freeUDPPort()
        let fixture = try await CallFixture.start(name: "clid", trunkPort: trunkPort)
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        let main = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        let own = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: main)
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: own, userExtension: "1001")
        try await config.setOutboundIdentity(tenant: fixture.slug, extension: "1001", callerID: "anonymous", defaultClass: "private")

        // 1001 dials `dialled`; what the trunk received.
        func callOut(_ dialled: String) async throws -> String {
            let trunk = fixture.answer(with: "answer.xml", port: trunkPort, host: CallFixture.trunkHost)
            try await Task.sleep(for: .milliseconds(300))
            let call = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + [dialled]],
                                   localPort: try freeUDPPort(), arguments: ["-d", "500"])
            #expect(call.status == 0, "\(dialled): \(call.errors)")
            return try await trunk.value.messages
        }
        let hidden = try await callOut("5550123")
        #expect(hidden.contains("From: \"Anonymous\" <sip:anonymous@anonymous.invalid>"), "\(hidden.prefix(1500))")
        #expect(hidden.contains("Privacy: id"))
        #expect(hidden.contains("P-Asserted-Identity: <sip:\(own)@\(CallFixture.trunkHost)>"), "the network knows the number it is entitled to")
        let shown = try await callOut("*32#5550123")
        #expect(shown.contains("<sip:\(own)@\(CallFixture.trunkHost)>"), "own number presented")
        #expect(shown.contains("INVITE sip:+3725550123@"))
        let company = try await callOut("*33#5550123")
        #expect(company.contains("<sip:\(main)@\(CallFixture.trunkHost)>"), "main number presented")
        #expect(company.contains("P-Asserted-Identity: <sip:\(main)@\(CallFixture.trunkHost)>"))
        // As RFC 3261 §19.1.2 has a phone send it: the # escaped.
        let escaped = try await callOut("*33%235550123")
        #expect(escaped.contains("<sip:\(main)@\(CallFixture.trunkHost)>") && escaped.contains("INVITE sip:+3725550123@"), "\(escaped.prefix(1500))")

        let records = try await fixture.events(CallRecord.self) { $0.count >= 4 }.map(\.data)
        #expect(records.count == 4)
        #expect(records.allSatisfy { $0.classification == .private && $0.direction == .outbound })
        #expect(records.first?.from == own, "the anonymous call's CDR names its real number")
    }

    @Test("forwarded out to a mobile: from outside the network sees the caller's number and a Diversion naming the DID; from inside, the caller's company number asserted and the forwarding user's number as the diverter; History-Info when the trunk wants it")
    func forwardedToAMobile() async throws {
        let trunkPort = try freeUDPPort()
        let fixture = try await CallFixture.start(name: "divert", trunkPort: trunkPort,
                                                  edgeSettings: ["SWITCHBOARD_SIP_TRUNK_DIVERSION": "both"])
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        let main = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        let bobs = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: main)
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: bobs, userExtension: "1002")
        try await config.setForwarding(tenant: fixture.slug, extension: "1002", when: "always", to: "external:+37255512345", noAnswerSeconds: nil)
        let host = CallFixture.trunkHost

        // From outside, to Bob's number.
        var network = fixture.answer(with: "answer.xml", port: trunkPort, host: host)
        try await Task.sleep(for: .milliseconds(300))
        let inbound = try await runSIPp(scenario: "inbound.xml", target: fixture.target, injection: [["+3725550199", "127.0.0.1", "-", bobs]],
                                        localPort: try freeUDPPort(), localIP: host, arguments: ["-d", "500"])
        #expect(inbound.status == 0, "\(inbound.errors)\n\(fixture.edge.log.suffix(2000))")
        var reached = try await network.value.messages
        #expect(reached.contains("INVITE sip:+37255512345@"), "\(reached.prefix(1500))")
        #expect(reached.contains("<sip:+3725550199@\(host)>"), "the caller's own number, not an extension")
        #expect(reached.contains("Diversion: <sip:\(bobs)@\(host)>;reason=unconditional;counter=1"), "\(reached.prefix(2000))")
        #expect(reached.contains("History-Info: <sip:\(bobs)@\(host)>;index=1,<sip:+37255512345@\(host)?Reason=SIP%3Bcause%3D302>;index=1.1;mp=1"))

        // From 1001's phone to 1002: presented as the company (1001's caller ID), Bob's number diverted it.
        network = fixture.answer(with: "answer.xml", port: trunkPort, host: host)
        try await Task.sleep(for: .milliseconds(300))
        let inside = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                                       localPort: try freeUDPPort(), arguments: ["-d", "500"])
        #expect(inside.status == 0, "\(inside.errors)")
        reached = try await network.value.messages
        #expect(reached.contains("<sip:\(main)@\(host)>") && !reached.contains("<sip:1001@"), "\(reached.prefix(2000))")
        #expect(reached.contains("P-Asserted-Identity: <sip:\(main)@\(host)>"))
        #expect(reached.contains("Diversion: <sip:\(bobs)@\(host)>;reason=unconditional;counter=1"))
    }

    @Test("a call out refused for the international limit: 403 to the phone, and an outbound CDR to the number in E.164, not an internal one as dialled")
    func refusedCallOut() async throws {
        let fixture = try await CallFixture.start(name: "refusedout", trunkPort: try freeUDPPort())
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: "+3726" + String(Int.random(in: 1_000_000...9_999_999)))
        try await config.setLimits(tenant: fixture.slug, concurrentCalls: nil, internationalCalls: 0)
        let refused = try await runSIPp(scenario: "call-refused.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["004420794600"]],
                                        localPort: try freeUDPPort())
        #expect(finalStatus(in: refused.messages) == 403, "\(refused.messages.suffix(1500))")
        let record = try #require(try await fixture.events(CallRecord.self) { !$0.isEmpty }.first?.data)
        #expect(record.direction == .outbound && record.to == "+4420794600", "\(record)")
        #expect(record.cause == "403 International call limit reached")
    }

    @Test("forwarding: a busy user's call goes to their busy destination; a forwarding loop is refused with 482")
    func forwardingOnBusyAndLoops() async throws {
        let fixture = try await CallFixture.start(name: "fwd")
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        try await config.setForwarding(tenant: fixture.slug, extension: "1002", when: "busy", to: "user:1003", noAnswerSeconds: nil)
        let busyPort = try freeUDPPort()
        let answerPort = try freeUDPPort()
        try await fixture.register("1002", port: busyPort)
        try await fixture.register("1003", port: answerPort)
        let busy = fixture.answer(with: "busy.xml", port: busyPort)
        let answer = fixture.answer(with: "answer.xml", port: answerPort)
        try await Task.sleep(for: .milliseconds(300))
        let call = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                               localPort: try freeUDPPort(), arguments: ["-d", "500"])
        #expect(call.status == 0, "\(call.errors)\n\(fixture.edge.log.suffix(2000))")
        #expect(try await busy.value.status == 0, "1002 was tried and said busy")
        #expect(try await answer.value.status == 0, "1003 answered the forwarded call")

        try await config.setForwarding(tenant: fixture.slug, extension: "1002", when: "always", to: "user:1003", noAnswerSeconds: nil)
        try await config.setForwarding(tenant: fixture.slug, extension: "1003", when: "always", to: "user:1002", noAnswerSeconds: nil)
        let loop = try await runSIPp(scenario: "call-refused.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                               localPort: try freeUDPPort())
        #expect(finalStatus(in: loop.messages) == 482, "\(loop.messages.suffix(1500))")
    }

    @Test("forwarding on no answer: 1002 rings for its 5 s, is cancelled, and 1003 answers; the CDR names who answered")
    func forwardingOnNoAnswer() async throws {
        let fixture = try await CallFixture.start(name: "noans")
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        try await config.setForwarding(tenant: fixture.slug, extension: "1002", when: "no-answer", to: "user:1003", noAnswerSeconds: 5)
        let ringPort = try freeUDPPort()
        let answerPort = try freeUDPPort()
        try await fixture.register("1002", port: ringPort)
        try await fixture.register("1003", port: answerPort)
        let ringing = fixture.answer(with: "ring.xml", port: ringPort)
        let answer = fixture.answer(with: "answer.xml", port: answerPort)
        try await Task.sleep(for: .milliseconds(300))
        let call = try await runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                               localPort: try freeUDPPort(), timeout: 25, arguments: ["-d", "500"])
        #expect(call.status == 0, "\(call.errors)\n\(fixture.edge.log.suffix(2000))")
        let rang = try await ringing.value
        let answered = try await answer.value
        #expect(rang.status == 0, "1002 rang and was cancelled: \(rang.errors)")
        #expect(answered.status == 0, "1003 answered: \(answered.errors)")
        let delay = try #require(Self.time(of: "INVITE sip:", in: answered.messages)) - (try #require(Self.time(of: "INVITE sip:", in: rang.messages)))
        #expect((4.0...8.0).contains(delay), "1003 rang \(delay) s after 1002")
        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        #expect(records.first?.data.answeredBy == "1003")
    }

    /// Seconds of the first trace entry whose message starts with `prefix` (SIPp's message trace
    /// heads each message with a date line).
    static func time(of prefix: String, in messages: String) -> Double? {
        var stamp: Double?
        for line in messages.split(separator: "\n") {
            if line.hasPrefix("-----------------------------------------------"), let time = line.split(separator: " ").last {
                let parts = time.split(separator: ":").compactMap { Double($0) }
                if parts.count == 3 { stamp = parts[0] * 3600 + parts[1] * 60 + parts[2] }
            } else if line.hasPrefix(prefix) {
                return stamp
            }
        }
        return nil
    }
}
