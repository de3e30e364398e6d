import Events
import Foundation
import Media
import Messaging
import Postgres
@testable import Recording
import Tenancy
import Testing
import TestSupport

/// Voicemail end to end (DESIGN §6): sip-edge, routing, ivr and recording as processes on one set
/// of topics; callers are SIPp (`call-voicemail.xml`) with a media socket of the test, which hears
/// the prompts and sends keys and audio.
struct VoicemailFixture {
    let calls: CallFixture
    let store: MediaStoreFixture
    let ivr: ServiceProcess
    let voicemail: Voicemail
    let schema: SQLIdentifier

    /// The busy greeting of 1002, a tone the caller's audio tells apart; the message left, another.
    static let busyGreetingTone = 700
    static let messageTone = 450
    static let pin = "482913"

    /// - Parameter relay: where recording mails new messages (1002's e-mail is set then).
    static func start(name: String, relay: SMTPSink? = nil) async throws -> VoicemailFixture {
        let prefix = TestEnvironment.unique("vm") + "."
        var mail: [String: String] = [:]
        if let relay {
            mail = ["SWITCHBOARD_SMTP_HOST": "127.0.0.1", "SWITCHBOARD_SMTP_PORT": String(relay.port), "SWITCHBOARD_SMTP_TLS": "none",
                    "SWITCHBOARD_SMTP_FROM": "Kõnepost <voicemail@localhost>"]
        }
        let store = try await MediaStoreFixture.start(prefix: prefix, environment: mail)
        let calls = try await CallFixture.start(name: name, edgeSettings: ["SWITCHBOARD_RECORDING_URL": store.url,
                                                                           "SWITCHBOARD_ROUTE_TIMEOUT_MS": "20000"], prefix: prefix)
        var ivrEnvironment = serviceEnvironment(prefix: prefix, port: try freePort())
        ivrEnvironment["SWITCHBOARD_RECORDING_URL"] = store.url
        let ivr = try ServiceProcess("ivr", environment: ivrEnvironment)
        let publisher = EventPublisher(producer: calls.producer, topicPrefix: prefix)
        let fixture = VoicemailFixture(calls: calls, store: store, ivr: ivr, voicemail: Voicemail(db: calls.db, publisher: publisher, actor: "test"),
                                       schema: try SQLIdentifier("tenant_" + calls.slug))
        let port = try #require(ivrEnvironment["SWITCHBOARD_HTTP_PORT"])
        let ready = await eventually(timeout: .seconds(40)) { (try? await httpGet("http://127.0.0.1:\(port)/health/ready").status) == 200 }
        try #require(ready, "ivr did not become ready: \(ivr.log)")
        // The system prompts first: the first recording of a database speaks them all, which would
        // take the calls' time (and leave their prompts missing meanwhile).
        let made = await eventually(timeout: .seconds(240)) {
            let rows = try? await calls.db.query("SELECT count(*)::int AS n FROM platform.system_prompts WHERE name = ANY (string_to_array(\(SystemPromptNames.all.joined(separator: ",")), ','))")
            return (try? rows?.first?.decode("n", as: Int.self)) == SystemPromptNames.all.count * 2
        }
        try #require(made, "the system prompts were not made: \(store.recording.log.suffix(2000))")
        try await fixture.voicemail.changePIN(tenant: calls.slug, box: "1002", pin: pin)
        if relay != nil {
            _ = try await calls.provisioning.updateUser(tenant: calls.slug, extension: "1002", Provisioning.UserChanges(email: "user1002@example.ee"))
        }
        // 1002 sends busy calls to their box, whose busy greeting is a tone.
        let config = DialplanConfiguration(db: calls.db, publisher: publisher)
        try await config.setForwarding(tenant: calls.slug, extension: "1002", when: "busy", to: "voicemail", noAnswerSeconds: nil)
        let uploaded = try await httpRequest("PUT", "\(store.url)/internal/prompts/\(calls.slug)/busy-tone",
                                             body: try MediaStoreFixture.audioFile("wav", frequency: busyGreetingTone, seconds: 1.5),
                                             contentType: "audio/wav")
        try #require(uploaded.status == 201, "\(uploaded.body)")
        let sha: String = try #require(try await calls.db.query("SELECT sha256 FROM \(identifier: fixture.schema).prompts WHERE name = 'busy-tone'")
            .first?.decode("sha256"))
        try await calls.db.withTransaction { connection in
            try await fixture.voicemail.setGreeting(Voicemail.Greeting(kind: .busy, sha256: sha, source: .upload, text: nil), box: "1002",
                                                    slug: try TenantSlug(calls.slug), on: connection)
        }
        return fixture
    }

    /// `ext` calls `dialled`; the call runs until voicemail hangs up.
    func call(from ext: String, to dialled: String) async throws -> MenuCall {
        let media = try RTPEndpoint()
        let caller = Task { [calls] in
            try await runSIPp(scenario: "call-voicemail.xml", target: calls.target,
                              injection: [calls.credentials(ext) + [dialled, String(media.port)]], localPort: try freeUDPPort(), timeout: 90)
        }
        // Its first words may be spoken from text (counts, a name) on a loaded machine: time for that.
        let started = await eventually(timeout: .seconds(45)) { media.peer != nil }
        try #require(started, "voicemail did not answer:\n\(calls.edge.log.suffix(3000))\n\(calls.routing.log.suffix(2000))\n\(ivr.log.suffix(2000))")
        return MenuCall(media: media, caller: caller)
    }

    /// 1002's phone: registered, and busy to every call.
    func busyPhone() async throws -> Task<(status: Int32, errors: String, messages: String), any Error> {
        let port = try freeUDPPort()
        try await calls.register("1002", port: port)
        return calls.answer(with: "busy.xml", port: port, timeout: 60)
    }

    /// Once the edge records the call's audio: what is sent from now is kept.
    func recordingStarted() async -> Bool {
        await edgeRecordingsStarted(1, httpPort: calls.edgeHTTPPort)
    }

    /// How much of `messageTone` the audio holds, in 100 ms blocks, and where: "T" a block of it, "." another.
    static func messageTone(in samples: [Int16]) -> (ms: Int, blocks: String) {
        let blocks = stride(from: 0, to: max(samples.count - 800, 0), by: 800).map { start in
            Tone.power(of: Double(messageTone), in: Array(samples[start..<start + 800])) > 0.6 ? "T" : "."
        }.joined()
        return (blocks.filter { $0 == "T" }.count * 100, blocks)
    }

    func messages() async throws -> [VoicemailMessage] {
        try await voicemail.messages(tenant: calls.slug, box: "1002", folder: nil)
    }

    func keys(_ keys: [DTMFKey], on call: MenuCall) async throws {
        var rtp = try call.sender()
        for key in keys {
            await rtp.sendEvent(key)
            try await Task.sleep(for: .milliseconds(150))
        }
    }

    func stopProcesses() {
        calls.stopProcesses()
        ivr.stop()
        store.recording.stop()
    }
}

