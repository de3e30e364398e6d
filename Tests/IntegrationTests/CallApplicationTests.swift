import Events
import Foundation
import Media
import Messaging
import Testing
import TestSupport

/// The edge's media operations for call applications (DESIGN §6), driven the way `ivr` drives
/// them: commands on `call.commands`, events on `call.events`. The test plays routing and the
/// application; SIPp is the caller's signalling and a socket of the test its media.
@Suite("call applications through the edge", .timeLimit(.minutes(3)))
struct CallApplicationTests {
    @Test("answered into an application, the caller hears the beep; keys as in-band tones, RFC 4733 and SIP INFO are all collected with their sources; the first key stops the prompt; the application hangs up")
    func playAndCollect() async throws {
        // The test is routing here, and a slow one under load: the edge waits for it.
        let fixture = try await EdgeFixture.start(environment: ["SWITCHBOARD_ROUTE_TIMEOUT_MS": "20000"])
        let (slug, domain) = try await fixture.tenant("app")
        let call = try await ApplicationCall.start(fixture: fixture, slug: slug, domain: domain, into: CallApplication(kind: .ivr, name: "main"))
        let (media, callID) = (call.media, call.callID)
        defer { media.close() }
        func command<P: EventPayload>(_ payload: P) async throws { try await call.command(payload) }
        try await command(CallPlay(operation: "greeting", items: [.beep, .silence(milliseconds: 300)], loop: true, bargeIn: true))
        try await command(CallCollect(operation: "choice", maxDigits: 3, firstDigitTimeoutMs: 20_000, interDigitTimeoutMs: 15_000,
                                      terminators: "#"))

        // The beep reaches the caller's media port, sent from the edge's.
        #expect(await eventually(timeout: .seconds(5)) { media.packets.count >= 25 }, "no RTP from the edge")
        let edgePort = try #require(media.peer)
        let heard = media.packets.prefix(25).flatMap { packet -> [Int16] in
            guard let header = RTPHeader(packet), header.payloadType == 0 else { return [] }
            return packet[header.payloadOffset...].map { G711.ulawToLinear[Int($0)] }
        }
        #expect(Tone.power(of: 1000, in: Array(heard.prefix(3200))) > 0.5, "the caller hears the 1 kHz beep")

        // 6 as tones in the audio, then 3 as RFC 4733 events; SIPp sends 7 as SIP INFO 10 s after the answer.
        var sender = CallerRTP(endpoint: media, edgePort: edgePort)
        await sender.sendAudio(Tone.dtmf(.six, samples: 1280) + [Int16](repeating: 0, count: 800))
        await sender.sendEvent(.three)

        // In that order, unless a test machine under load is slower than SIPp's pause: then the INFO's key comes earlier.
        let keys = try await readEvents(CallDTMF.self, prefix: fixture.prefix, callID: callID) { $0.count >= 3 }.map(\.data)
        #expect(Set(keys.map { "\($0.key) \($0.source)" }) == ["6 inband", "3 rfc4733", "7 info"], "\(keys)")
        let finished = try await readEvents(CallCollectFinished.self, prefix: fixture.prefix, callID: callID) { !$0.isEmpty }.map(\.data)
        #expect(finished.count == 1 && finished.first?.reason == .maxDigits && finished.first?.digits == String(keys.map(\.key).joined()),
                "\(finished)")
        let played = try await readEvents(CallPlayFinished.self, prefix: fixture.prefix, callID: callID) { !$0.isEmpty }.map(\.data)
        #expect(played == [CallPlayFinished(operation: "greeting", reason: .bargeIn)])

        try await command(CallHangUp(cause: "menu done"))
        let result = try await call.caller.value
        #expect(result.status == 0, "caller: \(result.errors)\n\(fixture.edge.log.suffix(3000))")
        let records = try await readEvents(CallRecord.self, prefix: fixture.prefix, callID: callID) { !$0.isEmpty }.map(\.data)
        #expect(records.count == 1 && records.first?.cause == "menu done" && records.first?.answer != nil)
        await fixture.stop()
    }
}

