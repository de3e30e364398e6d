import Events
import Foundation
import Media
import NIOCore
import Synchronization
import Testing
import TestSupport

@testable import SipEdge

/// The recorder as a value (frames, chunks, limits), then inside a media session with real sockets.
@Suite("recording the call's audio", .timeLimit(.minutes(1)))
struct RecorderTests {
    @Test("one-second pcmu-stereo chunks from sequence 0: the caller left, what the caller hears right, aligned; the final one holds the rest")
    func chunksAndChannels() {
        var recorder = Recorder(Recorder.Settings(caller: true, callee: true, maxFrames: 1000, silenceFrames: 0))
        let left = Tone.sine(frequency: 1000, samples: 120 * 160)
        let right = Tone.sine(frequency: 400, samples: 120 * 160)
        var chunks: [Recorder.Chunk] = []
        for frame in 0..<120 {
            recorder.hear(left[(frame * 160)..<((frame + 1) * 160)], from: .caller)
            recorder.hear(right[(frame * 160)..<((frame + 1) * 160)], from: .callee)
            let (chunk, limit) = recorder.frame()
            #expect(limit == nil)
            if let chunk { chunks.append(chunk) }
        }
        let (last, summary) = recorder.finish()
        chunks.append(last)
        #expect(chunks.map(\.sequence) == [0, 1, 2])
        #expect(chunks.map(\.final) == [false, false, true])
        #expect(chunks.map(\.audio.count) == [16_000, 16_000, 6_400], "a second is 8000 stereo µ-law samples")
        #expect(summary == Recorder.Summary(frames: 120, chunks: 3) && summary.durationMs == 2_400)
        let channels = G711.decodeStereoULaw(chunks.flatMap(\.audio))
        #expect(channels.left.count == 120 * 160)
        #expect(Tone.power(of: 1000, in: channels.left) > 0.9 && Tone.power(of: 400, in: channels.right) > 0.9)
        #expect(zip(channels.left, left).allSatisfy { abs(Int($0) - Int($1)) < 300 }, "sample for sample, µ-law's error only")
    }

    @Test("a direction not recorded is silence; a short queue pads silence; silence and max length are reported once; at the maximum nothing more is recorded")
    func limitsAndSilence() {
        var recorder = Recorder(Recorder.Settings(caller: true, callee: false, maxFrames: 10, silenceFrames: 3))
        recorder.hear(Tone.sine(frequency: 1000, samples: 240), from: .caller)  // a frame and a half
        recorder.hear(Tone.sine(frequency: 400, samples: 1600), from: .callee)
        var limits: [Recorder.Limit?] = []
        for _ in 0..<12 { limits.append(recorder.frame().limit) }
        #expect(limits == [nil, nil, nil, nil, .silence, nil, nil, nil, nil, .maxLength, nil, nil],
                "loud, half loud, then quiet three frames in a row; the tenth frame is the maximum")
        let (chunk, summary) = recorder.finish()
        #expect(summary.frames == 10 && chunk.sequence == 0 && chunk.final)
        let channels = G711.decodeStereoULaw(chunk.audio)
        #expect(channels.right.allSatisfy { $0 == 0 }, "the callee is not recorded")
        #expect(channels.left[240...].allSatisfy { $0 == 0 }, "after the queued audio, silence")
        #expect(Tone.power(of: 1000, in: Array(channels.left.prefix(160))) > 0.9)

