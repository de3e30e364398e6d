import Events
import Foundation
import Kafka
import Media
import Messaging
import Testing
import TestSupport

/// The edge's `record` operation (DESIGN §6, §7) driven as `ivr` drives it: `call.record` on
/// `call.commands`, `call.record-finished` on `call.events`, and the audio as binary chunks on
/// `media.audio`, read back with the shared decoder and reassembled in sequence.
@Suite("recording calls in an application", .timeLimit(.minutes(3)))
struct CallRecordingTests {
    @Test("the caller's tone and the edge's playback are recorded left and right until the maximum length; then recordings end on #, on silence and at the hangup; every recording's chunks are gapless with one final")
    func recordUntilEachEnd() async throws {
        let fixture = try await EdgeFixture.start(environment: ["SWITCHBOARD_ROUTE_TIMEOUT_MS": "20000"])
        let (slug, domain) = try await fixture.tenant("rec")
        let call = try await ApplicationCall.start(fixture: fixture, slug: slug, domain: domain, into: CallApplication(kind: .voicemail, name: "1001"),
                                                   seconds: 150)
        let (media, callID) = (call.media, call.callID)
        defer { media.close() }
        func command<P: EventPayload>(_ payload: P) async throws { try await call.command(payload) }
        func finished(_ count: Int) async throws -> [CallRecordFinished] {
            try await readEvents(CallRecordFinished.self, prefix: fixture.prefix, callID: callID) { $0.count >= count }.map(\.data)
        }

        // The application's beep first: the caller learns the edge's media port from it.
        try await command(CallPlay(operation: "beep", items: [.beep], loop: false, bargeIn: false))
        #expect(await eventually(timeout: .seconds(5)) { media.peer != nil }, "no RTP from the edge")
        var sender = CallerRTP(endpoint: media, edgePort: try #require(media.peer))

        // Both directions for at most 2 s: the caller sends 440 Hz, the edge plays a looped 1 kHz beep.
        // The caller's tone starts first and outlasts the recording, wherever its 2 s fall under load.
        let toneSender = Task { [sender] in
            var sending = sender
            await sending.sendAudio(Tone.sine(frequency: 440, samples: 8 * 8000))
            return sending
        }
        try await command(CallRecordAudio(operation: "both", recordingId: nil, direction: .both, maxSeconds: 2, silenceSeconds: 0, endKeys: ""))
        try await command(CallPlay(operation: "loop", items: [.beep], loop: true, bargeIn: false))
        try #require(await fixture.recordingsStarted(1))
        let first = try #require(try await finished(1).first)
        sender = await toneSender.value
        #expect(first == CallRecordFinished(operation: "both", recordingId: "\(callID)-r1", reason: .maxLength, key: nil, durationMs: 2000, chunks: 2))
        let both = try await readRecording(first.recordingId, prefix: fixture.prefix)
        #expect(both.allSatisfy { $0.tenant == slug && $0.callId == callID && $0.codec == .pcmuStereo })
        #expect(both.map(\.audio.count) == [16_000, 16_000])
        let channels = G711.decodeStereoULaw(both.flatMap(\.audio))
        let (left, right) = (blockTonePower(of: 440, in: channels.left), blockTonePower(of: 1000, in: channels.right))
        #expect(left.power > 0.8 && left.sounding > 0.3, "the caller's tone on the left: \(left)")
        #expect(right.power > 0.8 && right.sounding > 0.3, "the edge's playback, what the caller hears, on the right: \(right)")
        try await command(CallStop())

        // The caller only, named by the application, until the caller presses # (RFC 4733).
        try await command(CallRecordAudio(operation: "key", recordingId: "\(callID)-vm", direction: .caller, maxSeconds: 60, silenceSeconds: 0,
                                          endKeys: "#"))
        try #require(await fixture.recordingsStarted(2))
        await sender.sendAudio(Tone.sine(frequency: 440, samples: 8000))
        await sender.sendEvent(.pound)
        let byKey = try #require(try await finished(2).last)
        #expect(byKey.recordingId == "\(callID)-vm" && byKey.reason == .key && byKey.key == "#", "\(byKey)")
        #expect((200...6000).contains(byKey.durationMs), "\(byKey)")
        let keyed = try await readRecording(byKey.recordingId, prefix: fixture.prefix)
        #expect(keyed.count == byKey.chunks)
        #expect(blockTonePower(of: 440, in: G711.decodeStereoULaw(keyed.flatMap(\.audio)).left).power > 0.8)

        // Nothing from the caller for a second ends the next one.
        try await command(CallRecordAudio(operation: "quiet", recordingId: "\(callID)-quiet", direction: .caller, maxSeconds: 60,
                                          silenceSeconds: 1, endKeys: "#"))
        let bySilence = try #require(try await finished(3).last)
        #expect(bySilence.reason == .silence && (1000..<2000).contains(bySilence.durationMs), "\(bySilence)")
        let quiet = try await readRecording(bySilence.recordingId, prefix: fixture.prefix)
        #expect(G711.decodeStereoULaw(quiet.flatMap(\.audio)).left.allSatisfy { abs($0) < 200 })

        // SIPp sends its INFO 10 s after the answer; after that the application hangs up mid-recording.
        _ = try await readEvents(CallDTMF.self, prefix: fixture.prefix, callID: callID) { $0.contains { $0.data.source == .info } }
        try await command(CallRecordAudio(operation: "last", recordingId: "\(callID)-last", direction: .both, maxSeconds: 60,
                                          silenceSeconds: 0, endKeys: ""))
        await sender.sendAudio(Tone.sine(frequency: 440, samples: 4000))
        try await command(CallHangUp(cause: "recorded"))
        let atHangup = try #require(try await finished(4).last)
        #expect(atHangup.recordingId == "\(callID)-last" && atHangup.reason == .hangup, "\(atHangup)")
        _ = try await readRecording(atHangup.recordingId, prefix: fixture.prefix)

        let result = try await call.caller.value
        #expect(result.status == 0, "caller: \(result.errors)\n\(fixture.edge.log.suffix(3000))")
        await fixture.stop()
    }
}

/// A recording's chunks from `media.audio`, decoded from the binary messages, until its final one
/// and then on for half a second (a chunk after the final, or twice, would show). Checks they run
/// from 0 without gaps or copies and only the last is final.
func readRecording(_ recordingID: String, prefix: String) async throws -> [AudioChunk] {
    let consumer = try consumerFromBeginning(AudioChunk.topic, prefix: prefix)
    var chunks: [AudioChunk] = []
    func read() async throws {
        while let message = try await consumer.poll(timeoutMilliseconds: 50) {
            let chunk = try AudioChunk(message)
            #expect(message.key.map { String(decoding: $0, as: UTF8.self) } == chunk.recordingId, "keyed by recording id")
            if chunk.recordingId == recordingID { chunks.append(chunk) }
        }
    }
    let complete = try await eventually(timeout: .seconds(10)) {
        try await read()
        return chunks.contains(where: \.final)
    }
    try await Task.sleep(for: .milliseconds(500))
    try await read()
    await consumer.close()
    try #require(complete, "no final chunk of \(recordingID): \(chunks.map(\.sequence))")
    #expect(chunks.map(\.sequence) == Array(0..<chunks.count), "in order, from 0, without gaps")
    #expect(chunks.map(\.final) == Array(repeating: false, count: chunks.count - 1) + [true])
    return chunks
}