extension CallApplicationTests {
    @Test("a prompt uploaded to the media store is fetched by the edge by its hash (with the internal token) and heard by the caller; a hash the store lacks fails the play; no token, no access")
    func promptFromTheStore() async throws {
        // The internal HTTP with its token, as on a cluster: the edge must send it.
        let token = "internal-\(UUID().uuidString)"
        let store = try await MediaStoreFixture.start(environment: ["SWITCHBOARD_INTERNAL_TOKEN": token])
        let fixture = try await EdgeFixture.start(environment: ["SWITCHBOARD_RECORDING_URL": store.url, "SWITCHBOARD_ROUTE_TIMEOUT_MS": "20000",
                                                                "SWITCHBOARD_INTERNAL_TOKEN": token])
        let (slug, domain) = try await fixture.tenant("prompt")
        let wav = try MediaStoreFixture.audioFile("wav", frequency: 600, seconds: 2)
        #expect(try await httpRequest("PUT", "\(store.url)/internal/prompts/\(slug)/hum", body: wav, contentType: "audio/wav").status == 401)
        #expect(try await httpRequest("PUT", "\(store.url)/internal/prompts/\(slug)/hum", token: "wrong", body: wav, contentType: "audio/wav").status == 401)
        let uploaded = try await httpRequest("PUT", "\(store.url)/internal/prompts/\(slug)/hum", token: token, body: wav, contentType: "audio/wav")
        try #require(uploaded.status == 201, "\(uploaded.body)")
        #expect(try await httpGet("\(store.url)/internal/prompts/\(slug)").status == 401, "no listing without the token either")
        let sha = try #require((try JSONSerialization.jsonObject(with: Data(uploaded.bytes)) as? [String: Any])?["sha256"] as? String)

        let call = try await ApplicationCall.start(fixture: fixture, slug: slug, domain: domain,
                                                   into: CallApplication(kind: .announcement, name: "hum"))
        let (media, callID) = (call.media, call.callID)
        defer { media.close() }
        func command<P: EventPayload>(_ payload: P) async throws { try await call.command(payload) }
        try await command(CallPlay(operation: "missing", items: [.prompt(sha256: String(repeating: "e", count: 64))], loop: false, bargeIn: false))
        let failed = try await readEvents(CallPlayFinished.self, prefix: fixture.prefix, callID: callID) { !$0.isEmpty }.map(\.data)
        #expect(failed == [CallPlayFinished(operation: "missing", reason: .failed)])
        try await command(CallPlay(operation: "hum", items: [.prompt(sha256: sha)], loop: false, bargeIn: false))
        let finished = try await readEvents(CallPlayFinished.self, prefix: fixture.prefix, callID: callID) { $0.count >= 2 }.map(\.data)
        #expect(finished.last == CallPlayFinished(operation: "hum", reason: .completed), "\(finished)")
        let heard = media.packets.flatMap { packet -> [Int16] in
            guard let header = RTPHeader(packet), header.payloadType == 0 else { return [] }
            return packet[header.payloadOffset...].map { G711.ulawToLinear[Int($0)] }
        }
        #expect(heard.count >= 15_000, "two seconds of the prompt: \(heard.count) samples")
        #expect(Tone.power(of: 600, in: Array(heard.dropFirst(1600).prefix(8000))) > 0.7, "the caller hears the stored prompt")
        // SIPp's INFO comes 10 s after the answer; then the call may end.
        _ = try await readEvents(CallDTMF.self, prefix: fixture.prefix, callID: callID) { !$0.isEmpty }
        try await command(CallHangUp(cause: "announcement played"))
        let result = try await call.caller.value
        #expect(result.status == 0, "\(result.errors)")
        await fixture.stop()
        await store.stop()
    }
}

