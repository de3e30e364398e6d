import Events
import Foundation
import Media
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

    /// The notice the tenant recorded: a tone either party's audio tells apart.
    static let noticeTone = 600
    static let callerTone = 440
    static let calleeTone = 1000

    static func start(name: String) async throws -> RecordingFixture {
        let prefix = TestEnvironment.unique(name) + "."
        let store = try await MediaStoreFixture.start(prefix: prefix)
        let calls = try await CallFixture.start(name: name, trunkPort: try freeUDPPort(), edgeSettings: ["SWITCHBOARD_RECORDING_URL": store.url],
                                                prefix: prefix)
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
        return RecordingFixture(calls: calls, store: store, schema: schema, did: did, noticeSha256: sha)
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
        return RecordedCall(caller: caller, callee: callee, trunk: trunk, phone: phone)
    }

    /// The recording's row once `recording` has stored it.
    func storedRecording(_ id: String) async throws -> PostgresRow {
        var found: PostgresRow?
        _ = await eventually(timeout: .seconds(30)) {
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

struct RecordedCall {
    let caller: RTPEndpoint
    let callee: RTPEndpoint
    let trunk: Task<(status: Int32, errors: String, messages: String), any Error>
    let phone: Task<(status: Int32, errors: String, messages: String), any Error>

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
        let trunk = try await call.trunk.value
        #expect(trunk.status == 0, "trunk: \(trunk.errors)\n\(fixture.calls.edge.log.suffix(3000))")
        #expect(try await call.phone.value.status == 0)

        // Each party's first second from the edge is the notice; then the other party.
        for (party, media, other) in [("caller", call.caller, RecordingFixture.calleeTone), ("callee", call.callee, RecordingFixture.callerTone)] {
            let heard = RecordedCall.heard(by: media)
            #expect(heard.count > 16_000, "\(party) heard \(heard.count) samples")
            #expect(Tone.power(of: Double(RecordingFixture.noticeTone), in: Array(heard.dropFirst(800).prefix(8_000))) > 0.7,
                    "the \(party) hears the notice first")
            #expect(blockTonePower(of: Double(other), in: Array(heard.dropFirst(16_000))).power > 0.7, "then the \(party) hears the other party")
        }

        let prefix = fixture.calls.prefix
        let started = try #require(try await readEvents(CallRecordingStarted.self, prefix: prefix) { !$0.isEmpty }.first)
        #expect(started.data.plan == RecordingPlan(number: fixture.did, direction: .inbound, user: "1002", retentionDays: 60, notice: true,
                                                   noticeSha256: fixture.noticeSha256))
        #expect(started.data.caller == "+3725550199")
        let cdr = try #require(try await readEvents(CallRecord.self, prefix: prefix) { !$0.isEmpty }.first)
        #expect(cdr.data.recording == CallRecordingNote(outcome: .recorded, recordingId: started.data.recordingId, reason: nil))

        let row = try await fixture.storedRecording(started.data.recordingId)
        #expect(try row.decode("status", as: String.self) == "complete")
        #expect(try row.decode("retention_days", as: Int.self) == 60)
        #expect(try row.decode("kept_seconds", as: Double.self) == 60 * 86_400)
        #expect(try row.decode("user_extension", as: String?.self) == "1002")
        // Recorded from the end of the notice to the hangup.
        let recordedMs = try row.decode("duration_ms", as: Int.self)
        let expectedMs = Int(cdr.data.end.timeIntervalSince(started.data.startedAt) * 1000)
        #expect(abs(recordedMs - expectedMs) <= 500, "recorded \(recordedMs) ms of a call recorded for \(expectedMs) ms")

        let sha = try row.decode("sha256", as: String.self)
        let (left, right) = try await fixture.audio(sha256: sha)
        #expect(abs(left.count / 8 - recordedMs) <= 60, "decoded \(left.count / 8) ms")
        let callerSide = blockTonePower(of: Double(RecordingFixture.callerTone), in: left)
        let calleeSide = blockTonePower(of: Double(RecordingFixture.calleeTone), in: right)
        #expect(callerSide.power > 0.8 && callerSide.sounding > 0.5, "the caller on the left: \(callerSide)")
        #expect(calleeSide.power > 0.8 && calleeSide.sounding > 0.5, "the callee on the right: \(calleeSide)")
        #expect(blockTonePower(of: Double(RecordingFixture.noticeTone), in: left).power < 0.3, "the notice is before the recording")

        // The archive is compact, and what lies on disk is sealed, not Ogg.
        let size = try row.decode("size", as: Int.self)
        #expect(size < recordedMs * 4, "\(size) bytes for \(recordedMs) ms")
        let path = "\(fixture.store.folder)/\(fixture.calls.slug)/\(sha.prefix(2))/\(sha)"
        let onDisk = try #require(FileManager.default.contents(atPath: path), "no object at \(path)")
        #expect(!onDisk.starts(with: Array("OggS".utf8)) && onDisk.count > size)
    }
}
