/// Reading the fixed RTP header (RFC 3550 §5.1) in place: where the payload starts, its type, and
/// the fields a relay looks at. Nothing is copied.
package struct RTPHeader: Sendable, Equatable {
    package var payloadType: UInt8
    package var marker: Bool
    package var sequenceNumber: UInt16
    package var timestamp: UInt32
    package var ssrc: UInt32
    /// Offset of the payload: 12 bytes, the CSRC list and a header extension.
    package var payloadOffset: Int
    /// Padding bytes at the end of the packet.
    package var padding: Int

    /// nil for anything that is not an RTP version 2 packet with a complete header.
    package init?<Bytes: RandomAccessCollection>(_ bytes: Bytes) where Bytes.Element == UInt8, Bytes.Index == Int {
        let start = bytes.startIndex
        guard bytes.count >= 12, bytes[start] >> 6 == 2 else { return nil }
        let csrcCount = Int(bytes[start] & 0x0F)
        var offset = 12 + 4 * csrcCount
        guard bytes.count >= offset else { return nil }
        if bytes[start] & 0x10 != 0 {
            guard bytes.count >= offset + 4 else { return nil }
            let words = Int(bytes[start + offset + 2]) << 8 | Int(bytes[start + offset + 3])
            offset += 4 + 4 * words
            guard bytes.count >= offset else { return nil }
        }
        padding = bytes[start] & 0x20 != 0 ? Int(bytes[bytes.endIndex - 1]) : 0
        guard offset + padding <= bytes.count else { return nil }
        payloadType = bytes[start + 1] & 0x7F
        // RTCP packet types 200–204 land on 72–76 here when both share a port (RFC 5761 §4).
        guard !(72...76).contains(payloadType) else { return nil }
        marker = bytes[start + 1] & 0x80 != 0
        sequenceNumber = UInt16(bytes[start + 2]) << 8 | UInt16(bytes[start + 3])
        timestamp = UInt32(bytes[start + 4]) << 24 | UInt32(bytes[start + 5]) << 16 | UInt32(bytes[start + 6]) << 8 | UInt32(bytes[start + 7])
        ssrc = UInt32(bytes[start + 8]) << 24 | UInt32(bytes[start + 9]) << 16 | UInt32(bytes[start + 10]) << 8 | UInt32(bytes[start + 11])
        payloadOffset = offset
    }

    /// A minimal header (no CSRC, no extension) for packets the edge makes itself.
    package static func make(payloadType: UInt8, marker: Bool = false, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) -> [UInt8] {
        [0x80, (marker ? 0x80 : 0) | payloadType,
         UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF),
         UInt8(timestamp >> 24), UInt8((timestamp >> 16) & 0xFF), UInt8((timestamp >> 8) & 0xFF), UInt8(timestamp & 0xFF),
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
    }
}