/// A call from 1001 that the test, playing routing, answers into an application: SIPp is its
/// signalling (`call-app.xml`), `media` the caller's RTP socket.
struct ApplicationCall {
    let callID: String
    let slug: String
    let media: RTPEndpoint
    let caller: Task<(status: Int32, errors: String, messages: String), any Error>
    let publisher: EventPublisher

    /// - Parameter seconds: how long SIPp may take for the whole call.
    static func start(fixture: EdgeFixture, slug: String, domain: String, into application: CallApplication,
                      seconds: Int = 40) async throws -> ApplicationCall {
        let media = try RTPEndpoint()
        let caller = Task {
            try await runSIPp(scenario: "call-app.xml", target: "127.0.0.1:\(fixture.sipPort)",
                              injection: [["1001", domain, "password-\(slug)", "600", String(media.port)]], localPort: try freeUDPPort(),
                              timeout: seconds)
        }
        let offer = try #require(try await readEvents(CallOffered.self, prefix: fixture.prefix) { !$0.isEmpty }.first)
        let call = ApplicationCall(callID: try #require(offer.callId), slug: slug, media: media, caller: caller,
                                   publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix))
        try await call.command(CallRoute(targets: [], strategy: .parallel, presentedNumber: nil, classification: .business, reject: nil,
                                         application: application))
        let started = try await readEvents(CallAppStarted.self, prefix: fixture.prefix, callID: call.callID) { !$0.isEmpty }
        try #require(started.first?.data.application == application, "\(fixture.edge.log.suffix(3000))")
        return call
    }

    /// A command for the call, to the edge's partition of `call.commands`, as `ivr` sends it.
    func command<P: EventPayload>(_ payload: P) async throws {
        try await publisher.publish(Envelope(tenant: slug, callId: callID, data: payload), key: callID, partition: 0)
    }
}

/// The caller's RTP as the test sends it: µ-law audio in 20 ms packets, RFC 4733 events.
struct CallerRTP: Sendable {
    let endpoint: RTPEndpoint
    let edgePort: Int
    var sequence: UInt16 = 1
    var timestamp: UInt32 = 1000
    let ssrc: UInt32 = 0x5EED

    /// Paced by the clock, not by sleeps added up, on a thread of its own as a phone's audio clock
    /// is: the tests' busy task pool delays no packet, and a late one is followed by the next at once.
    mutating func sendAudio(_ samples: [Int16]) async {
        let (endpoint, edgePort, ssrc, sequence, timestamp) = (self.endpoint, self.edgePort, self.ssrc, self.sequence, self.timestamp)
        let starts = Array(stride(from: 0, to: samples.count, by: 160))
        _ = try? await onOwnThread {
            let start = Date()
            for (index, first) in starts.enumerated() {
                let frame = samples[first..<min(first + 160, samples.count)]
                endpoint.send(RTPHeader.make(payloadType: 0, sequenceNumber: sequence &+ UInt16(truncatingIfNeeded: index),
                                             timestamp: timestamp &+ UInt32(160 * index), ssrc: ssrc)
                              + frame.map(G711.encodeULaw), to: edgePort)
                Thread.sleep(until: start.addingTimeInterval(0.02 * Double(index + 1)))
            }
        }
        self.sequence &+= UInt16(truncatingIfNeeded: starts.count)
        self.timestamp &+= UInt32(160 * starts.count)
    }

    /// One key as RFC 4733 sends it: packets of one event (one timestamp), the last three ending it.
    mutating func sendEvent(_ key: DTMFKey) async {
        for index in 0..<6 {
            let event = TelephoneEvent(event: key.eventCode, isEnd: index >= 3, volume: 10, duration: UInt16(160 * min(index + 1, 4)))
            endpoint.send(RTPHeader.make(payloadType: 101, marker: index == 0, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc)
                          + event.serialized, to: edgePort)
            sequence &+= 1
            try? await Task.sleep(for: .milliseconds(20))
        }
        timestamp &+= 960
    }
}
