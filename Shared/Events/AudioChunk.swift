import Foundation

/// A message whose Kafka value is raw bytes and whose envelope fields travel as Kafka headers
/// (DESIGN §7: base64 in a JSON envelope would add a third to the largest topic). The catalogue
/// lists these beside the JSON events.
package protocol BinaryEventPayload: Sendable {
    associatedtype Header: RawRepresentable<String>, CaseIterable
    static var type: String { get }
    static var version: Int { get }
    static var topic: Topic { get }
    static var summary: String { get }
    /// What the value's bytes are.
    static var valueDescription: String { get }
    static var example: Self { get }
    /// What a header means, for the catalogue.
    static func meaning(of header: Header) -> String
    /// The text of a header of this message.
    func value(of header: Header) -> String
}

/// How a chunk's audio bytes are laid out.
package enum AudioCodec: String, Codable, Sendable, Hashable {
    /// G.711 µ-law, 8 kHz, two channels interleaved sample by sample, caller (left) first, then
    /// callee (right): 16,000 bytes a second. The format of the calls themselves, so a PCMU call
    /// is recorded without loss, at half the bytes of 16-bit linear.
    case pcmuStereo = "pcmu-stereo"
}

/// About one second of a recording (DESIGN §7), binary on `media.audio`: the audio is the Kafka
/// value, the envelope's fields and the chunk's are Kafka headers, the key is the recording id.
/// Sequence numbers count from 0 without gaps; the last chunk has `final` (and may be short; it is
/// empty only when the recording was stopped before its first 20 ms).
package struct AudioChunk: BinaryEventPayload, Equatable {
    package static let type = "media.audio-chunk"
    package static let version = 1
    package static let topic = Topic.mediaAudio
    package static let summary = "About one second of a recording (stereo: caller left, callee right), in order from sequence 0; the last has final = true."
    package static let valueDescription = "The audio as the `codec` header names it: `pcmu-stereo` is G.711 µ-law at 8 kHz, two channels interleaved sample by sample (caller left first, callee right), 16,000 bytes a second."
    package static let example = AudioChunk(tenant: "demo", callId: "0-1f3a9c", recordingId: "0-1f3a9c-r1", sequence: 0, codec: .pcmuStereo,
                                            final: false, audio: [0xFF, 0xFF, 0x7F, 0x7F],
                                            id: UUID(uuidString: "6f1c2a4e-8b1d-4c6e-9a57-3e2f1d0c9b8a")!,
                                            time: Date(timeIntervalSince1970: 1_795_000_000))

    /// The Kafka headers, all UTF-8 text.
    package enum Header: String, CaseIterable, Sendable {
        case id, type, version, time, tenant, callId, recordingId, sequence, codec, final
    }

    package var id: UUID
    package var time: Date
    package var tenant: String
    package var callId: String
    package var recordingId: String
    package var sequence: Int
    package var codec: AudioCodec
    package var final: Bool
    package var audio: [UInt8]

    package init(tenant: String, callId: String, recordingId: String, sequence: Int, codec: AudioCodec, final: Bool, audio: [UInt8],
                 id: UUID = UUID(), time: Date = Date()) {
        self.id = id
        self.time = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded() / 1000)
        self.tenant = tenant
        self.callId = callId
        self.recordingId = recordingId
        self.sequence = sequence
        self.codec = codec
        self.final = final
        self.audio = audio
    }

    /// Reads a chunk back from its headers (by name) and value.
    /// - Throws: `EventError` when the type is another, or a header is missing or malformed.
    package init(headers: [String: String], audio: [UInt8]) throws(EventError) {
        func header(_ name: Header) throws(EventError) -> String {
            guard let value = headers[name.rawValue] else { throw EventError(message: "\(Self.type) without the \(name.rawValue) header") }
            return value
        }
        func malformed(_ name: Header) -> EventError {
            EventError(message: "\(Self.type) with a malformed \(name.rawValue) header: \(headers[name.rawValue] ?? "")")
        }
        guard try header(.type) == Self.type else { throw EventError(message: "expected \(Self.type), got \(headers["type"] ?? "")") }
        guard let version = Int(try header(.version)), version == Self.version else { throw malformed(.version) }
        guard let id = UUID(uuidString: try header(.id)) else { throw malformed(.id) }
        guard let time = EventCoding.parseTime(try header(.time)) else { throw malformed(.time) }
        guard let sequence = Int(try header(.sequence)), sequence >= 0 else { throw malformed(.sequence) }
        guard let codec = AudioCodec(rawValue: try header(.codec)) else { throw malformed(.codec) }
        guard let final = Bool(try header(.final)) else { throw malformed(.final) }
        self.init(tenant: try header(.tenant), callId: try header(.callId), recordingId: try header(.recordingId), sequence: sequence,
                  codec: codec, final: final, audio: audio, id: id, time: time)
    }

    package func value(of header: Header) -> String {
        switch header {
        case .id: id.uuidString
        case .type: Self.type
        case .version: String(Self.version)
        case .time: EventCoding.formatTime(time)
        case .tenant: tenant
        case .callId: callId
        case .recordingId: recordingId
        case .sequence: String(sequence)
        case .codec: codec.rawValue
        case .final: String(final)
        }
    }

    package static func meaning(of header: Header) -> String {
        switch header {
        case .id: "Unique per message, for idempotent consumers"
        case .type: "The message type, as an envelope names it"
        case .version: "The chunk format's version"
        case .time: "When the edge cut the chunk (ISO 8601, milliseconds, UTC)"
        case .tenant: "The tenant slug"
        case .callId: "The call recorded"
        case .recordingId: "The recording (also the Kafka key)"
        case .sequence: "0, 1, 2, … without gaps"
        case .codec: "How the value is encoded (`pcmu-stereo`)"
        case .final: "`true` on the recording's last chunk, else `false`"
        }
    }
}
