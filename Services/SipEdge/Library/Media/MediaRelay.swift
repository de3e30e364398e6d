import Events
import Logging
import Media
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// How one leg of a call exchanges audio: the format it was given in SDP and the telephone-event
/// payload type it uses (nil when it did not offer RFC 4733).
struct LegFormat: Sendable, Equatable {
    var audioPayloadType: UInt8
    var telephoneEvent: UInt8?
}

/// The anchored media of one call: a local RTP socket per leg (DESIGN §6). Packets from one leg go
/// to the other, with the payload type rewritten and G.711 transcoded where the legs differ, and
/// RFC 4733 events passed through. Each leg sends to the address its SDP named until the first
/// packet arrives from the device, then to that packet's source (symmetric RTP, so devices behind
/// NAT are reached), and from then on accepts packets from that source only: anything else sent to
/// the port is dropped and counted, never relayed (RTP bleed and hijack). A new SDP address
/// (re-INVITE) opens latching again. All state lives on one event loop, so the hot path takes no lock.
final class MediaSession: @unchecked Sendable {
    struct Leg {
        var channel: Channel
        var localPort: Int
        var format: LegFormat?
        /// The address the leg's SDP named; a new one opens latching again.
        var signalled: SocketAddress?
        /// Where the leg's audio goes: the signalled address, then the latched source.
        var remote: SocketAddress?
        var latched = false
        var packetsIn = 0
        var packetsOut = 0
        /// Packets from another source than the latched one, dropped.
        var foreign = 0
        var lastPacket: NIODeadline?
    }

    /// What a leg has done so far.
    struct LegActivity: Sendable {
        var last: NIODeadline?
        var packetsIn: Int
        var packetsOut: Int
        var foreign: Int
    }

    /// Audio the edge sends to the caller in place of the callee's: prompts and tones, 20 ms a packet.
    /// A notice goes to both parties, who do not hear each other meanwhile.
    struct Playback {
        var samples: [Int16]
        var position = 0
        let loop: Bool
        var toBoth = false
        let ssrc = UInt32.random(in: 1...UInt32.max)
        var sequence = UInt16.random(in: 0...UInt16.max)
        var timestamp = UInt32.random(in: 0...UInt32.max)
        var first = true
        var task: RepeatedTask?
        let onEnd: @Sendable () -> Void
    }

    /// The recording being made, a frame every 20 ms of the session's clock.
    struct Recording {
        var recorder: Recorder
        let started: NIODeadline
        var task: RepeatedTask?
        let onChunk: @Sendable (Recorder.Chunk) -> Void
        let onLimit: @Sendable (Recorder.Limit) -> Void
    }

    private let eventLoop: EventLoop
    // Confined to `eventLoop`.
    private var legs: [Leg]
    private var playback: Playback?
    private var recording: Recording?
    /// Told of each key the caller presses (RFC 4733 or in-band), once keys matter (an application).
    private var onKey: (@Sendable (DTMFKey, DTMFSource) -> Void)?
    private var inBand = InBandDTMFDetector()
    /// The RTP timestamp of the caller's last RFC 4733 event: its retransmissions share it.
    private var lastEventTimestamp: UInt32?
    /// When it came: tones in the audio this close to an RFC 4733 event are that event leaking.
    private var lastEventAt: NIODeadline?

    /// The local RTP ports of leg 0 (the caller's) and leg 1 (the callee's).
    let localPorts: (Int, Int)

    private init(eventLoop: EventLoop, legs: [Leg]) {
        self.eventLoop = eventLoop
        self.legs = legs
        localPorts = (legs[0].localPort, legs[1].localPort)
    }

    /// Opens the two sockets on ports from `ports`.
    static func open(host: String, ports: RTPPortAllocator) async throws -> MediaSession {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let relay = RelayHandlerBox()
        var legs: [Leg] = []
        do {
            for index in 0..<2 {
                let (channel, port) = try await ports.bind(host: host, eventLoop: eventLoop) {
                    RTPLegHandler(leg: index, box: relay)
                }
                legs.append(Leg(channel: channel, localPort: port))
            }
        } catch {
            for leg in legs { try? await leg.channel.close() }
            throw error
        }
        let session = MediaSession(eventLoop: eventLoop, legs: legs)
        relay.session = session
        MediaMetrics.sessions.increment()
        return session
    }