@Suite("Voicemail through the edge, routing, ivr and recording", .serialized, .timeLimit(.minutes(4)))
struct VoicemailCallTests {
    @Test("a caller reaches busy 1002, hears the busy greeting and leaves 5 s of a tone: a 5 s message holding it, e-mailed with its WAV through a relay that defers the first try; *97 plays it, marks it heard, 7 deletes it; a subscribed phone's NOTIFYs follow")
    func depositAndRetrieve() async throws {
        var options = SMTPSink.Options()
        options.failFirst = 1
        let relay = try await SMTPSink.start(options)
        defer { relay.stop() }
        let fixture = try await VoicemailFixture.start(name: "deposit", relay: relay)
        defer { fixture.stopProcesses() }
        let phone = try await fixture.busyPhone()
        // Another phone of 1002 follows the box's lamp: 0/0, then 1/0, 0/1 and 0/0 (mwi-follow.xml checks each NOTIFY).
        let lamp = Task { [calls = fixture.calls] in
            try await runSIPp(scenario: "mwi-follow.xml", target: calls.target, injection: [calls.credentials("1002") + ["1002"]],
                              localPort: try freeUDPPort(), timeout: 200)
        }
        try await Task.sleep(for: .seconds(2))

        let call = try await fixture.call(from: "1001", to: "1002")
        #expect(await eventually(timeout: .seconds(10)) { call.heardTone(VoicemailFixture.busyGreetingTone) },
                "the busy greeting:\n\(fixture.ivr.log.suffix(2000))")
        try #require(await fixture.recordingStarted(), "no recording began:\n\(fixture.ivr.log.suffix(3000))")
        var rtp = try call.sender()
        await rtp.sendAudio(Tone.sine(frequency: Double(VoicemailFixture.messageTone), samples: 40_000))
        await rtp.sendEvent(.pound)
        // No urgent mark: voicemail thanks the caller and hangs up.
        let caller = try await call.caller.value
        #expect(caller.status == 0, "\(caller.errors)\n\(fixture.ivr.log.suffix(2000))")
        #expect(call.heardTone(1000), "the beep")
        _ = try? await phone.value

