import Events
import Foundation
import Media
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// IVR menus end to end (DESIGN §6): sip-edge, routing, ivr and recording as processes; the
/// caller is SIPp (`call-menu.xml`) with a media socket of the test, so the test hears the menu
/// and sends its keys; the destination is a SIPp device.
struct IVRFixture {
    let calls: CallFixture
    let store: MediaStoreFixture
    var ivr: ServiceProcess
    let ivrEnvironment: [String: String]
    let config: DialplanConfiguration
    let did: String

    /// Tones of the test's prompts, so the caller's audio tells which one it heard.
    static let greetingTone = 600
    static let invalidTone = 900
    static let noInputTone = 1_300

    static func start(name: String) async throws -> IVRFixture {
        let store = try await MediaStoreFixture.start()
        let calls = try await CallFixture.start(name: name, edgeSettings: ["SWITCHBOARD_RECORDING_URL": store.url,
                                                                           "SWITCHBOARD_ROUTE_TIMEOUT_MS": "20000"])
        let ivrEnvironment = serviceEnvironment(prefix: calls.prefix, port: try freePort())
        let ivr = try ServiceProcess("ivr", environment: ivrEnvironment)
        let config = DialplanConfiguration(db: calls.db, publisher: EventPublisher(producer: calls.producer, topicPrefix: calls.prefix))
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        let fixture = IVRFixture(calls: calls, store: store, ivr: ivr, ivrEnvironment: ivrEnvironment, config: config, did: did)
        try await fixture.waitUntilReady(ivr)
        let slug = calls.slug
        for (prompt, tone) in [("greeting", greetingTone), ("invalid", invalidTone), ("nothing", noInputTone)] {
            try await fixture.upload(prompt, tone: tone)
        }
        try await calls.db.query("INSERT INTO \(identifier: try SQLIdentifier("tenant_" + slug)).subscriptions (code, starts, monthly_price) VALUES ('ivr', current_date, 12)")
        try await config.createMenu(tenant: slug, MenuView(name: "main", greeting: "greeting", timeoutSeconds: 3, retries: 1,
                                                           invalidPrompt: "invalid", timeoutPrompt: "nothing", final: "user:1003",
                                                           options: ["1": "user:1002", "7": "user:1002", "0": "hangup"]))
        try await calls.provisioning.assignNumber(tenant: slug, number: did)
        try await config.routeNumber(tenant: slug, number: did, to: "ivr:main")
        return fixture
    }

    /// A prompt of the tenant: `seconds` of a tone, uploaded to the media store as a WAV file.
    func upload(_ name: String, tone: Int, seconds: Double = 1.5) async throws {
        let uploaded = try await httpRequest("PUT", "\(store.url)/internal/prompts/\(calls.slug)/\(name)",
                                             body: try MediaStoreFixture.audioFile("wav", frequency: tone, seconds: seconds), contentType: "audio/wav")
        try #require(uploaded.status == 201, "\(uploaded.body)")
    }

    func waitUntilReady(_ ivr: ServiceProcess) async throws {
        let port = try #require(ivrEnvironment["SWITCHBOARD_HTTP_PORT"])
        let ready = await eventually(timeout: .seconds(40)) { (try? await httpGet("http://127.0.0.1:\(port)/health/ready").status) == 200 }
        try #require(ready, "ivr did not become ready: \(ivr.log)")
    }

    /// 1001 calls the menu's number; SIPp hangs up after `seconds`, sending `infoKey` as SIP INFO after 4 s.
    func call(seconds: Int, infoKey: String = "-") async throws -> MenuCall {
        let media = try RTPEndpoint()
        let caller = Task { [calls, did] in
            try await runSIPp(scenario: "call-menu.xml", target: calls.target,
                              injection: [calls.credentials("1001") + [did, String(media.port), infoKey]], localPort: try freeUDPPort(),
                              timeout: seconds + 20, arguments: ["-d", String(seconds * 1000)])
        }
        let started = await eventually(timeout: .seconds(20)) { media.peer != nil }
        try #require(started, "the menu did not answer:\n\(calls.edge.log.suffix(3000))\n\(ivr.log.suffix(2000))")
        return MenuCall(media: media, caller: caller)
    }