    /// Sets where a leg's audio goes (from its SDP) and in which format; in effect when it returns.
    /// An address other than the one signalled before (a re-INVITE that moves the stream) opens
    /// latching again; the same address (hold, resume) keeps the latched source.
    func configure(leg index: Int, remote: SocketAddress?, format: LegFormat) async {
        try? await eventLoop.submit {
            self.legs[index].format = format
            if self.legs[index].signalled != remote || !self.legs[index].latched {
                self.legs[index].signalled = remote
                self.legs[index].remote = remote
                self.legs[index].latched = false
            }
        }.get()
    }

    /// When each leg last sent a packet, how many each received and sent, and how many came from a
    /// foreign source.
    func activity() async -> [LegActivity] {
        (try? await eventLoop.submit {
            self.legs.map { LegActivity(last: $0.lastPacket, packetsIn: $0.packetsIn, packetsOut: $0.packetsOut, foreign: $0.foreign) }
        }.get()) ?? []
    }

    /// Reports the caller's keys from now on.
    func listenForKeys(_ onKey: @escaping @Sendable (DTMFKey, DTMFSource) -> Void) async {
        try? await eventLoop.submit { self.onKey = onKey }.get()
    }

    /// Plays 8 kHz linear audio to the caller instead of relaying the callee; `onEnd` is called
    /// when it has all been sent (never when looped, nor when stopped or replaced).
    func play(_ samples: [Int16], loop: Bool, toBoth: Bool = false, onEnd: @escaping @Sendable () -> Void) async {
        try? await eventLoop.submit {
            self.stopPlaying()
            self.playback = Playback(samples: samples, loop: loop, toBoth: toBoth, onEnd: onEnd)
            self.playback?.task = self.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(20)) { _ in
                self.sendPlaybackFrame()
            }
        }.get()
    }

    /// Stops the playback; the callee is relayed to the caller again.
    func stop() async {
        try? await eventLoop.submit { self.stopPlaying() }.get()
    }

    private func stopPlaying() {
        playback?.task?.cancel()
        playback = nil
    }

    /// Records what the caller sends and what the caller hears, from now until `stopRecording`.
    /// `onChunk` gets each chunk on the session's loop and must not block; `onLimit` is told when
    /// the maximum length or the silence of `settings` is reached (the recording goes on until stopped).
    func startRecording(_ settings: Recorder.Settings, onChunk: @escaping @Sendable (Recorder.Chunk) -> Void,
                        onLimit: @escaping @Sendable (Recorder.Limit) -> Void) async {
        try? await eventLoop.submit {
            _ = self.finishRecording()
            self.recording = Recording(recorder: Recorder(settings), started: .now(), onChunk: onChunk, onLimit: onLimit)
            self.recording?.task = self.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { _ in
                self.recordFrames()
            }
            MediaMetrics.recordingsStarted.increment()
        }.get()
    }

    /// Ends the recording with its final chunk (through `onChunk`, before this returns); nil when
    /// there was none.
    func stopRecording() async -> Recorder.Summary? {
        (try? await eventLoop.submit { self.finishRecording() }.get()) ?? nil
    }

    /// The frames due by now: the clock is the time since the start, not the count of ticks, which
    /// come late under load.
    private func recordFrames() {
        guard var current = recording else { return }
        recording = nil  // so the recorder's buffers are not copied when it changes
        defer { recording = current }
        let due = Int((NIODeadline.now() - current.started).nanoseconds / 20_000_000)
        while current.recorder.frames < min(due, current.recorder.settings.maxFrames) {
            let (chunk, limit) = current.recorder.frame()
            if let chunk { current.onChunk(chunk) }
            if let limit { current.onLimit(limit) }
        }
    }

    private func finishRecording() -> Recorder.Summary? {
        recordFrames()
        guard var current = recording else { return nil }
        recording = nil
        current.task?.cancel()
        let (chunk, summary) = current.recorder.finish()
        current.onChunk(chunk)
        return summary
    }

    /// A packet's G.711 audio, for the recording, as `party`'s.
    private func record(_ buffer: ByteBuffer, header: RTPHeader, from party: Party) {
        guard recording != nil, header.payloadType == 0 || header.payloadType == 8 else { return }
        let table = header.payloadType == 0 ? G711.ulawToLinear : G711.alawToLinear
        let payload = buffer.readableBytesView.dropFirst(header.payloadOffset).dropLast(header.padding)
        recording?.recorder.hear(payload.lazy.map { table[Int($0)] }, from: party)
    }

    /// One 20 ms packet of the playback to the caller, in the caller's format.
    private func sendPlaybackFrame() {
        guard var current = playback else { return }
        let frame = 160
        if current.position >= current.samples.count {
            if current.loop && !current.samples.isEmpty {
                current.position = 0
            } else {
                stopPlaying()
                current.onEnd()
                return
            }
        }
        let end = min(current.position + frame, current.samples.count)
        var samples = Array(current.samples[current.position..<end])
        samples += repeatElement(0, count: frame - samples.count)
        current.position = end
        for index in current.toBoth ? [0, 1] : [0] {
            guard let format = legs[index].format, let destination = legs[index].remote else { continue }
            let payloadType: UInt8 = format.audioPayloadType == 8 ? 8 : 0
            var packet = RTPHeader.make(payloadType: payloadType, marker: current.first, sequenceNumber: current.sequence,
                                        timestamp: current.timestamp, ssrc: current.ssrc)
            packet += samples.map { payloadType == 8 ? G711.encodeALaw($0) : G711.encodeULaw($0) }
            legs[index].packetsOut += 1
            legs[index].channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(bytes: packet)), promise: nil)
        }
        recording?.recorder.hear(samples, from: .callee)  // what the caller hears in place of a callee
        current.first = false
        current.sequence &+= 1
        current.timestamp &+= UInt32(frame)
        playback = current
    }

    /// Keys in a packet from the caller: an RFC 4733 event once per event (its packets share a
    /// timestamp), or DTMF tones in the audio.
    private func detectKeys(_ buffer: ByteBuffer, header: RTPHeader, format: LegFormat?) {
        guard let onKey else { return }
        let payload = buffer.readableBytesView.dropFirst(header.payloadOffset).dropLast(header.padding)
        if header.payloadType == format?.telephoneEvent {
            guard header.timestamp != lastEventTimestamp, let event = TelephoneEvent(payload: payload) else { return }
            lastEventTimestamp = header.timestamp
            lastEventAt = NIODeadline.now()
            if let key = DTMFKey(eventCode: event.event) { onKey(key, .rfc4733) }
        } else if header.payloadType == 0 || header.payloadType == 8 {
            let table = header.payloadType == 0 ? G711.ulawToLinear : G711.alawToLinear
            let keys = inBand.feed(payload.lazy.map { table[Int($0)] })
            guard !keys.isEmpty, lastEventAt.map({ NIODeadline.now() - $0 >= .seconds(2) }) ?? true else { return }
            for key in keys { onKey(key, .inband) }
        }
    }

    func close() async {
        try? await eventLoop.submit {
            self.stopPlaying()
            self.recording?.task?.cancel()
            self.recording = nil
        }.get()
        for leg in await (try? eventLoop.submit { self.legs }.get()) ?? [] {
            try? await leg.channel.close()
        }
        MediaMetrics.sessions.decrement()
    }

    /// A packet arrived on leg `index` from `source` (on the event loop).
    fileprivate func received(_ envelope: AddressedEnvelope<ByteBuffer>, on index: Int) {
        var buffer = envelope.data
        guard let header = buffer.withUnsafeReadableBytes({ RTPHeader($0.bindMemory(to: UInt8.self)) }) else {
            MediaMetrics.dropped.increment()
            return
        }
        if !legs[index].latched {
            legs[index].remote = envelope.remoteAddress
            legs[index].latched = true
        } else if legs[index].remote != envelope.remoteAddress {
            legs[index].foreign += 1
            MediaMetrics.foreign.increment()
            return
        }
        legs[index].packetsIn += 1
        legs[index].lastPacket = NIODeadline.now()
        if index == 0 {
            detectKeys(buffer, header: header, format: legs[0].format)
            record(buffer, header: header, from: .caller)
        }
        let out = 1 - index
        if out == 0 && playback != nil { return }  // the caller hears the playback
        if out == 1 && playback?.toBoth == true { return }  // and so does the callee
        if out == 0 { record(buffer, header: header, from: .callee) }
        guard let from = legs[index].format, let to = legs[out].format, let destination = legs[out].remote else { return }
        let payloadType: UInt8
        if header.payloadType == from.telephoneEvent {
            guard let event = to.telephoneEvent else { return }
            payloadType = event
        } else if header.payloadType == from.audioPayloadType || header.payloadType == 0 || header.payloadType == 8 {
            payloadType = to.audioPayloadType
            if header.payloadType != payloadType {
                guard let table = Self.transcoding(from: header.payloadType, to: payloadType) else { return }
                let payload = header.payloadOffset..<(buffer.readableBytes - header.padding)
                buffer.withUnsafeMutableReadableBytes { bytes in
                    for offset in payload { bytes[offset] = table[Int(bytes[offset])] }
                }
                MediaMetrics.transcoded.increment()
            }
        } else {
            return  // comfort noise and formats nobody negotiated
        }
        let marker = header.marker ? UInt8(0x80) : 0
        buffer.setInteger(marker | payloadType, at: buffer.readerIndex + 1)
        legs[out].packetsOut += 1
        legs[out].channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: buffer), promise: nil)
    }

    private static func transcoding(from: UInt8, to: UInt8) -> [UInt8]? {
        switch (from, to) {
        case (0, 8): G711.ulawToALaw
        case (8, 0): G711.alawToULaw
        default: nil
        }
    }
}

