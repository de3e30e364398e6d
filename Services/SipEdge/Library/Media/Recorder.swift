import Events
import Media

/// A recording being made (DESIGN §6 record): what the caller sends (left channel) and what the
/// caller hears (right: the callee, or the edge's playback), cut into 20 ms frames on the media
/// session's clock and packed into one-second `pcmu-stereo` chunks. Audio arrives in packets at
/// their own pace; each channel keeps a short queue, a frame takes 160 samples from each and a
/// channel with too few is padded with silence, so the two stay aligned whatever the network does.
/// A value without I/O: `MediaSession` feeds it and ticks it.
struct Recorder {
    /// What to record and when to end on its own.
    struct Settings: Sendable, Equatable {
        var caller: Bool
        var callee: Bool
        var maxFrames: Int
        /// Quiet frames in a row that end it; 0: never.
        var silenceFrames: Int

        init(caller: Bool, callee: Bool, maxFrames: Int, silenceFrames: Int) {
            self.caller = caller
            self.callee = callee
            self.maxFrames = maxFrames
            self.silenceFrames = silenceFrames
        }

        /// A call's tap: both parties, until the call ends (at most 12 hours), never ended by silence.
        static let tap = Settings(caller: true, callee: true, maxFrames: 12 * 3600 * Recorder.framesPerSecond, silenceFrames: 0)

        /// A record command's, its limits kept to 1–3600 s and 0–3600 s.
        init(_ command: CallRecordAudio) {
            caller = command.direction != .callee
            callee = command.direction != .caller
            maxFrames = min(max(command.maxSeconds, 1), 3600) * Recorder.framesPerSecond
            silenceFrames = min(max(command.silenceSeconds, 0), 3600) * Recorder.framesPerSecond
        }
    }

    /// Why a recording wants to end by itself.
    enum Limit: Sendable, Equatable {
        case maxLength, silence

        var reason: CallRecordFinished.Reason { self == .maxLength ? .maxLength : .silence }
    }

    /// A chunk as the recording cut it; the call adds the envelope's fields.
    struct Chunk: Sendable, Equatable {
        var sequence: Int
        var audio: [UInt8]
        var final: Bool
    }

    struct Summary: Sendable, Equatable {
        var frames: Int
        var chunks: Int
        var durationMs: Int { frames * Recorder.frameSamples * 1000 / 8000 }
    }

    static let frameSamples = 160
    static let framesPerSecond = 50
    /// A second of stereo µ-law.
    static let chunkBytes = 2 * frameSamples * framesPerSecond
    /// Audio queued beyond this (a source faster than the clock, or a burst) drops its oldest.
    static let queueLimit = 10 * frameSamples

    let settings: Settings
    private(set) var frames = 0
    private(set) var chunks = 0
    private var queued: (caller: [Int16], callee: [Int16]) = ([], [])
    private var current: [UInt8] = []
    private var quietFrames = 0

    init(_ settings: Settings) {
        self.settings = settings
        current.reserveCapacity(Self.chunkBytes)
    }

    /// Audio of one direction, as it arrives; a direction not recorded is ignored.
    mutating func hear<Samples: Sequence<Int16>>(_ samples: Samples, from party: Party) {
        switch party {
        case .caller where settings.caller: Self.enqueue(samples, into: &queued.caller)
        case .callee where settings.callee: Self.enqueue(samples, into: &queued.callee)
        default: break
        }
    }

    /// The next 20 ms: a full chunk when this frame starts a new one, and a limit the moment it is
    /// reached. At the maximum length it records nothing more (the call stops it).
    mutating func frame() -> (chunk: Chunk?, limit: Limit?) {
        guard frames < settings.maxFrames else { return (nil, nil) }
        let left = settings.caller ? Self.take(from: &queued.caller) : Self.silence
        let right = settings.callee ? Self.take(from: &queued.callee) : Self.silence
        var chunk: Chunk?
        if current.count == Self.chunkBytes {
            chunk = Chunk(sequence: chunks, audio: current, final: false)
            chunks += 1
            current.removeAll(keepingCapacity: true)
        }
        for index in 0..<Self.frameSamples {
            current.append(G711.encodeULaw(left[index]))
            current.append(G711.encodeULaw(right[index]))
        }
        frames += 1
        let quiet = (!settings.caller || Silence.isQuiet(left)) && (!settings.callee || Silence.isQuiet(right))
        quietFrames = quiet ? quietFrames + 1 : 0
        if frames == settings.maxFrames { return (chunk, .maxLength) }
        if settings.silenceFrames > 0 && quietFrames == settings.silenceFrames { return (chunk, .silence) }
        return (chunk, nil)
    }

    /// The last chunk (empty when nothing was recorded since the previous one), and what was made.
    mutating func finish() -> (chunk: Chunk, summary: Summary) {
        let chunk = Chunk(sequence: chunks, audio: current, final: true)
        chunks += 1
        current = []
        return (chunk, Summary(frames: frames, chunks: chunks))
    }

    private static let silence = [Int16](repeating: 0, count: frameSamples)

    private static func enqueue<Samples: Sequence<Int16>>(_ samples: Samples, into queue: inout [Int16]) {
        queue.append(contentsOf: samples)
        if queue.count > queueLimit { queue.removeFirst(queue.count - queueLimit) }
    }

    private static func take(from queue: inout [Int16]) -> [Int16] {
        let count = min(queue.count, frameSamples)
        var frame = Array(queue.prefix(count))
        queue.removeFirst(count)
        frame += repeatElement(0, count: frameSamples - count)
        return frame
    }
}