    /// `ext` registers and answers its next call (SIPp `answer.xml`, until the caller's BYE).
    func answering(_ ext: String) async throws -> Task<(status: Int32, errors: String, messages: String), any Error> {
        let port = try freeUDPPort()
        try await calls.register(ext, port: port)
        return calls.answer(with: "answer.xml", port: port, timeout: 40)
    }

    /// Stops the processes at once (a `defer` cannot await).
    func stopProcesses() {
        calls.stopProcesses()
        ivr.stop()
        store.recording.stop()
    }
}

/// A call in the menu: what the caller hears and how it sends keys.
struct MenuCall {
    let media: RTPEndpoint
    let caller: Task<(status: Int32, errors: String, messages: String), any Error>

    /// Everything the caller heard so far, as linear samples.
    var heard: [Int16] {
        media.packets.flatMap { packet -> [Int16] in
            guard let header = RTPHeader(packet), header.payloadType == 0 else { return [] }
            return packet[header.payloadOffset...].map { G711.ulawToLinear[Int($0)] }
        }
    }

    /// Whether a fifth of a second of the caller's audio is mostly the tone.
    func heardTone(_ frequency: Int) -> Bool {
        let samples = heard
        return stride(from: 0, to: max(samples.count - 1600, 0), by: 400).contains { start in
            Tone.power(of: Double(frequency), in: Array(samples[start..<start + 1600])) > 0.6
        }
    }

