import Events
import Foundation
import Messaging
import Tenancy
import Testing
import TestSupport

@Suite("routing: groups, schedules and caller ID through the edge, with SIPp", .serialized, .timeLimit(.minutes(3)))
struct RoutingCallTests {
    @Test("a call to the main number hunts a linear group: 1002 rings first, is cancelled after its ring time, then 1003 answers; out of hours it goes to the closed destination")
    func huntGroupAndSchedule() async throws {
        let trunkPort = try freeUDPPort()
        let fixture = try await CallFixture.start(name: "hunt", trunkPort: trunkPort)
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        try await fixture.provisioning.assignNumber(tenant: fixture.slug, number: did)
        try await config.createGroup(tenant: fixture.slug, name: "sales", strategy: "linear", memberSeconds: 5, totalSeconds: 30, overflow: "none")
        try await config.addMember(tenant: fixture.slug, group: "sales", member: "1002", ringSeconds: nil)
        try await config.addMember(tenant: fixture.slug, group: "sales", member: "1003", ringSeconds: nil)
        try await config.routeNumber(tenant: fixture.slug, number: did, to: "group:sales")

        let firstPort = try freeUDPPort()
        let secondPort = try freeUDPPort()
        try fixture.register("1002", port: firstPort)
        try fixture.register("1003", port: secondPort)
        let first = fixture.answer(with: "ring.xml", port: firstPort)
        let second = fixture.answer(with: "answer.xml", port: secondPort)
        try await Task.sleep(for: .milliseconds(300))
        let call = try runSIPp(scenario: "inbound.xml", target: fixture.target, injection: [["+3725550199", "127.0.0.1", "-", did]],
                               localPort: trunkPort, timeout: 25, arguments: ["-d", "1000"])
        #expect(call.status == 0, "caller: \(call.errors)\n\(fixture.edge.log.suffix(2000))")
        let rang = try await first.value
        let answered = try await second.value
        #expect(rang.status == 0, "1002 rang and was cancelled: \(rang.errors)")
        #expect(answered.status == 0, "1003 answered: \(answered.errors)")
        // SIPp's trace stamps each message: 1002's INVITE came about 5 s before 1003's.
        let firstInvite = try #require(Self.time(of: "INVITE sip:", in: rang.messages))
        let secondInvite = try #require(Self.time(of: "INVITE sip:", in: answered.messages))
        #expect((4.0...8.0).contains(secondInvite - firstInvite), "1003 rang \(secondInvite - firstInvite) s after 1002")

        // A schedule that is never open sends the number's calls to its closed destination (voicemail, not there yet: 480).
        try await config.createSchedule(tenant: fixture.slug, name: "hours", open: "group:sales", closed: "voicemail")
        try await config.routeNumber(tenant: fixture.slug, number: did, to: "schedule:hours")
        let closed = try runSIPp(scenario: "inbound-refused.xml", target: fixture.target, injection: [["+3725550199", "127.0.0.1", "-", did]],
                                 localPort: trunkPort)
        #expect(finalStatus(in: closed.messages) == 480)
        #expect(closed.messages.contains("480 Voicemail not available"))

        let records = try await fixture.events(CallRecord.self) { $0.count >= 2 }.map(\.data)
        #expect(records.contains { $0.cause == "normal" && $0.answer != nil && $0.direction == "inbound" })
        #expect(records.contains { $0.cause == "480 Voicemail not available" })
    }

    @Test("caller ID: a user set to anonymous calls out without a number (Privacy: id); *32# presents their own DID")
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

        let hidden = fixture.answer(with: "answer.xml", port: trunkPort)
        try await Task.sleep(for: .milliseconds(300))
        let call = try runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["5550123"]],
                               localPort: try freeUDPPort(), arguments: ["-d", "500"])
        #expect(call.status == 0, "\(call.errors)")
        let seen = try await hidden.value
        #expect(seen.messages.contains("From: \"Anonymous\" <sip:anonymous@127.0.0.1>"), "\(seen.messages.prefix(1500))")
        #expect(seen.messages.contains("Privacy: id"))

        let shown = fixture.answer(with: "answer.xml", port: trunkPort)
        try await Task.sleep(for: .milliseconds(300))
        let call2 = try runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["*32#5550123"]],
                                localPort: try freeUDPPort(), arguments: ["-d", "500"])
        #expect(call2.status == 0, "\(call2.errors)")
        let seen2 = try await shown.value
        #expect(seen2.messages.contains("<sip:\(own)@127.0.0.1>"), "own number presented")
        #expect(seen2.messages.contains("INVITE sip:+3725550123@"))

        let records = try await fixture.events(CallRecord.self) { $0.count >= 2 }.map(\.data)
        #expect(records.allSatisfy { $0.classification == "private" && $0.direction == "outbound" })
    }

    @Test("forwarding: a busy user's call goes to their busy destination; a forwarding loop is refused with 482")
    func forwardingOnBusyAndLoops() async throws {
        let fixture = try await CallFixture.start(name: "fwd")
        defer { fixture.stopProcesses() }
        let config = DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        try await config.setForwarding(tenant: fixture.slug, extension: "1002", when: "busy", to: "user:1003", noAnswerSeconds: nil)
        let busyPort = try freeUDPPort()
        let answerPort = try freeUDPPort()
        try fixture.register("1002", port: busyPort)
        try fixture.register("1003", port: answerPort)
        let busy = fixture.answer(with: "busy.xml", port: busyPort)
        let answer = fixture.answer(with: "answer.xml", port: answerPort)
        try await Task.sleep(for: .milliseconds(300))
        let call = try runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                               localPort: try freeUDPPort(), arguments: ["-d", "500"])
        #expect(call.status == 0, "\(call.errors)\n\(fixture.edge.log.suffix(2000))")
        #expect(try await busy.value.status == 0, "1002 was tried and said busy")
        #expect(try await answer.value.status == 0, "1003 answered the forwarded call")

        try await config.setForwarding(tenant: fixture.slug, extension: "1002", when: "always", to: "user:1003", noAnswerSeconds: nil)
        try await config.setForwarding(tenant: fixture.slug, extension: "1003", when: "always", to: "user:1002", noAnswerSeconds: nil)
        let loop = try runSIPp(scenario: "call-refused.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
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
        try fixture.register("1002", port: ringPort)
        try fixture.register("1003", port: answerPort)
        let ringing = fixture.answer(with: "ring.xml", port: ringPort)
        let answer = fixture.answer(with: "answer.xml", port: answerPort)
        try await Task.sleep(for: .milliseconds(300))
        let call = try runSIPp(scenario: "call.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
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
