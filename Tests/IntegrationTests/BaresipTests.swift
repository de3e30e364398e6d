import Events
import Foundation
import Media
import Postgres
import Testing
import TestSupport

@Suite("interop with baresip softphones", .timeLimit(.minutes(2)))
struct BaresipTests {
    @Test("two baresip phones register and call each other through the edge; each hears the other's tone")
    func twoWayAudio() async throws {
        let fixture = try await CallFixture.start(name: "baresip")
        defer { fixture.stopProcesses() }
        let alice = try Baresip(user: "1001", password: "password-1001", domain: fixture.domain, edgePort: fixture.sipPort, toneHz: 440)
        defer { alice.stop() }
        let bob = try Baresip(user: "1002", password: "password-1002", domain: fixture.domain, edgePort: fixture.sipPort, toneHz: 1000)
        defer { bob.stop() }
        let schema = try SQLIdentifier("tenant_" + fixture.slug)
        let registered = try await eventually(timeout: .seconds(15)) {
            try await fixture.db.query("SELECT aor FROM \(identifier: schema).registrations").count == 2
        }
        try #require(registered, "the phones did not register:\n\(alice.log.suffix(2000))\n\(bob.log.suffix(2000))")

        try await onOwnThread {
            try alice.command("dial", "sip:1002@\(fixture.domain)")
            try bob.waitForEvent("CALL_INCOMING")
            try bob.command("accept")
            try alice.waitForEvent("CALL_ESTABLISHED")
            try bob.waitForEvent("CALL_ESTABLISHED")
            Thread.sleep(forTimeInterval: 3)
            try alice.command("hangup")
            try alice.waitForEvent("CALL_CLOSED")
            try bob.waitForEvent("CALL_CLOSED")
        }
        // Each phone recorded what it received: the other's tone, through the edge's relay.
        let heardByAlice = try alice.receivedAudio()
        let heardByBob = try bob.receivedAudio()
        #expect(heardByAlice.count > 8000 * 2, "at least two seconds received")
        #expect(Tone.dominant(of: [440, 1000], in: heardByAlice) == 1000)
        #expect(Tone.power(of: 1000, in: heardByAlice) > 0.5)
        #expect(Tone.dominant(of: [440, 1000], in: heardByBob) == 440)
        #expect(Tone.power(of: 440, in: heardByBob) > 0.5)

        let records = try await fixture.events(CallRecord.self) { !$0.isEmpty }
        #expect(records.count == 1)
        #expect(records.first?.data.answer != nil)
    }
}