    func sender() throws -> CallerRTP { CallerRTP(endpoint: media, edgePort: try #require(media.peer)) }
}

@Suite("IVR menus through the edge, routing and ivr", .serialized, .timeLimit(.minutes(3)))
struct IVRCallTests {
    @Test("the caller hears the menu and chooses with RFC 4733, in-band tones and SIP INFO: each time 1002 rings and answers; without the add-on the number is refused")
    func keysOfEachKind() async throws {
        let fixture = try await IVRFixture.start(name: "menu")
        defer { fixture.stopProcesses() }

        // RFC 4733, once the greeting is heard.
        var desk = try await fixture.answering("1002")
        var call = try await fixture.call(seconds: 8)
        #expect(await eventually(timeout: .seconds(5)) { call.heardTone(IVRFixture.greetingTone) }, "the caller hears the greeting")
        var rtp = try call.sender()
        await rtp.sendEvent(.one)
        var answered = try await desk.value
        var caller = try await call.caller.value
        #expect(answered.status == 0, "1002 answered: \(answered.errors)\n\(fixture.calls.edge.log.suffix(3000))\n\(fixture.ivr.log.suffix(2000))")
        #expect(caller.status == 0, "\(caller.errors)")
        call.media.close()

        // In-band tones in the caller's audio.
        desk = try await fixture.answering("1002")
        call = try await fixture.call(seconds: 8)
        #expect(await eventually(timeout: .seconds(5)) { call.heardTone(IVRFixture.greetingTone) })
        rtp = try call.sender()
        await rtp.sendAudio(Tone.dtmf(.one, samples: 1280) + [Int16](repeating: 0, count: 800))
        answered = try await desk.value
        caller = try await call.caller.value
        #expect(answered.status == 0, "1002 answered after an in-band key: \(answered.errors)\n\(fixture.ivr.log.suffix(2000))")
        #expect(caller.status == 0, "\(caller.errors)")
        call.media.close()

        // SIP INFO (application/dtmf), which SIPp sends 4 s after the answer: 7 goes to 1002 too.
        desk = try await fixture.answering("1002")
        call = try await fixture.call(seconds: 10, infoKey: "7")
        answered = try await desk.value
        caller = try await call.caller.value
        #expect(answered.status == 0, "1002 answered after a SIP INFO key: \(answered.errors)\n\(fixture.ivr.log.suffix(2000))")
        #expect(caller.status == 0, "\(caller.errors)")
        call.media.close()

        let records = try await fixture.calls.events(CallRecord.self) { $0.count >= 3 }.map(\.data)
        #expect(records.filter { $0.answeredBy == "1002" }.count == 3, "\(records)")
        let keys = try await fixture.calls.events(CallDTMF.self) { $0.count >= 3 }.map(\.data.source)
        #expect(Set(keys) == [.rfc4733, .inband, .info], "\(keys)")

        // The add-on ends: the number's calls are refused, never sent into a menu.
        try await fixture.calls.db.query("DELETE FROM \(identifier: try SQLIdentifier("tenant_" + fixture.calls.slug)).subscriptions WHERE code = 'ivr'")
        let refused = try await runSIPp(scenario: "call-refused.xml", target: fixture.calls.target,
                                        injection: [fixture.calls.credentials("1001") + [fixture.did]], localPort: try freeUDPPort())
        #expect(finalStatus(in: refused.messages) == 480 && refused.messages.contains("IVR add-on not subscribed"), "\(refused.messages.suffix(1500))")
    }

    @Test("an invalid key plays the invalid prompt and the menu again; then no key takes the timeout branch; with the retries used up the call goes to the final destination")
    func invalidTimeoutAndFinal() async throws {
        let fixture = try await IVRFixture.start(name: "retry")
        defer { fixture.stopProcesses() }
        let final = try await fixture.answering("1003")
        let call = try await fixture.call(seconds: 20)
        #expect(await eventually(timeout: .seconds(5)) { call.heardTone(IVRFixture.greetingTone) })
        var rtp = try call.sender()
        await rtp.sendEvent(.five)
        #expect(await eventually(timeout: .seconds(5)) { call.heardTone(IVRFixture.invalidTone) }, "the invalid prompt")
        // Silence: the menu's 3 s pass after its greeting, then the no-input prompt and the final destination.
        let answered = try await final.value
        #expect(answered.status == 0, "1003 answered: \(answered.errors)\n\(fixture.ivr.log.suffix(2000))")
        #expect(call.heardTone(IVRFixture.noInputTone), "the timeout prompt")
        let caller = try await call.caller.value
        #expect(caller.status == 0, "\(caller.errors)")
        call.media.close()

        let plays = try await readEvents(CallPlayFinished.self, prefix: fixture.calls.prefix) { $0.count >= 3 }.map(\.data)
        #expect(plays.map(\.operation).prefix(3) == ["ivr:main#1", "ivr:main#2", "ivr:main#3"], "\(plays)")
        let records = try await fixture.calls.events(CallRecord.self) { !$0.isEmpty }.map(\.data)
        #expect(records.first?.answeredBy == "1003")
    }

    @Test("the ivr process is killed while the caller is in the menu; a new one takes the call on from its last step and the key still reaches 1002")
    func ivrRestartMidMenu() async throws {
        var fixture = try await IVRFixture.start(name: "restart")
        defer { fixture.stopProcesses() }
        // Time enough for a new instance to join the group before the menu gives up on a key.
        try await fixture.config.createMenu(tenant: fixture.calls.slug, MenuView(name: "main", greeting: "greeting", timeoutSeconds: 40, invalidPrompt: "invalid", timeoutPrompt: "nothing",
                                                                                 options: ["1": "user:1002"]))
        let desk = try await fixture.answering("1002")
        let call = try await fixture.call(seconds: 25)
        #expect(await eventually(timeout: .seconds(5)) { call.heardTone(IVRFixture.greetingTone) })
        #expect(fixture.ivr.stop(signal: SIGKILL) != nil)
        fixture.ivr = try ServiceProcess("ivr", environment: fixture.ivrEnvironment)
        try await fixture.waitUntilReady(fixture.ivr)
        var rtp = try call.sender()
        // The collection is still running at the edge (its time starts after the greeting): the key goes to the menu's next owner.
        await rtp.sendEvent(.one)
        let answered = try await desk.value
        #expect(answered.status == 0, "1002 answered after the restart: \(answered.errors)\n\(fixture.ivr.log.suffix(3000))")
        let caller = try await call.caller.value
        #expect(caller.status == 0, "\(caller.errors)")
        call.media.close()
    }
}
