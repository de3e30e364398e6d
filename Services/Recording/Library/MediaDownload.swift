import Foundation
import Hummingbird
import Media

/// What `Range: bytes=…` asks of a representation of `length` bytes (RFC 9110 §14.1.2): one range,
/// which a client resuming a download sends. Several ranges, or a header that is not one, are
/// answered with the whole, as the RFC lets a server do.
enum RequestedRange: Equatable {
    case whole
    case part(Range<Int>)
    /// The range starts past the end: 416.
    case unsatisfiable

    init(_ header: String?, length: Int) {
        self = .whole
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return }
        let bounds = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard bounds.count == 2, bounds.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), bounds != ["", ""] else { return }
        if bounds[0].isEmpty {
            // The last n bytes.
            guard let suffix = Int(bounds[1]) else { return }
            self = suffix == 0 || length == 0 ? .unsatisfiable : .part(max(0, length - suffix)..<length)
            return
        }
        guard let start = Int(bounds[0]) else { return }
        guard start < length else {
            self = .unsatisfiable
            return
        }
        if bounds[1].isEmpty {
            self = .part(start..<length)
        } else if let end = Int(bounds[1]), end >= start {
            self = .part(start..<min(end + 1, length))
        }
    }
}

/// Downloads of the media store's objects as they are read: an export of gigabytes or a long
/// recording's WAV is never whole in memory, and a client may resume where it stopped.
enum MediaDownload {
    /// What is read from the store and sent at a time: 16 sealed segments.
    static let pieceBytes = 1 << 20

    /// A stored object (opened), or the `range` of it the request asks for.
    static func object(_ key: ObjectKey, length: Int, contentType: String, store: any ObjectStore, request: Request) -> Response {
        ranged(request, length: length, contentType: contentType) { range in
            ResponseBody(contentLength: range.count) { writer in
                var offset = range.lowerBound
                while offset < range.upperBound {
                    let end = min(offset + pieceBytes, range.upperBound)
                    try await writer.write(ByteBuffer(bytes: try await store.get(key, range: offset..<end)))
                    offset = end
                }
                try await writer.finish(nil)
            }
        }
    }

    /// A call recording (Ogg Opus) as a stereo WAV file, decoded as it is sent. A range is found by
    /// decoding from the start: Opus decodes a hundred times faster than the call lasted.
    static func recordingWAV(_ opus: [UInt8], request: Request) throws -> Response {
        let length = try RecordingWAV(opus: opus).length
        return ranged(request, length: length, contentType: "audio/wav") { range in
            ResponseBody(contentLength: range.count) { writer in
                let wav = try RecordingWAV(opus: opus)
                try wav.skip(range.lowerBound)
                var left = range.count
                while left > 0 {
                    let bytes = try wav.read(min(left, pieceBytes))
                    guard !bytes.isEmpty else { break }
                    try await writer.write(ByteBuffer(bytes: bytes))
                    left -= bytes.count
                }
                try await writer.finish(nil)
            }
        }
    }

    private static func ranged(_ request: Request, length: Int, contentType: String, body: (Range<Int>) -> ResponseBody) -> Response {
        switch RequestedRange(request.headers[.range], length: length) {
        case .unsatisfiable:
            Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(length)", .acceptRanges: "bytes"])
        case .whole:
            Response(status: .ok, headers: [.contentType: contentType, .acceptRanges: "bytes"], body: body(0..<length))
        case .part(let range):
            Response(status: .partialContent,
                     headers: [.contentType: contentType, .acceptRanges: "bytes",
                               .contentRange: "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(length)"],
                     body: body(range))
        }
    }
}

/// A call recording as a stereo WAV file (caller left, callee right), decoded as it is read. Its
/// length is known from the start (the stream's last page gives it); a stream cut short (an
/// incomplete recording) ends in silence to that length.
final class RecordingWAV {
    let length: Int
    private let decoder: OggOpus.Decoder
    private var buffered: [UInt8]
    private var position = 0
    /// Values (samples of all channels) not yet decoded.
    private var owed: Int

    init(opus: [UInt8]) throws {
        decoder = try OggOpus.Decoder(opus)
        owed = decoder.frames * decoder.channels
        buffered = WAV.header(samples: owed, channels: decoder.channels)
        length = WAV.headerLength + owed * 2
    }

    /// Up to `count` of the next bytes; empty at the end.
    func read(_ count: Int) throws -> [UInt8] {
        while buffered.count - position < count, owed > 0 {
            buffered.removeFirst(position)
            position = 0
            let block = try decoder.next() ?? ArraySlice(repeating: 0, count: owed)
            buffered += WAV.pcm(block)
            owed -= block.count
        }
        let bytes = Array(buffered[position..<min(position + count, buffered.count)])
        position += bytes.count
        return bytes
    }

    /// Reads past the next `count` bytes.
    func skip(_ count: Int) throws {
        var left = count
        while left > 0 {
            let bytes = try read(min(left, MediaDownload.pieceBytes))
            guard !bytes.isEmpty else { return }
            left -= bytes.count
        }
    }
}
