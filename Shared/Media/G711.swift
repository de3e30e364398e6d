/// ITU-T G.711 µ-law (PCMU) and A-law (PCMA) with the conversion tables a relay needs: the
/// conversions go through 16-bit linear samples once, when the tables are built, so transcoding a
/// packet is one table lookup per byte.
package enum G711 {
    package static let ulawToLinear: [Int16] = (0..<256).map { decodeULaw(UInt8($0)) }
    package static let alawToLinear: [Int16] = (0..<256).map { decodeALaw(UInt8($0)) }
    package static let ulawToALaw: [UInt8] = (0..<256).map { encodeALaw(decodeULaw(UInt8($0))) }
    package static let alawToULaw: [UInt8] = (0..<256).map { encodeULaw(decodeALaw(UInt8($0))) }

    /// The two channels of interleaved µ-law stereo (left, right, left, …), as 16-bit linear samples:
    /// how a consumer of recorded audio (`pcmu-stereo` chunks) reads it.
    package static func decodeStereoULaw(_ bytes: [UInt8]) -> (left: [Int16], right: [Int16]) {
        var left: [Int16] = [], right: [Int16] = []
        left.reserveCapacity(bytes.count / 2)
        right.reserveCapacity(bytes.count / 2)
        for index in stride(from: 0, to: bytes.count - 1, by: 2) {
            left.append(ulawToLinear[Int(bytes[index])])
            right.append(ulawToLinear[Int(bytes[index + 1])])
        }
        return (left, right)
    }

    private static let bias = 0x84
    private static let clip = 32_635

    package static func encodeULaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample)
        let sign = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        value = min(value, clip) + bias
        var exponent = 7
        var mask = 0x4000
        while exponent > 0 && value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (value >> (exponent + 3)) & 0x0F
        return ~UInt8(sign | (exponent << 4) | mantissa)
    }

    package static func decodeULaw(_ byte: UInt8) -> Int16 {
        let value = Int(~byte)
        let exponent = (value >> 4) & 0x07
        let mantissa = value & 0x0F
        let magnitude = ((mantissa << 3) + bias) << exponent
        return Int16(value & 0x80 != 0 ? bias - magnitude : magnitude - bias)
    }

    package static func encodeALaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample)
        let sign = value >= 0 ? 0x80 : 0
        if value < 0 { value = -value - 1 }
        value = min(value, 32_767)
        let byte: Int
        if value < 256 {
            byte = value >> 4
        } else {
            var exponent = 1
            while exponent < 7 && value >= (256 << exponent) { exponent += 1 }
            byte = (exponent << 4) | ((value >> (exponent + 3)) & 0x0F)
        }
        return UInt8((byte | sign) ^ 0x55)
    }

    package static func decodeALaw(_ byte: UInt8) -> Int16 {
        let value = Int(byte ^ 0x55)
        let exponent = (value >> 4) & 0x07
        let mantissa = value & 0x0F
        var magnitude = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1)
        if value & 0x80 == 0 { magnitude = -magnitude }
        return Int16(magnitude)
    }
}