        var flooded = Recorder(Recorder.Settings(CallRecordAudio(operation: "x", recordingId: nil, direction: .caller, maxSeconds: 0,
                                                                 silenceSeconds: -1, endKeys: "")))
        #expect(flooded.settings == Recorder.Settings(caller: true, callee: false, maxFrames: 50, silenceFrames: 0), "limits kept in range")
        flooded.hear((0..<20_000).map { Int16(truncatingIfNeeded: $0) }, from: .caller)
        for _ in 0..<50 { _ = flooded.frame() }
        let audio = G711.decodeStereoULaw(flooded.finish().chunk.audio).left
        #expect(audio.prefix(1600).contains { $0 != 0 } && audio.dropFirst(1600).allSatisfy { $0 == 0 },
                "a burst keeps only the newest 200 ms queued")
    }

    @Test("in a media session: the caller's and the callee's RTP and the edge's playback reach the recording, on the session's clock")
    func mediaSessionRecords() async throws {
        let session = try await MediaSession.open(host: "127.0.0.1", ports: RTPPortAllocator(range: 43_000...43_999))
        let caller = try UDPPeer()
        let callee = try UDPPeer()
        let format = LegFormat(audioPayloadType: 0, telephoneEvent: 101)
        await session.configure(leg: 0, remote: try SocketAddress(ipAddress: "127.0.0.1", port: caller.port), format: format)
        await session.configure(leg: 1, remote: try SocketAddress(ipAddress: "127.0.0.1", port: callee.port),
                                format: LegFormat(audioPayloadType: 8, telephoneEvent: nil))
        let collected = Collected()
        func chunks() -> [Recorder.Chunk] { collected.chunks.withLock { $0 } }

        // Nothing sent: the recording goes on the session's clock to its maximum and says so.
        await session.startRecording(Recorder.Settings(caller: true, callee: true, maxFrames: 25, silenceFrames: 0),
                                     onChunk: { chunk in collected.chunks.withLock { $0.append(chunk) } },
                                     onLimit: { limit in collected.limits.withLock { $0.append(limit) } })
        #expect(await eventually(timeout: .seconds(10)) { !collected.limits.withLock { $0 }.isEmpty })
        #expect(collected.limits.withLock { $0 } == [.maxLength])
        #expect(await session.stopRecording() == Recorder.Summary(frames: 25, chunks: 1))
        #expect(chunks().map(\.final) == [true] && chunks().first?.audio.count == 25 * 320)

        // A second of both tones, paced by a thread of its own (a busy test process delays tasks).
        await session.startRecording(Recorder.Settings(caller: true, callee: true, maxFrames: 500, silenceFrames: 0),
                                     onChunk: { chunk in collected.chunks.withLock { $0.append(chunk) } }, onLimit: { _ in })
        try await onOwnThread { [caller, callee, ports = session.localPorts] in
            let up = Tone.sine(frequency: 1000, samples: 8000)
            let down = Tone.sine(frequency: 400, samples: 8000)
            for frame in 0..<50 {
                let samples = (frame * 160)..<((frame + 1) * 160)
                caller.send(RTPHeader.make(payloadType: 0, sequenceNumber: UInt16(frame), timestamp: UInt32(frame * 160), ssrc: 7)
                            + up[samples].map(G711.encodeULaw), to: ports.0)
                callee.send(RTPHeader.make(payloadType: 8, sequenceNumber: UInt16(frame), timestamp: UInt32(frame * 160), ssrc: 9)
                            + down[samples].map(G711.encodeALaw), to: ports.1)
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        let summary = try #require(await session.stopRecording())
        #expect(summary.frames >= 50 && summary.chunks == chunks().count - 1)
        let channels = G711.decodeStereoULaw(chunks().dropFirst().flatMap(\.audio))
        // How much of it is sound depends on the machine's load (a stalled loop pads silence);
        // where there is sound, it is the right tone on the right side.
        let (left, right) = (blockTonePower(of: 1000, in: channels.left), blockTonePower(of: 400, in: channels.right))
        #expect(left.power > 0.8 && left.sounding > 0.1, "the caller's µ-law: \(left)")
        #expect(right.power > 0.8 && right.sounding > 0.1, "the callee's A-law, decoded: \(right)")
        #expect(await session.stopRecording() == nil)

        // Played in place of the callee: the caller hears the beep, and so does the recording.
        await session.startRecording(Recorder.Settings(caller: false, callee: true, maxFrames: 500, silenceFrames: 0),
                                     onChunk: { chunk in collected.chunks.withLock { $0.append(chunk) } }, onLimit: { _ in })
        await session.play(Tone.sine(frequency: 1400, samples: 4000), loop: false) {}
        try await Task.sleep(for: .milliseconds(700))
        _ = await session.stopRecording()
        let played = G711.decodeStereoULaw(chunks().dropFirst(1 + summary.chunks).flatMap(\.audio))
        let beep = blockTonePower(of: 1400, in: played.right)
        #expect(beep.power > 0.8 && beep.sounding > 0.1, "the playback is the right channel: \(beep)")
        #expect(played.left.allSatisfy { $0 == 0 })
        await session.close()
    }
}

private final class Collected: Sendable {
    let chunks = Mutex<[Recorder.Chunk]>([])
    let limits = Mutex<[Recorder.Limit]>([])
}

/// Its socket and port never change, and a datagram send needs no lock: a pacing thread may use it.
extension UDPPeer: @unchecked Sendable {}