        let stored = await eventually(timeout: .seconds(20)) { (try? await fixture.messages().count) == 1 }
        try #require(stored, "no message:\n\(fixture.store.recording.log.suffix(3000))")
        let message = try #require(try await fixture.messages().first)
        #expect(message.folder == .new && message.caller == "1001" && message.reason == .busy && !message.urgent)
        let audio = try await httpGet("\(fixture.store.url)/internal/media/\(fixture.calls.slug)/\(message.sha256)")
        let samples = try WAV.samples(audio.bytes)
        // The tone the caller sent is in it, whole (it began once the edge recorded), and the message
        // is the 5 s of it: the pause before it and the '#' after it are not kept.
        let (toneMs, blocks) = VoicemailFixture.messageTone(in: samples)
        #expect((4_500...5_200).contains(toneMs), "the message holds \(toneMs) ms of the tone (\(blocks))")
        #expect(message.durationMs == samples.count / 8, "duration \(message.durationMs) ms for \(samples.count) samples")
        #expect((4_500...5_500).contains(message.durationMs), "duration \(message.durationMs) ms, tone \(toneMs) ms")
        let left = try await readEvents(VoicemailMessageLeft.self, prefix: fixture.calls.prefix) { !$0.isEmpty }
        #expect(left.first?.data.messageId == message.id)

        // The relay answered 451 to the first try; the retry delivers it, with the message's audio.
        let mailed = await eventually(timeout: .seconds(30)) { (try? await relay.received().count) == 1 }
        try #require(mailed, "no e-mail:\n\(fixture.store.recording.log.suffix(3000))")
        let mail = try #require(try await relay.received().first)
        #expect(mail.envelope.rcpt_tos == ["user1002@example.ee"] && mail.subject.contains("1001"), "\(mail.subject)")
        let attachment = try #require(mail.attachments.first)
        #expect(attachment.content_type == "audio/wav" && attachment.filename?.hasSuffix(".wav") == true)
        #expect(attachment.bytes == audio.bytes, "the attachment is the message's audio, \(message.durationMs) ms")
        #expect(try WAV.samples(attachment.bytes).count == message.durationMs * 8)

