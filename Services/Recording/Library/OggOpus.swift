import COpus

/// The archive format of call recordings (DESIGN §7): Ogg Opus (RFC 7845) through Debian's libopus,
/// two channels at 8 kHz, 20 kbit/s (10 per party): a tenth of a stereo WAV, and speech stays
/// clear. The two parties are two uncoupled mono streams (channel mapping family 255): a coupled
/// stereo stream at this rate folds the channels together, and a recording must keep who said what
/// apart. The encoder runs at the calls' own 8 kHz (libopusenc would resample to 48 kHz first, three
/// times the work) and the Ogg pages are written here; decoding (for a WAV on download, and for
/// tests) parses them and hands each packet to libopus.
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
    /// Speech at this rate gains little from more: a quarter of the default's CPU.
    static let complexity: Int32 = 5
    /// 20 ms, the calls' own packet time.
    static let frameSamples = 160
    /// An Ogg page holds a second of packets.
    static let framesPerPage = 50

    /// Interleaved stereo (left, right, left, …) at 8 kHz as one Ogg Opus stream.
    package static func encode(interleaved samples: [Int16]) throws -> [UInt8] {
        let channels = 2
        var error: Int32 = 0
        let mapping: [UInt8] = [0, 1]
        guard let encoder = opus_multistream_encoder_create(sampleRate, Int32(channels), 2, 0, mapping, OPUS_APPLICATION_VOIP, &error) else {
            throw Failure.encoder(String(cString: opus_strerror(error)))
        }
        defer { opus_multistream_encoder_destroy(encoder) }
        _ = copus_set_bitrate(encoder, bitsPerSecond)
        _ = copus_set_voice(encoder)
        _ = copus_set_complexity(encoder, complexity)
        // RFC 7845 §4.2: pre-skip and granule positions count 48 kHz samples.
        let lookahead = Int(copus_lookahead(encoder))
        let preSkip = lookahead * 6

        var writer = OggWriter(serial: UInt32.random(in: 1...UInt32.max))
        var head = Array("OpusHead".utf8) + [1, UInt8(channels)] + le16(preSkip) + le32(Int(sampleRate)) + le16(0)
        head += [255, 2, 0] + mapping
        writer.page([head], granule: 0, first: true)
        let vendor = Array("switchboard (libopus)".utf8)
        let comment = Array("ENCODER=switchboard".utf8)
        writer.page([Array("OpusTags".utf8) + le32(vendor.count) + vendor + le32(1) + le32(comment.count) + comment], granule: 0)

        let frameValues = frameSamples * channels
        // The encoder's lookahead is still inside it at the end: silence past the audio flushes it.
        let frames = max(1, (samples.count / channels + lookahead + frameSamples - 1) / frameSamples)
        var packets: [[UInt8]] = []
        var packet = [UInt8](repeating: 0, count: 1_500)
        var pcm = [Int16](repeating: 0, count: frameValues)
        for index in 0..<frames {
            let start = index * frameValues
            let chunk = samples[min(start, samples.count)..<min(start + frameValues, samples.count)]
            pcm.replaceSubrange(0..<chunk.count, with: chunk)
            if chunk.count < frameValues { pcm.replaceSubrange(chunk.count..<frameValues, with: repeatElement(0, count: frameValues - chunk.count)) }
            let length = opus_multistream_encode(encoder, pcm, Int32(frameSamples), &packet, Int32(packet.count))
            guard length > 0 else { throw Failure.encoder(String(cString: opus_strerror(length))) }
            packets.append(Array(packet[0..<Int(length)]))
            let last = index == frames - 1
            if packets.count == framesPerPage || last {
                // The last page's granule is the audio's true end: a decoder drops the padding.
                let granule = preSkip + (last ? samples.count / channels : (index + 1) * frameSamples) * 6
                writer.page(packets, granule: granule, last: last)
                packets = []
            }
        }
        return writer.bytes
    }

    private static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)] }
    private static func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }

    /// The stream's audio at 8 kHz, interleaved by channel, with the encoder's pre-skip removed and
    /// cut to the length its last page gives.
    package static func decode(_ bytes: [UInt8]) throws -> (channels: Int, samples: [Int16]) {
        let decoder = try Decoder(bytes)
        var samples: [Int16] = []
        samples.reserveCapacity(decoder.frames * decoder.channels)
        while let block = try decoder.next() { samples += block }
        return (decoder.channels, samples)
    }

    /// A stream's audio a packet at a time: a WAV download or an export writes it as it goes,
    /// without a long call's samples all in memory.
    package final class Decoder {
        package let channels: Int
        /// Samples per channel in the stream.
        package let frames: Int
        private let packets: [[UInt8]]
        private var nextPacket = 2  // after OpusHead and OpusTags
        /// Values (samples of all channels) still to drop: the pre-skip, then still to give.
        private var skip: Int
        private var remaining: Int
        private let decoder: OpaquePointer
        private var frame: [Int16]

        package init(_ bytes: [UInt8]) throws {
            let stream = try OggOpus.packets(in: bytes)
            guard let head = stream.packets.first, head.count >= 19, Array(head.prefix(8)) == Array("OpusHead".utf8) else {
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
            self.decoder = decoder
            self.channels = channels
            packets = stream.packets
            frames = max(0, stream.lastGranule / 6 - preSkip)
            skip = preSkip * channels
            remaining = frames * channels
            frame = [Int16](repeating: 0, count: 960 * channels)  // 120 ms at 8 kHz, the longest packet
        }

        deinit {
            opus_multistream_decoder_destroy(decoder)
        }

        /// The next packet's samples, interleaved (empty while the pre-skip is dropped); nil at the end.
        package func next() throws -> ArraySlice<Int16>? {
            guard remaining > 0, nextPacket < packets.count else { return nil }
            let count = packets[nextPacket].withUnsafeBufferPointer { data in
                frame.withUnsafeMutableBufferPointer { pcm in
                    opus_multistream_decode(decoder, data.baseAddress, Int32(data.count), pcm.baseAddress!, 960, 0)
                }
            }
            guard count >= 0 else { throw Failure.malformed("a packet does not decode (\(count))") }
            nextPacket += 1
            var block = frame[0..<(Int(count) * channels)]
            let dropped = min(skip, block.count)
            block = block.dropFirst(dropped)
            skip -= dropped
            block = block.prefix(remaining)
            remaining -= block.count
            return block
        }
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
            var page = Array(bytes[offset..<position])
            let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(page[22 + $1]) << (8 * UInt32($1)) }
            page.replaceSubrange(22..<26, with: [0, 0, 0, 0])
            guard OggWriter.crc(page) == stored else { throw Failure.malformed("a page's checksum is wrong at byte \(offset)") }
            let pageGranule = (0..<8).reduce(0) { $0 | Int(bytes[offset + 6 + $1]) << (8 * $1) }
            if pageGranule >= 0 { granule = pageGranule }
            offset = position
        }
        return (packets, granule)
    }
}

