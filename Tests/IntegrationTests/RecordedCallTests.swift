import Events
import Foundation
import Media
import Runtime
import Messaging
import Kafka
import Postgres
@testable import Recording
import Tenancy
import Testing
import TestSupport

/// Call recording end to end (DESIGN §7): sip-edge, routing and recording as processes on one set
/// of topics; the trunk caller and the answering phone are SIPp (`inbound-media.xml`,
/// `answer-media.xml`) whose SDP names RTP sockets of the test, which hear what the edge sends and
/// talk in tones of their own.
struct RecordingFixture {
    let calls: CallFixture
    let store: MediaStoreFixture
    let schema: SQLIdentifier
    /// The tenant's number with a 60-day recording add-on; its calls go to 1002.
    let did: String
    let noticeSha256: String
    /// Where the trunk (127.0.0.2) answers calls out.
    let trunkPort: Int

    /// The notice the tenant recorded: a tone either party's audio tells apart.
    static let noticeTone = 600
    static let callerTone = 440
    static let calleeTone = 1000

    /// - Parameter brokers: a private broker's (a test that stops it); the suite's when nil.
    static func start(name: String, brokers: String? = nil) async throws -> RecordingFixture {
        let prefix = TestEnvironment.unique(name) + "."
        let store = try await MediaStoreFixture.start(prefix: prefix, brokers: brokers)
        let trunkPort = try freeUDPPort()
        let calls = try await CallFixture.start(name: name, trunkPort: trunkPort, edgeSettings: ["SWITCHBOARD_RECORDING_URL": store.url],
                                                prefix: prefix, brokers: brokers)
        let schema = try SQLIdentifier("tenant_" + calls.slug)
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        try await calls.provisioning.assignNumber(tenant: calls.slug, number: did, userExtension: "1002")
        try await calls.db.query("""
            INSERT INTO \(identifier: schema).subscriptions (code, number, starts, monthly_price) VALUES ('recording-60d', \(did), current_date, 12.78)
            """)
        let uploaded = try await httpRequest("PUT", "\(store.url)/internal/prompts/\(calls.slug)/recording-notice",
                                             body: try MediaStoreFixture.audioFile("wav", frequency: noticeTone, seconds: 1.5), contentType: "audio/wav")
        try #require(uploaded.status == 201, "\(uploaded.body)")
        let sha: String = try #require(try await calls.db.query("SELECT sha256 FROM \(identifier: schema).prompts WHERE name = 'recording-notice'")
            .first?.decode("sha256"))
        return RecordingFixture(calls: calls, store: store, schema: schema, did: did, noticeSha256: sha, trunkPort: trunkPort)
    }

    /// The trunk calls the number, 1002's phone answers; each side's RTP is a socket of the test.
    /// - Parameter seconds: how long the trunk talks before its BYE.
    func inboundCall(seconds: Int) async throws -> RecordedCall {
        let (caller, callee) = (try RTPEndpoint(), try RTPEndpoint())
        let phonePort = try freeUDPPort()
        try await calls.register("1002", port: phonePort)
        let phone = Task {
            try await runSIPp(scenario: "answer-media.xml", target: nil, injection: [[String(callee.port)]], localPort: phonePort,
                              timeout: seconds + 30)
        }
        try await Task.sleep(for: .milliseconds(300))
        let trunk = Task { [calls, did] in
            try await runSIPp(scenario: "inbound-media.xml", target: calls.target, injection: [["+3725550199", "127.0.0.1", "-", did, String(caller.port)]],
                              localPort: try freeUDPPort(), localIP: CallFixture.trunkHost, timeout: seconds + 30, arguments: ["-d", String(seconds * 1000)])
        }
        return RecordedCall(caller: caller, callee: callee, calling: trunk, answering: phone)
    }

    /// 1001's phone calls a national number; the operator's network answers at the trunk.
    func outboundCall(seconds: Int) async throws -> RecordedCall {
        let (caller, callee) = (try RTPEndpoint(), try RTPEndpoint())
        let network = Task { [trunkPort] in
            try await runSIPp(scenario: "answer-media.xml", target: nil, injection: [[String(callee.port)]], localPort: trunkPort,
                              localIP: CallFixture.trunkHost, timeout: seconds + 30)
        }
        try await Task.sleep(for: .milliseconds(300))
        let phone = Task { [calls] in
            try await runSIPp(scenario: "call-media.xml", target: calls.target, injection: [calls.credentials("1001") + ["5550123", String(caller.port)]],
                              localPort: try freeUDPPort(), timeout: seconds + 30, arguments: ["-d", String(seconds * 1000)])
        }
        return RecordedCall(caller: caller, callee: callee, calling: phone, answering: network)
    }

    func events<P: EventPayload>(_ type: P.Type, until done: ([Envelope<P>]) -> Bool) async throws -> [Envelope<P>] {
        try await calls.events(type, until: done)
    }

    /// The recording's row once `recording` has stored it.
    func storedRecording(_ id: String, timeout: Duration = .seconds(30)) async throws -> PostgresRow {
        var found: PostgresRow?
        _ = await eventually(timeout: timeout) {
            found = try? await calls.db.query("""
                SELECT status, sha256, duration_ms, size, retention_days, number, direction, user_extension, notice,
                       extract(epoch FROM delete_after - started_at)::float8 AS kept_seconds
                FROM \(identifier: schema).call_recordings WHERE id = \(id) AND status <> 'recording'
                """).first
            return found != nil
        }
        return try #require(found, "recording \(id) was not stored:\n\(store.recording.log.suffix(3000))")
    }

    /// The stored recording's audio as the store gives it back (decrypted), decoded: left, right.
    func audio(sha256: String) async throws -> (left: [Int16], right: [Int16]) {
        let response = try await httpGet("\(store.url)/internal/media/\(calls.slug)/\(sha256)")
        try #require(response.status == 200)
        let (channels, samples) = try OggOpus.decode(response.bytes)
        try #require(channels == 2)
        return (stride(from: 0, to: samples.count, by: 2).map { samples[$0] }, stride(from: 1, to: samples.count, by: 2).map { samples[$0] })
    }

    func stopProcesses() {
        calls.stopProcesses()
        store.recording.stop()
    }
}