/// Lets the handlers, made before the session exists, reach it.
private final class RelayHandlerBox: @unchecked Sendable {
    weak var session: MediaSession?
}

private final class RTPLegHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let leg: Int
    let box: RelayHandlerBox

    init(leg: Int, box: RelayHandlerBox) {
        self.leg = leg
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        box.session?.received(unwrapInboundIn(data), on: leg)
    }
}

/// Hands out even local ports from the configured RTP range, skipping ports in use. It starts at
/// a random place in the range, so that edges sharing a host (and a restarted edge, whose old
/// sockets may linger) do not all try the same ports first.
final class RTPPortAllocator: Sendable {
    let range: ClosedRange<Int>
    private let cursor: NIOLockedValueBox<Int>

    init(range: ClosedRange<Int>) {
        self.range = range
        let first = range.lowerBound + (range.lowerBound % 2)
        let evenPorts = max(1, (range.upperBound - first) / 2)
        cursor = NIOLockedValueBox(first + 2 * Int.random(in: 0..<evenPorts))
    }

    private func nextPort() -> Int {
        cursor.withLockedValue { port in
            let chosen = port
            port += 2
            if port > range.upperBound { port = range.lowerBound + (range.lowerBound % 2) }
            return chosen
        }
    }

    func bind(host: String, eventLoop: EventLoop,
              handler: @escaping @Sendable () -> some ChannelHandler & Sendable) async throws -> (Channel, Int) {
        var lastError: (any Error)?
        for _ in 0..<256 {
            let port = nextPort()
            do {
                let channel = try await DatagramBootstrap(group: eventLoop)
                    .channelInitializer { channel in channel.pipeline.addHandler(handler()) }
                    .bind(host: host, port: port).get()
                return (channel, port)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? ChannelError.ioOnClosedChannel
    }
}

enum MediaMetrics {
    static let sessions = Meter(label: "switchboard_media_sessions")
    static let dropped = Counter(label: "switchboard_media_packets_dropped_total")
    /// Packets sent to a latched leg from another address (RTP injection or a stale peer).
    static let foreign = Counter(label: "switchboard_media_packets_foreign_total")
    static let transcoded = Counter(label: "switchboard_media_packets_transcoded_total")
    /// Recordings begun (voicemail messages and greetings, call recordings).
    static let recordingsStarted = Counter(label: "switchboard_media_recordings_started_total")
    /// Chunks of recordings that never reached the broker: the backlog was full, or publishing failed.
    static let chunksLost = Counter(label: "switchboard_media_recording_chunks_lost_total")
}
