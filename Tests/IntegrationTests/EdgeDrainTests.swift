import Events
import Foundation
import Testing
import TestSupport

/// Issue 10's graceful shutdown of sip-edge: SIGTERM drains instead of cutting every call.
extension FaultTests {
    @Test("SIGTERM with 20 live calls: not ready, new INVITEs get 503 with Retry-After, live calls go on until the drain time, then each ends with BYE on both legs and exactly one CDR")
    func drain() async throws {
        try await Self.afterStartUp()
        let drainSeconds = 8
        let fixture = try await CallFixture.start(name: "drain", edgeSettings: ["SWITCHBOARD_SIP_DRAIN_SECONDS": String(drainSeconds)])
        defer { fixture.stopProcesses() }
        let calleePort = try freeUDPPort()
        try await fixture.register("1002", port: calleePort)
        let callee = Task { try await runSIPp(scenario: "answer.xml", target: nil, calls: 20, localPort: calleePort, timeout: 60) }
        try await Task.sleep(for: .milliseconds(300))
        let caller = Task {
            try await runSIPp(scenario: "call-until-bye.xml", target: fixture.target, injection: [fixture.credentials("1001") + ["1002"]],
                              calls: 20, localPort: try freeUDPPort(), timeout: 60, arguments: ["-r", "20", "-l", "20"])
        }
        let up = await eventually(timeout: .seconds(20)) { (try? await fixture.metric("switchboard_calls_active")) == 20 }
        try #require(up, "20 calls up: \(fixture.edge.log.suffix(2000))")

        fixture.edge.send(SIGTERM)
        let terminated = ContinuousClock.now
        let notReady = await eventually(timeout: .seconds(5)) {
            (try? await httpGet("http://127.0.0.1:\(fixture.edgeHTTPPort)/health/ready").status) == 503
        }
        #expect(notReady, "the edge reports not ready while it drains")
        // A new call is refused and pointed elsewhere; the live ones are untouched.
        let invite = """
            INVITE sip:1002@\(fixture.domain) SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKdrain1;rport\r\n\
            From: <sip:1001@\(fixture.domain)>;tag=d1\r\nTo: <sip:1002@\(fixture.domain)>\r\nCall-ID: drain-new-1\r\nCSeq: 1 INVITE\r\n\
            Contact: <sip:1001@127.0.0.1:9>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n
            """
        let refused = String(decoding: try #require(udpExchange(Array(invite.utf8), to: fixture.sipPort)), as: UTF8.self)
        #expect(refused.hasPrefix("SIP/2.0 503"), "\(refused)")
        #expect(refused.contains("Retry-After: "))
        #expect(try await fixture.metric("switchboard_calls_active") == 20, "live calls go on")

        let placed = try await caller.value
        let ended = ContinuousClock.now - terminated
        #expect(placed.status == 0, "every caller got the edge's BYE: \(placed.errors.suffix(2000))")
        let answered = try await callee.value
        #expect(answered.status == 0, "every callee got the edge's BYE: \(answered.errors.suffix(2000))")
        #expect(ended >= .seconds(drainSeconds - 1), "the calls lasted until the drain time: \(ended)")
        #expect(ended < .seconds(drainSeconds + 15))

        let records = try await fixture.events(CallRecord.self) { $0.count >= 20 }
        #expect(records.count == 20, "exactly one CDR per call")
        #expect(Set(records.compactMap(\.callId)).count == 20)
        #expect(records.allSatisfy { $0.data.cause == "edge shutdown" && $0.data.answer != nil })
        let exited = await eventually(timeout: .seconds(20)) { fixture.edge.log.contains("\"message\":\"stopped\"") }
        #expect(exited, "the edge stops once the calls are over: \(fixture.edge.log.suffix(1500))")
    }
}