/// A call's two parties: their RTP sockets, and the SIPp runs that signal for them (the one that
/// called, the one that answered).
struct RecordedCall {
    let caller: RTPEndpoint
    let callee: RTPEndpoint
    let calling: Task<(status: Int32, errors: String, messages: String), any Error>
    let answering: Task<(status: Int32, errors: String, messages: String), any Error>

    /// Both SIPp runs ended well.
    func finished(log: @autoclosure () -> String) async throws {
        let (calling, answering) = (try await self.calling.value, try await self.answering.value)
        #expect(calling.status == 0, "the calling side: \(calling.errors)\n\(log())")
        #expect(answering.status == 0, "the answering side: \(answering.errors)")
    }

    /// What a party heard, decoded from its PCMU packets in arrival order.
    static func heard(by media: RTPEndpoint) -> [Int16] {
        media.packets.flatMap { packet -> [Int16] in
            guard let header = RTPHeader(packet), header.payloadType == 0 else { return [] }
            return packet[header.payloadOffset...].map { G711.ulawToLinear[Int($0)] }
        }
    }

    /// Both parties talk in their tones for `seconds`, each on its own clock, from the moment the
    /// edge's first packet (the notice) told them where to send.
    func talk(seconds: Int, log: @autoclosure () -> String) async throws {
        try #require(await eventually(timeout: .seconds(15)) { caller.peer != nil && callee.peer != nil }, "the notice reached nobody:\n\(log())")
        let parties = [(caller, RecordingFixture.callerTone), (callee, RecordingFixture.calleeTone)]
        await withTaskGroup(of: Void.self) { group in
            for (media, tone) in parties {
                guard let port = media.peer else { continue }
                group.addTask {
                    var sender = CallerRTP(endpoint: media, edgePort: port)
                    await sender.sendAudio(Tone.sine(frequency: Double(tone), samples: seconds * 8_000))
                }
            }
        }
    }

    func close() {
        caller.close()
        callee.close()
    }
}

