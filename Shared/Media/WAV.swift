/// RIFF/WAVE audio as the media store keeps prompts: 8 kHz mono, 16-bit linear PCM (what the
/// converter writes), or G.711 µ-law / A-law. Anything else is refused, so the edge never plays
/// audio at the wrong speed.
package enum WAV {
    package struct FormatError: Error, CustomStringConvertible, Sendable, Equatable {
        package let description: String
        init(_ description: String) { self.description = description }
    }

    /// The samples of an 8 kHz mono WAV file.
    package static func samples(_ bytes: [UInt8]) throws(FormatError) -> [Int16] {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw FormatError("not a RIFF/WAVE file")
        }
        var offset = 12
        var format: (code: UInt16, channels: UInt16, rate: UInt32, bits: UInt16)?
        while offset + 8 <= bytes.count {
            let id = bytes[offset..<offset + 4]
            let size = Int(littleEndian32(bytes, at: offset + 4))
            let body = offset + 8
            guard size >= 0, body + size <= bytes.count || id.elementsEqual("data".utf8) else { throw FormatError("chunk larger than the file") }
            if id.elementsEqual("fmt ".utf8) {
                guard size >= 16 else { throw FormatError("fmt chunk too short") }
                format = (littleEndian16(bytes, at: body), littleEndian16(bytes, at: body + 2), littleEndian32(bytes, at: body + 4),
                          littleEndian16(bytes, at: body + 14))
            } else if id.elementsEqual("data".utf8) {
                guard let format else { throw FormatError("data before fmt") }
                guard format.channels == 1, format.rate == 8000 else {
                    throw FormatError("\(format.rate) Hz, \(format.channels) channels: prompts are 8 kHz mono")
                }
                let data = bytes[body..<min(body + size, bytes.count)]
                switch (format.code, format.bits) {
                case (1, 16):
                    return stride(from: data.startIndex, to: data.endIndex - 1, by: 2).map {
                        Int16(bitPattern: UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8)
                    }
                case (7, 8): return data.map { G711.ulawToLinear[Int($0)] }
                case (6, 8): return data.map { G711.alawToLinear[Int($0)] }
                default: throw FormatError("format \(format.code) with \(format.bits) bits: prompts are 16-bit PCM, µ-law or A-law")
                }
            }
            offset = body + size + (size & 1)
        }
        throw FormatError("no data chunk")
    }

    /// An 8 kHz 16-bit PCM file of `samples` (interleaved when there are two channels: a call
    /// recording's caller left, callee right).
    package static func file(_ samples: [Int16], channels: Int = 1) -> [UInt8] {
        header(samples: samples.count, channels: channels) + pcm(samples)
    }

    /// What comes before the samples of a file of `count` samples (all channels'), which `pcm`
    /// gives: a long recording is written as it is decoded.
    package static func header(samples count: Int, channels: Int) -> [UInt8] {
        let dataSize = UInt32(count * 2)
        let channels = UInt16(channels)
        var out = Array("RIFF".utf8) + bytes32(36 + dataSize) + Array("WAVEfmt ".utf8)
        out += bytes32(16) + bytes16(1) + bytes16(channels) + bytes32(8000) + bytes32(16_000 * UInt32(channels)) + bytes16(2 * channels)
            + bytes16(16)
        return out + Array("data".utf8) + bytes32(dataSize)
    }

    /// 16-bit little-endian samples.
    package static func pcm(_ samples: some Collection<Int16>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(samples.count * 2)
        for sample in samples {
            let value = UInt16(bitPattern: sample)
            out += [UInt8(value & 0xFF), UInt8(value >> 8)]
        }
        return out
    }

    /// The length of `header`.
    package static let headerLength = 44

    private static func littleEndian16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func littleEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    private static func bytes16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func bytes32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
}