/// Ogg pages (RFC 3533) of one logical stream, each packet whole within its page.
struct OggWriter {
    let serial: UInt32
    private(set) var bytes: [UInt8] = []
    private var sequence: UInt32 = 0

    init(serial: UInt32) {
        self.serial = serial
    }

    mutating func page(_ packets: [[UInt8]], granule: Int, first: Bool = false, last: Bool = false) {
        var lacing: [UInt8] = []
        for packet in packets {
            lacing += repeatElement(255, count: packet.count / 255)
            lacing.append(UInt8(packet.count % 255))
        }
        var page = Array("OggS".utf8) + [0, (first ? 0x02 : 0) | (last ? 0x04 : 0)]
        page += (0..<8).map { UInt8((UInt64(granule) >> (8 * UInt64($0))) & 0xFF) }
        page += (0..<4).map { UInt8((serial >> (8 * UInt32($0))) & 0xFF) }
        page += (0..<4).map { UInt8((sequence >> (8 * UInt32($0))) & 0xFF) }
        page += [0, 0, 0, 0]  // the CRC, computed with these zero
        page.append(UInt8(lacing.count))
        page += lacing
        for packet in packets { page += packet }
        let crc = Self.crc(page)
        for index in 0..<4 { page[22 + index] = UInt8((crc >> (8 * UInt32(index))) & 0xFF) }
        bytes += page
        sequence += 1
    }

    /// Ogg's CRC-32: polynomial 0x04C11DB7, unreflected, initial value and final XOR 0.
    static func crc(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0
        for byte in bytes { crc = (crc << 8) ^ table[Int(((crc >> 24) ^ UInt32(byte)) & 0xFF)] }
        return crc
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index) << 24
        for _ in 0..<8 { value = value & 0x8000_0000 != 0 ? (value << 1) ^ 0x04C1_1DB7 : value << 1 }
        return value
    }
}