        // 1002 dials *97 from their device: no PIN; the counts, the envelope, then the message itself.
        let listening = try await fixture.call(from: "1002", to: "*97")
        #expect(await eventually(timeout: .seconds(30)) { listening.heardTone(VoicemailFixture.messageTone) },
                "the message plays:\n\(fixture.ivr.log.suffix(3000))")
        #expect(try await fixture.messages().first?.folder == .heard)
        try await fixture.keys([.seven], on: listening)
        #expect(await eventually(timeout: .seconds(10)) { (try? await fixture.messages().isEmpty) == true }, "7 deletes it")
        try await fixture.keys([.star], on: listening)
        let retrieval = try await listening.caller.value
        #expect(retrieval.status == 0, "\(retrieval.errors)")

        let followed = try await lamp.value
        #expect(followed.status == 0, "the subscribed phone saw 0/0, 1/0, 0/1, 0/0: \(followed.errors)\n\(followed.messages.suffix(3000))")
        let counts = try await readEvents(VoicemailBoxChanged.self, prefix: fixture.calls.prefix) { $0.count >= 3 }.map(\.data.summary)
        #expect(counts.prefix(3) == [MessageSummary(new: 1, old: 0, urgentNew: 0, urgentOld: 0),
                                     MessageSummary(new: 0, old: 1, urgentNew: 0, urgentOld: 0), .empty], "\(counts)")
    }

    @Test("through *98, three wrong PINs lock the box for everyone; a 0.5 s message is discarded as a missed call; a full box refuses")
    func lockoutShortAndFull() async throws {
        let fixture = try await VoicemailFixture.start(name: "lockout")
        defer { fixture.stopProcesses() }
        let slug = try TenantSlug(fixture.calls.slug)

        let login = try await fixture.call(from: "1001", to: "*98")
        for attempt in 1...3 {
            try await fixture.keys([.one, .zero, .zero, .two, .pound], on: login)
            try await Task.sleep(for: .milliseconds(500))
            try await fixture.keys([.zero, .zero, .zero, .zero, .zero, .zero, .pound], on: login)
            // The next try once this one is counted: on a busy machine the menu's answer takes its time.
            _ = await eventually(timeout: .seconds(10)) {
                let counted = try? await fixture.calls.db.query("""
                    SELECT count(*)::int AS n FROM \(identifier: fixture.schema).audit_log
                    WHERE subject = '1002' AND action IN ('voicemail.wrong-pin', 'voicemail.locked')
                    """).first?.decode("n", as: Int.self)
                return (counted ?? 0) >= attempt
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let locked = try await login.caller.value
        #expect(locked.status == 0, "voicemail hangs up: \(locked.errors)\n\(fixture.ivr.log.suffix(2000))")
        let lockedUntil: Date? = try await fixture.calls.db.query("""
            SELECT locked_until FROM \(identifier: fixture.schema).voicemail_boxes WHERE number = '1002'
            """).first?.decode("locked_until")
        #expect((lockedUntil ?? .distantPast) > Date().addingTimeInterval(14 * 60), "locked for 15 minutes")
        let audited = try await fixture.calls.db.query("""
            SELECT action FROM \(identifier: fixture.schema).audit_log WHERE subject = '1002' AND action LIKE 'voicemail.%'
            """).map { try $0.decode("action", as: String.self) }
        #expect(audited.filter { $0 == "voicemail.wrong-pin" }.count == 2 && audited.contains("voicemail.locked"), "\(audited)")
        // Even the right PIN is refused now.
        let refused = try await fixture.calls.db.withTransaction { connection in
            try await Voicemail.verifyPIN(VoicemailFixture.pin, box: "1002", slug: slug, caller: "test", on: connection)
        }
        #expect(refused == .locked(until: try #require(lockedUntil)))

        // Half a second, then #: not kept, and reported as a missed call.
        let phone = try await fixture.busyPhone()
        let short = try await fixture.call(from: "1001", to: "1002")
        try #require(await fixture.recordingStarted())
        var rtp = try short.sender()
        await rtp.sendAudio(Tone.sine(frequency: 450, samples: 4_000))
        await rtp.sendEvent(.pound)
        _ = try await short.caller.value
        _ = try? await phone.value
        let missed = try await readEvents(VoicemailMissedCall.self, prefix: fixture.calls.prefix) { !$0.isEmpty }
        #expect(missed.first?.data.why == .tooShort && missed.first?.data.box == "1002", "\(missed)\n\(fixture.store.recording.log.suffix(2000))")
        #expect(try await fixture.messages().isEmpty)

        // A box at its quota says so and records nothing.
        _ = try await fixture.voicemail.update(tenant: slug.value, box: "1002", Voicemail.Settings(quota: 1))
        let sha: String = try #require(try await fixture.calls.db.query("SELECT sha256 FROM \(identifier: fixture.schema).prompts LIMIT 1")
            .first?.decode("sha256"))
        _ = try await fixture.calls.db.withTransaction { connection in
            try await fixture.voicemail.storeMessage(recordingID: "seeded", box: "1002", caller: "1003", callID: "seeded", reason: .direct,
                                                     urgent: false, durationMs: 1_500, sha256: sha, slug: slug, on: connection)
        }
        let phoneAgain = try await fixture.busyPhone()
        let full = try await runSIPp(scenario: "call-voicemail.xml", target: fixture.calls.target,
                                     injection: [fixture.calls.credentials("1001") + ["1002", String(try freeUDPPort())]],
                                     localPort: try freeUDPPort(), timeout: 60)
        #expect(full.status == 0, "voicemail answers and hangs up: \(full.errors)")
        _ = try? await phoneAgain.value
        let cdrs = try await readEvents(CallRecord.self, prefix: fixture.calls.prefix) { $0.count >= 3 }.map(\.data.cause)
        #expect(cdrs.contains("voicemail box full"), "\(cdrs)")
        let boxFull = try await readEvents(VoicemailMissedCall.self, prefix: fixture.calls.prefix) { $0.count >= 2 }.map(\.data.why)
        #expect(boxFull.contains(.boxFull), "\(boxFull)")
        #expect(try await fixture.messages().count == 1)
    }

    @Test("recording is killed in the middle of a message and started again: the message is stored whole and once, the one stored before is untouched")
    func recordingKilledMidMessage() async throws {
        let fixture = try await VoicemailFixture.start(name: "vmkill")
        defer { fixture.stopProcesses() }
        let slug = try TenantSlug(fixture.calls.slug)
        let (before, audio) = try await leaveVoicemail(in: "1002", tenant: slug.value, media: fixture.store, frequency: 300)

        let phone = try await fixture.busyPhone()
        let call = try await fixture.call(from: "1001", to: "1002")
        try #require(await fixture.recordingStarted(), "no recording began:\n\(fixture.ivr.log.suffix(3000))")
        var rtp = try call.sender()
        let tone = { (seconds: Int) in Tone.sine(frequency: Double(VoicemailFixture.messageTone), samples: seconds * 8_000) }
        await rtp.sendAudio(tone(2))
        // Killed with chunks of this message staged and the rest, the final one too, still to come:
        // the edge goes on sending them to the broker, and the next `recording` takes them from there.
        fixture.store.recording.stop(signal: SIGKILL)
        await rtp.sendAudio(tone(3))
        await rtp.sendEvent(.pound)
        _ = try? await call.caller.value
        _ = try? await phone.value
        let restarted = try ServiceProcess("recording", environment: fixture.store.environment)
        defer { restarted.stop() }

        let stored = await eventually(timeout: .seconds(60)) { (try? await fixture.messages().count) == 2 }
        try #require(stored, "the message was not stored after the restart:\n\(restarted.log.suffix(3000))")
        let messages = try await fixture.messages()
        let kept = try #require(messages.first { $0.id == before.id })
        #expect(kept.sha256 == before.sha256 && kept.durationMs == before.durationMs && kept.folder == .new, "the earlier message is as it was")
        #expect(try await httpGet("\(fixture.store.url)/internal/media/\(slug.value)/\(before.sha256)").bytes == audio)
        let message = try #require(messages.first { $0.id != before.id })
        let samples = try WAV.samples(try await httpGet("\(fixture.store.url)/internal/media/\(slug.value)/\(message.sha256)").bytes)
        // All 5 s of the tone, from before the kill and from while recording was down.
        let (toneMs, blocks) = VoicemailFixture.messageTone(in: samples)
        #expect(toneMs >= 4_500, "the message holds \(toneMs) ms of the 5 s of tone (\(blocks))\n\(restarted.log.suffix(3000))")
        #expect(message.caller == "1001" && message.durationMs == samples.count / 8)
        let left = try await readEvents(VoicemailMessageLeft.self, prefix: fixture.calls.prefix) { $0.contains { $0.data.messageId == message.id } }
        #expect(left.filter { $0.data.messageId == message.id }.count == 1, "one message-left event for it: \(left.map(\.data))")
    }

    @Test("a baresip phone leaves a message for 1003 (forwarded always to voicemail), and 1003's own baresip hears it through *97")
    func baresipLeavesAndRetrieves() async throws {
        let fixture = try await VoicemailFixture.start(name: "baresip")
        defer { fixture.stopProcesses() }
        let slug = fixture.calls.slug
        let config = DialplanConfiguration(db: fixture.calls.db, publisher: EventPublisher(producer: fixture.calls.producer, topicPrefix: fixture.calls.prefix))
        try await config.setForwarding(tenant: slug, extension: "1003", when: "always", to: "voicemail", noAnswerSeconds: nil)

        let caller = try Baresip(user: "1001", password: "password-1001", domain: fixture.calls.domain, edgePort: fixture.calls.sipPort, toneHz: 523,
                                 toneSeconds: 60)
        defer { caller.stop() }
        let registered = try await eventually(timeout: .seconds(15)) {
            try await fixture.calls.db.query("SELECT aor FROM \(identifier: fixture.schema).registrations WHERE aor LIKE 'sip:1001@%'").count == 1
        }
        try #require(registered, "the phone did not register:\n\(caller.log.suffix(2000))")
        try await onOwnThread {
            try caller.command("dial", "sip:1003@\(fixture.calls.domain)")
            try caller.waitForEvent("CALL_ESTABLISHED", timeout: 20)
        }
        try #require(await fixture.recordingStarted(), "no recording began:\n\(fixture.ivr.log.suffix(2000))")
        try await Task.sleep(for: .seconds(4))
        try await onOwnThread {
            try caller.command("hangup")
            try caller.waitForEvent("CALL_CLOSED", timeout: 10)
        }
        let stored = await eventually(timeout: .seconds(20)) {
            (try? await fixture.voicemail.messages(tenant: slug, box: "1003", folder: .new).count) == 1
        }
        try #require(stored, "no message:\n\(fixture.store.recording.log.suffix(2000))")
        let message = try #require(try await fixture.voicemail.messages(tenant: slug, box: "1003", folder: .new).first)
        #expect(message.reason == .forwarding && message.caller == "1001" && message.durationMs >= 3_000, "\(message)")

        let owner = try Baresip(user: "1003", password: "password-1003", domain: fixture.calls.domain, edgePort: fixture.calls.sipPort, toneHz: 300,
                             toneSeconds: 60)
        defer { owner.stop() }
        let ownerRegistered = try await eventually(timeout: .seconds(15)) {
            try await fixture.calls.db.query("SELECT aor FROM \(identifier: fixture.schema).registrations WHERE aor LIKE 'sip:1003@%'").count == 1
        }
        try #require(ownerRegistered, "1003 did not register:\n\(owner.log.suffix(2000))")
        try await onOwnThread {
            try owner.command("dial", "sip:*97@\(fixture.calls.domain)")
            try owner.waitForEvent("CALL_ESTABLISHED", timeout: 20)
        }
        let heard = await eventually(timeout: .seconds(40)) {
            (try? await fixture.voicemail.messages(tenant: slug, box: "1003", folder: .heard).count) == 1
        }
        #expect(heard, "the message plays and is heard:\n\(fixture.ivr.log.suffix(2000))")
        // The counts and the envelope are spoken first; then the message itself. (The phone's
        // recording of what it received is complete once the call is over.)
        try await Task.sleep(for: .seconds(20))
        try await onOwnThread {
            try owner.command("hangup")
            try owner.waitForEvent("CALL_CLOSED", timeout: 10)
        }
        let samples = try owner.receivedAudio()
        let tone = stride(from: 0, to: max(samples.count - 1600, 0), by: 400).contains { start in
            Tone.power(of: 523, in: Array(samples[start..<start + 1600])) > 0.6
        }
        #expect(tone, "1003's phone heard the message (1001's tone) in \(samples.count) samples")
    }
}
