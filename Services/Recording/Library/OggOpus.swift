import COpus

/// The archive format of call recordings (DESIGN §7): Ogg Opus (RFC 7845) through Debian's
/// libopusenc, two channels at 8 kHz input, 20 kbit/s (10 per party): under a tenth of a stereo WAV, and speech
/// stays clear. The two parties are two uncoupled mono streams (channel mapping family 255): a
/// coupled stereo stream at this rate folds the channels together, and a recording must keep who
/// said what apart. Decoding (for a WAV on download, and for tests) parses the Ogg pages here and
/// hands each packet to libopus.
package enum OggOpus {
    package enum Failure: Error, CustomStringConvertible {
        case encoder(String)
        case malformed(String)

        package var description: String {
            switch self {
            case .encoder(let reason): "Ogg Opus encoder: \(reason)"
            case .malformed(let reason): "not an Ogg Opus stream: \(reason)"
            }
        }
    }

    static let sampleRate: Int32 = 8_000
    static let bitsPerSecond: Int32 = 20_000
    /// Family 255: each channel its own stream, in order.
    private static let mappingFamily: Int32 = 255

    /// Interleaved stereo (left, right, left, …) at 8 kHz as one Ogg Opus stream.
    package static func encode(interleaved samples: [Int16]) throws -> [UInt8] {
        let channels: Int32 = 2
        var error: Int32 = 0
        guard let comments = ope_comments_create() else { throw Failure.encoder("no memory for comments") }
        defer { ope_comments_destroy(comments) }
        ope_comments_add(comments, "ENCODER", "switchboard")
        // Family -1: the mapping is set next.
        guard let encoder = ope_encoder_create_pull(comments, sampleRate, channels, -1, &error) else {
            throw Failure.encoder(String(cString: ope_strerror(error)))
        }
        defer { ope_encoder_destroy(encoder) }
        let mapping: [UInt8] = [0, 1]
        let mapped = ope_encoder_deferred_init_with_mapping(encoder, mappingFamily, channels, 0, mapping)
        guard mapped == OPE_OK else { throw Failure.encoder(String(cString: ope_strerror(mapped))) }
        _ = copus_set_bitrate(encoder, bitsPerSecond)
        _ = copus_set_voice(encoder)
        var output: [UInt8] = []
        output.reserveCapacity(samples.count / 2 * Int(bitsPerSecond) / 8 / Int(sampleRate) + 4096)
        func takePages(flush: Bool) {
            var page: UnsafeMutablePointer<UInt8>?
            var length: Int32 = 0
            while ope_encoder_get_page(encoder, &page, &length, flush ? 1 : 0) != 0, let page {
                output.append(contentsOf: UnsafeBufferPointer(start: page, count: Int(length)))
            }
        }
        // A second at a time, so the pages leave the encoder as they fill.
        let block = Int(sampleRate) * Int(channels)
        var start = 0
        while start < samples.count {
            let end = min(start + block, samples.count)
            let status = samples[start..<end].withUnsafeBufferPointer {
                ope_encoder_write(encoder, $0.baseAddress, Int32($0.count) / channels)
            }
            guard status == OPE_OK else { throw Failure.encoder(String(cString: ope_strerror(status))) }
            takePages(flush: false)
            start = end
        }
        guard ope_encoder_drain(encoder) == OPE_OK else { throw Failure.encoder("drain failed") }
        takePages(flush: true)
        return output
    }

    /// The stream's audio at 8 kHz, interleaved by channel, with the encoder's pre-skip removed and
    /// cut to the length its last page gives.
    package static func decode(_ bytes: [UInt8]) throws -> (channels: Int, samples: [Int16]) {
        let packets = try Self.packets(in: bytes)
        guard let head = packets.packets.first, head.count >= 19, Array(head.prefix(8)) == Array("OpusHead".utf8) else {
            throw Failure.malformed("no OpusHead")
        }
        let channels = Int(head[9])
        guard channels == 1 || channels == 2 else { throw Failure.malformed("\(channels) channels") }
        // RFC 7845: pre-skip and granule positions count 48 kHz samples.
        let preSkip = (Int(head[10]) | Int(head[11]) << 8) / 6
        // Family 0 is one stream, coupled when stereo; others name their streams and mapping.
        let (streams, coupled, mapping): (Int32, Int32, [UInt8])
        if head[18] == 0 {
            (streams, coupled, mapping) = (1, channels == 2 ? 1 : 0, Array(0..<UInt8(channels)))
        } else {
            guard head.count >= 21 + channels else { throw Failure.malformed("OpusHead lacks its mapping") }
            (streams, coupled, mapping) = (Int32(head[19]), Int32(head[20]), Array(head[21..<(21 + channels)]))
        }
        var error: Int32 = 0
        guard let decoder = opus_multistream_decoder_create(sampleRate, Int32(channels), streams, coupled, mapping, &error) else {
            throw Failure.malformed("decoder: \(error)")
        }
        defer { opus_multistream_decoder_destroy(decoder) }
        var samples: [Int16] = []
        var frame = [Int16](repeating: 0, count: 960 * channels)  // 120 ms at 8 kHz, the longest packet
        for packet in packets.packets.dropFirst(2) {
            let count = packet.withUnsafeBufferPointer { data in
                frame.withUnsafeMutableBufferPointer { pcm in
                    opus_multistream_decode(decoder, data.baseAddress, Int32(data.count), pcm.baseAddress!, 960, 0)
                }
            }
            guard count >= 0 else { throw Failure.malformed("a packet does not decode (\(count))") }
            samples += frame[0..<(Int(count) * channels)]
        }
        let total = max(0, packets.lastGranule / 6 - preSkip) * channels
        let audio = samples.dropFirst(preSkip * channels).prefix(total)
        return (channels, Array(audio))
    }

    /// The stream's packets in order (one logical stream), and the granule position of its last page.
    private static func packets(in bytes: [UInt8]) throws -> (packets: [[UInt8]], lastGranule: Int) {
        var packets: [[UInt8]] = []
        var current: [UInt8] = []
        var granule = 0
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 27, Array(bytes[offset..<offset + 4]) == Array("OggS".utf8) else {
                throw Failure.malformed("no page at byte \(offset)")
            }
            let segments = Int(bytes[offset + 26])
            guard bytes.count - offset >= 27 + segments else { throw Failure.malformed("a page's segment table is cut") }
            let lacing = bytes[(offset + 27)..<(offset + 27 + segments)]
            var position = offset + 27 + segments
            guard bytes.count - position >= lacing.reduce(0, { $0 + Int($1) }) else { throw Failure.malformed("a page is cut") }
            for length in lacing {
                current += bytes[position..<position + Int(length)]
                position += Int(length)
                if length < 255 {
                    packets.append(current)
                    current = []
                }
            }
            let pageGranule = (0..<8).reduce(0) { $0 | Int(bytes[offset + 6 + $1]) << (8 * $1) }
            if pageGranule >= 0 { granule = pageGranule }
            offset = position
        }
        return (packets, granule)
    }
}