@Suite("recorded calls through the edge, routing and recording", .serialized, .timeLimit(.minutes(4)))
struct RecordedCallTests {
    @Test("a call from the trunk to a recorded number: both parties hear the notice first; the stored recording has the caller's tone left and the callee's right for the call's recorded time, kept 60 days, encrypted on disk; the CDR names it")
    func inboundRecorded() async throws {
        let fixture = try await RecordingFixture.start(name: "rec")
        defer { fixture.stopProcesses() }
        let call = try await fixture.inboundCall(seconds: 7)
        defer { call.close() }
        try await call.talk(seconds: 8, log: String(fixture.calls.edge.log.suffix(3000)) + String(fixture.calls.routing.log.suffix(2000)))
        try await call.finished(log: String(fixture.calls.edge.log.suffix(3000)))
        Self.expectNoticeHeard(in: call)

        let started = try #require(try await fixture.events(CallRecordingStarted.self) { !$0.isEmpty }.first)
        #expect(started.data.plan == RecordingPlan(number: fixture.did, direction: .inbound, user: "1002", retentionDays: 60, notice: true,
                                                   noticeSha256: fixture.noticeSha256))
        #expect(started.data.caller == "+3725550199")
        let row = try await Self.expectStored(started.data, fixture: fixture)
        #expect(try row.decode("kept_seconds", as: Double.self) == 60 * 86_400)
        #expect(try row.decode("user_extension", as: String?.self) == "1002")

        // The archive is compact, and what lies on disk is sealed, not Ogg.
        let (sha, size, durationMs) = (try row.decode("sha256", as: String.self), try row.decode("size", as: Int.self), try row.decode("duration_ms", as: Int.self))
        #expect(size < durationMs * 4, "\(size) bytes for \(durationMs) ms")
        let path = "\(fixture.store.folder)/\(fixture.calls.slug)/\(sha.prefix(2))/\(sha)"
        let onDisk = try #require(FileManager.default.contents(atPath: path), "no object at \(path)")
        #expect(!onDisk.starts(with: Array("OggS".utf8)) && onDisk.count > size)
    }

    @Test("a user's call out through the trunk, presenting the recorded number: recorded as outbound under the user, the phone left, the network right")
    func outboundRecorded() async throws {
        let fixture = try await RecordingFixture.start(name: "recout")
        defer { fixture.stopProcesses() }
        let call = try await fixture.outboundCall(seconds: 6)
        defer { call.close() }
        try await call.talk(seconds: 7, log: String(fixture.calls.edge.log.suffix(3000)))
        try await call.finished(log: String(fixture.calls.edge.log.suffix(3000)))
        Self.expectNoticeHeard(in: call)
        let started = try #require(try await fixture.events(CallRecordingStarted.self) { !$0.isEmpty }.first)
        #expect(started.data.plan.direction == .outbound && started.data.plan.user == "1001" && started.data.plan.number == fixture.did)
        #expect(started.data.callee == "+3725550123")
        let row = try await Self.expectStored(started.data, fixture: fixture)
        #expect(try row.decode("direction", as: String.self) == "outbound")
    }

    @Test("fail closed: the notice cannot be had from the store, so the parties talk unrecorded; the event and the CDR say why, and nothing is stored")
    func noticeUnavailable() async throws {
        let fixture = try await RecordingFixture.start(name: "recfail")
        defer { fixture.stopProcesses() }
        // The notice's object is lost from the store (its metadata stays): the edge cannot fetch it.
        let sha = fixture.noticeSha256
        try FileManager.default.removeItem(atPath: "\(fixture.store.folder)/\(fixture.calls.slug)/\(sha.prefix(2))/\(sha)")
        let phonePort = try freeUDPPort()
        try await fixture.calls.register("1002", port: phonePort)
        let phone = fixture.calls.answer(with: "answer.xml", port: phonePort)
        try await Task.sleep(for: .milliseconds(300))
        let trunk = try await runSIPp(scenario: "inbound.xml", target: fixture.calls.target, injection: [["+3725550199", "127.0.0.1", "-", fixture.did]],
                                      localPort: try freeUDPPort(), localIP: CallFixture.trunkHost, arguments: ["-d", "3000"])
        #expect(trunk.status == 0, "trunk: \(trunk.errors)")
        #expect(try await phone.value.status == 0)
        let failed = try await fixture.events(CallRecordingFailed.self) { !$0.isEmpty }.map(\.data)
        #expect(failed == [CallRecordingFailed(number: fixture.did, reason: .noticeUnavailable)])
        let cdr = try #require(try await fixture.events(CallRecord.self) { !$0.isEmpty }.first)
        #expect(cdr.data.recording == CallRecordingNote(outcome: .failed, recordingId: nil, reason: "notice-unavailable"))
        #expect(try await fixture.events(CallRecordingStarted.self) { _ in false }.isEmpty)
        let stored = try await fixture.calls.db.query("SELECT count(*)::int AS n FROM \(identifier: fixture.schema).call_recordings")
        #expect(try stored.first?.decode("n", as: Int.self) == 0)
    }

    /// The broker first: Tansu keeps a consumer group's members in its storage and, restarted, waits
    /// for a member that died before the restart (Kafka expires it after its session timeout).
    @Test("the broker is killed mid-call and restarted from its storage, then recording is killed and started again: the recording is whole")
    func faultsMidCall() async throws {
        let broker = try await TestBroker.persistent()
        try broker.start()
        defer { broker.stop() }
        let fixture = try await RecordingFixture.start(name: "recfault", brokers: broker.brokers)
        var recording = fixture.store.recording
        defer {
            fixture.calls.stopProcesses()
            recording.stop()
        }
        let call = try await fixture.inboundCall(seconds: 10)
        defer { call.close() }
        // The faults once the call is bridged and the notice plays (a busy machine may take seconds).
        try #require(await eventually(timeout: .seconds(15)) { call.caller.peer != nil && call.callee.peer != nil },
                     "the notice reached nobody:\n\(fixture.calls.edge.log.suffix(3000))")
        let faults = Task {
            // Down for 2 s: the edge's chunks wait in its producer, what was taken is in the bucket.
            try await Task.sleep(for: .seconds(2))
            broker.stop()
            try await Task.sleep(for: .seconds(2))
            try broker.start()
            try await Task.sleep(for: .seconds(1))
            _ = fixture.store.recording.stop(signal: SIGKILL)
            try await Task.sleep(for: .seconds(1))
            return try ServiceProcess("recording", environment: fixture.store.environment)
        }
        try await call.talk(seconds: 11, log: String(fixture.calls.edge.log.suffix(3000)))
        recording = try await faults.value
        try await call.finished(log: String(fixture.calls.edge.log.suffix(3000)))
        let started = try #require(try await fixture.events(CallRecordingStarted.self) { !$0.isEmpty }.first)
        let row = try await Self.expectStored(started.data, fixture: fixture, timeout: .seconds(60))
        #expect(try row.decode("duration_ms", as: Int.self) > 8_000)
        #expect(try await fixture.calls.metric("switchboard_media_recording_chunks_lost_total") == 0)
    }

    @Test("the edge is killed mid-call and started again: the CDR it writes for the lost call names the recording, kept as incomplete with what was recorded")
    func edgeCrashMidCall() async throws {
        let fixture = try await RecordingFixture.start(name: "recedge")
        var edge = fixture.calls.edge
        defer {
            fixture.stopProcesses()
            edge.stop()
        }
        let call = try await fixture.inboundCall(seconds: 20)
        defer { call.close() }
        try await call.talk(seconds: 4, log: String(fixture.calls.edge.log.suffix(3000)))
        let started = try #require(try await fixture.events(CallRecordingStarted.self) { !$0.isEmpty }.first)
        fixture.calls.edge.stop(signal: SIGKILL)
        edge = try ServiceProcess("sip-edge", environment: fixture.calls.edgeEnvironment)
        let cdr = try #require(try await fixture.events(CallRecord.self) { !$0.isEmpty }.first, "\(edge.log.suffix(2000))")
        #expect(cdr.data.cause == "edge restarted")
        #expect(cdr.data.recording == CallRecordingNote(outcome: .recorded, recordingId: started.data.recordingId, reason: nil))
        // The chunks stopped without a final one: the sweeper keeps what came, flagged.
        let chunks = await eventually(timeout: .seconds(20)) {
            let count = try? await fixture.calls.db.query("""
                SELECT count(*)::int AS n FROM \(identifier: fixture.schema).audio_chunks WHERE recording_id = \(started.data.recordingId)
                """).first?.decode("n", as: Int.self)
            return (count ?? 0) >= 2
        }
        #expect(chunks, "the chunks before the crash reached recording")
        let library = MediaLibrary(db: fixture.calls.db, store: EncryptedObjectStore(backing: FileObjectStore(root: fixture.store.folder),
                                                                                     keys: DataKeys(db: fixture.calls.db, masterKey: Settings.masterKey.defaultValue)))
        let publisher = EventPublisher(producer: fixture.store.producer, topicPrefix: fixture.store.prefix)
        var sweeper = MediaSweeper(db: fixture.calls.db, library: library,
                                   assembler: AudioAssembler(db: fixture.calls.db, library: library,
                                                             voicemail: Voicemail(db: fixture.calls.db, publisher: publisher, actor: "test"),
                                                             outbox: Outbox(db: fixture.calls.db, publisher: publisher), logger: TestEnvironment.logger),
                                   logger: TestEnvironment.logger)
        sweeper.abandonedAfter = "1 second"
        try await Task.sleep(for: .seconds(2))
        try await sweeper.sweep(only: [try TenantSlug(fixture.calls.slug)])
        let row = try await fixture.storedRecording(started.data.recordingId)
        #expect(try row.decode("status", as: String.self) == "incomplete")
        #expect(try row.decode("duration_ms", as: Int.self) >= 2_000, "what came before the crash is kept")
    }

    // MARK: Checks

    /// Each party's first second from the edge is the notice; then the other party.
    static func expectNoticeHeard(in call: RecordedCall) {
        for (party, media, other) in [("caller", call.caller, RecordingFixture.calleeTone), ("callee", call.callee, RecordingFixture.callerTone)] {
            let heard = RecordedCall.heard(by: media)
            #expect(heard.count > 16_000, "\(party) heard \(heard.count) samples")
            #expect(Tone.power(of: Double(RecordingFixture.noticeTone), in: Array(heard.dropFirst(800).prefix(8_000))) > 0.7,
                    "the \(party) hears the notice first")
            #expect(blockTonePower(of: Double(other), in: Array(heard.dropFirst(16_000))).power > 0.7, "then the \(party) hears the other party")
        }
    }

    /// The CDR names the recording; it is stored whole, kept for the plan's days, for the time from
    /// the end of the notice to the hangup (within 0.5 s), with the caller's tone left and the
    /// callee's right. - Returns: its row.
    static func expectStored(_ started: CallRecordingStarted, fixture: RecordingFixture, timeout: Duration = .seconds(30)) async throws -> PostgresRow {
        let cdr = try #require(try await fixture.events(CallRecord.self) { !$0.isEmpty }.first)
        #expect(cdr.data.recording == CallRecordingNote(outcome: .recorded, recordingId: started.recordingId, reason: nil))
        let row = try await fixture.storedRecording(started.recordingId, timeout: timeout)
        #expect(try row.decode("status", as: String.self) == "complete")
        #expect(try row.decode("retention_days", as: Int.self) == 60)
        let recordedMs = try row.decode("duration_ms", as: Int.self)
        let expectedMs = Int(cdr.data.end.timeIntervalSince(started.startedAt) * 1000)
        #expect(abs(recordedMs - expectedMs) <= 500, "recorded \(recordedMs) ms of a call recorded for \(expectedMs) ms")

        let (left, right) = try await fixture.audio(sha256: try row.decode("sha256", as: String.self))
        #expect(abs(left.count / 8 - recordedMs) <= 60, "decoded \(left.count / 8) ms")
        let callerSide = blockTonePower(of: Double(RecordingFixture.callerTone), in: left)
        let calleeSide = blockTonePower(of: Double(RecordingFixture.calleeTone), in: right)
        #expect(callerSide.power > 0.8 && callerSide.sounding > 0.5, "the caller on the left: \(callerSide)")
        #expect(calleeSide.power > 0.8 && calleeSide.sounding > 0.5, "the callee on the right: \(calleeSide)")
        #expect(blockTonePower(of: Double(RecordingFixture.noticeTone), in: left).power < 0.3, "the notice is before the recording")
        return row
    }
}
