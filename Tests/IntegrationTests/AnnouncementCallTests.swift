import Events
import Foundation
import Media
import Postgres
import Tenancy
import Testing
import TestSupport

/// Voice messages (announcements) end to end: as a destination of their own, for closed hours,
/// and as the welcome before a group (DESIGN §6).
@Suite("announcements through the edge, routing and ivr", .serialized, .timeLimit(.minutes(3)))
struct AnnouncementCallTests {
    @Test("out of hours a baresip phone calling the main number hears the closed-hours announcement, and then the call is hung up")
    func closedHoursWithBaresip() async throws {
        let fixture = try await IVRFixture.start(name: "closed")
        defer { fixture.stopProcesses() }
        let slug = fixture.calls.slug
        try await fixture.upload("closed", tone: 700, seconds: 2)
        try await fixture.config.createAnnouncement(tenant: slug, AnnouncementView(name: "closed", prompts: ["closed"], next: "none"))
        // A schedule without opening hours: always closed.
        try await fixture.config.createSchedule(tenant: slug, name: "office", open: "user:1002", closed: "announcement:closed")
        try await fixture.config.routeNumber(tenant: slug, number: fixture.did, to: "schedule:office")

        let phone = try Baresip(user: "1001", password: "password-1001", domain: fixture.calls.domain, edgePort: fixture.calls.sipPort, toneHz: 440)
        defer { phone.stop() }
        let schema = try SQLIdentifier("tenant_" + slug)
        let registered = try await eventually(timeout: .seconds(15)) {
            try await fixture.calls.db.query("SELECT aor FROM \(identifier: schema).registrations").count == 1
        }
        try #require(registered, "the phone did not register:\n\(phone.log.suffix(2000))")
        try await onOwnThread {
            try phone.command("dial", "sip:\(fixture.did)@\(fixture.calls.domain)")
            try phone.waitForEvent("CALL_ESTABLISHED")
            // The announcement's two seconds, then ivr hangs up.
            try phone.waitForEvent("CALL_CLOSED", timeout: 20)
        }
        let heard = try phone.receivedAudio()
        #expect(heard.count > 8000 * 3 / 2, "the announcement's audio: \(heard.count) samples")
        #expect(Tone.power(of: 700, in: heard) > 0.4, "the phone heard the announcement's tone")
        let records = try await fixture.calls.events(CallRecord.self) { !$0.isEmpty }.map(\.data)
        #expect(records.first?.cause == "announcement played", "\(records)")
    }

    @Test("a group's welcome announcement plays first; then the group rings and 1002 answers")
    func welcomeBeforeGroup() async throws {
        let fixture = try await IVRFixture.start(name: "welcome")
        defer { fixture.stopProcesses() }
        let slug = fixture.calls.slug
        try await fixture.upload("welcome", tone: 700)
        try await fixture.config.createAnnouncement(tenant: slug, AnnouncementView(name: "welcome", prompts: ["welcome"], next: "none"))
        try await fixture.config.createGroup(tenant: slug, name: "sales", strategy: "ring-all", memberSeconds: 20, totalSeconds: 60, overflow: "none")
        try await fixture.config.addMember(tenant: slug, group: "sales", member: "1002", ringSeconds: nil)
        try await fixture.config.setWelcome(tenant: slug, group: "sales", announcement: "welcome")
        try await fixture.config.routeNumber(tenant: slug, number: fixture.did, to: "group:sales")

        let desk = try await fixture.answering("1002")
        let call = try await fixture.call(seconds: 8)
        #expect(await eventually(timeout: .seconds(5)) { call.heardTone(700) }, "the caller hears the welcome")
        let answered = try await desk.value
        #expect(answered.status == 0, "1002 answered after the welcome: \(answered.errors)\n\(fixture.ivr.log.suffix(2000))")
        let caller = try await call.caller.value
        #expect(caller.status == 0, "\(caller.errors)")
        call.media.close()
        let records = try await fixture.calls.events(CallRecord.self) { !$0.isEmpty }.map(\.data)
        #expect(records.first?.answeredBy == "1002", "\(records)")
    }
}
