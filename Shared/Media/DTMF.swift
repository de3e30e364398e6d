/// A DTMF key: 0–9, *, #, A–D (the sixteen events 0–15 of RFC 4733 §3.2).
package enum DTMFKey: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case zero = 0, one, two, three, four, five, six, seven, eight, nine, star, pound, a, b, c, d

    /// The key of an RFC 4733 event code; nil for the other events (tones, line events).
    package init?(eventCode: UInt8) { self.init(rawValue: eventCode) }

    /// The key a character names: "0"–"9", "*", "#", "A"–"D" (either case).
    package init?(_ character: Character) {
        switch character {
        case "0"..."9":
            guard let value = character.asciiValue else { return nil }
            self.init(rawValue: value - UInt8(ascii: "0"))
        case "*": self = .star
        case "#": self = .pound
        case "A", "a": self = .a
        case "B", "b": self = .b
        case "C", "c": self = .c
        case "D", "d": self = .d
        default: return nil
        }
    }

    package var eventCode: UInt8 { rawValue }

    package var character: Character {
        switch self {
        case .star: "*"
        case .pound: "#"
        case .a: "A"
        case .b: "B"
        case .c: "C"
        case .d: "D"
        default: Character(Unicode.Scalar(UInt8(ascii: "0") + rawValue))
        }
    }

    package var description: String { String(character) }
}

/// One RFC 4733 §2.3 telephone-event payload: the event, whether it ended, its volume and how long
/// it has lasted so far (in timestamp units, 8 kHz). Only the first 4-byte block is read: the
/// others of a packet are redundant copies (RFC 4733 §2.5.1.1) or RFC 2198 payloads.
package struct TelephoneEvent: Sendable, Equatable {
    package var event: UInt8
    package var isEnd: Bool
    /// Power level in dBm0 below zero, 0–63.
    package var volume: UInt8
    package var duration: UInt16

    package init(event: UInt8, isEnd: Bool, volume: UInt8, duration: UInt16) {
        self.event = event
        self.isEnd = isEnd
        self.volume = volume & 0x3F
        self.duration = duration
    }

    /// nil for a payload shorter than one event block.
    package init?<Bytes: Collection>(payload: Bytes) where Bytes.Element == UInt8 {
        var bytes = payload.makeIterator()
        guard let event = bytes.next(), let flags = bytes.next(), let high = bytes.next(), let low = bytes.next() else { return nil }
        self.init(event: event, isEnd: flags & 0x80 != 0, volume: flags & 0x3F, duration: UInt16(high) << 8 | UInt16(low))
    }

    /// The key, when the event is a DTMF digit.
    package var key: DTMFKey? { DTMFKey(eventCode: event) }

    package var serialized: [UInt8] {
        [event, (isEnd ? 0x80 : 0) | volume, UInt8(duration >> 8), UInt8(duration & 0xFF)]
    }
}
