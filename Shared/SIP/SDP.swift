/// The part of an SDP session description (RFC 4566, offer/answer per RFC 3264) that a B2BUA
/// anchoring audio needs: where the one audio stream goes, in which formats, in which direction.
/// Other media lines are kept so that an answer can refuse them with port 0, as RFC 3264 §6 asks.
package struct SessionDescription: Sendable, Equatable {
    package enum Direction: String, Sendable {
        case sendrecv, sendonly, recvonly, inactive

        /// What the answerer says back to an offer in this direction (RFC 3264 §6.1).
        package var answer: Direction {
            switch self {
            case .sendonly: .recvonly
            case .recvonly: .sendonly
            default: self
            }
        }

        /// Whether this side of the call is on hold (it stopped sending or receiving).
        package var isHold: Bool { self != .sendrecv }
    }

    /// A payload format of the audio stream: `a=rtpmap` (or the static type's well-known name).
    package struct Format: Sendable, Equatable {
        package var payloadType: UInt8
        package var encoding: String
        package var clockRate: Int
        package var parameters: String?

        package init(payloadType: UInt8, encoding: String, clockRate: Int = 8000, parameters: String? = nil) {
            self.payloadType = payloadType
            self.encoding = encoding
            self.clockRate = clockRate
            self.parameters = parameters
        }

        package static let pcmu = Format(payloadType: 0, encoding: "PCMU")
        package static let pcma = Format(payloadType: 8, encoding: "PCMA")
        package static func telephoneEvent(_ payloadType: UInt8) -> Format {
            Format(payloadType: payloadType, encoding: "telephone-event", parameters: "0-16")
        }
    }

    package var sessionID: UInt64
    package var sessionVersion: UInt64
    /// The address audio is sent to (`c=` of the audio line or the session).
    package var address: String
    package var audioPort: Int
    package var formats: [Format]
    package var direction: Direction
    package var ptime: Int?
    /// Media lines other than the first audio one, as `m=` lines, refused in an answer.
    package var otherMedia: [String]

    package init(sessionID: UInt64, sessionVersion: UInt64, address: String, audioPort: Int, formats: [Format],
                 direction: Direction = .sendrecv, ptime: Int? = nil, otherMedia: [String] = []) {
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.address = address
        self.audioPort = audioPort
        self.formats = formats
        self.direction = direction
        self.ptime = ptime
        self.otherMedia = otherMedia
    }

    /// The G.711 formats of the stream in the sender's order of preference.
    package var g711: [Format] { formats.filter { $0.encoding.uppercased() == "PCMU" || $0.encoding.uppercased() == "PCMA" } }

    package var telephoneEvent: Format? { formats.first { $0.encoding.lowercased() == "telephone-event" && $0.clockRate == 8000 } }

    /// On hold in the old RFC 2543 way (c=0.0.0.0) or by a direction attribute.
    package var isHold: Bool { direction.isHold || address == "0.0.0.0" }

    package struct ParseError: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    /// Parses an SDP body. Throws when there is no usable audio stream.
    package static func parse(_ bytes: [UInt8]) throws(ParseError) -> SessionDescription {
        let text = String(decoding: bytes, as: UTF8.self)
        var sessionID: UInt64 = 0, sessionVersion: UInt64 = 0
        var sessionAddress: String?, audioAddress: String?
        var audioPort: Int?, payloadTypes: [UInt8] = []
        var maps: [UInt8: Format] = [:], fmtp: [UInt8: String] = [:]
        var sessionDirection: Direction?, audioDirection: Direction?
        var ptime: Int?
        var otherMedia: [String] = []
        var section = "session"  // "session", "audio" (the first audio m-line) or "other"
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = rawLine.trimmingSIPWhitespace()
            guard let kind = line.first, line.dropFirst().first == "=" else { continue }
            let value = String(line.dropFirst(2))
            switch kind {
            case "o":
                let fields = value.split(separator: " ")
                if fields.count >= 3 {
                    sessionID = UInt64(fields[1]) ?? 0
                    sessionVersion = UInt64(fields[2]) ?? 0
                }
            case "c":
                let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count >= 3 else { throw ParseError(description: "malformed c= line") }
                // An IPv4 or IPv6 address or a domain name: the edge sends RTP to it and writes it back.
                let address = String(fields[2].split(separator: "/", omittingEmptySubsequences: false).first ?? "")
                guard !address.isEmpty, address.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".:-_".contains($0)) }) else {
                    throw ParseError(description: "malformed c= address")
                }
                if section == "session" { sessionAddress = address } else if section == "audio" { audioAddress = address }
            case "m":
                let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if section != "audio", audioPort == nil, fields.count >= 4, fields[0] == "audio", fields[2].hasPrefix("RTP/AVP") {
                    guard let port = Int(fields[1]), (0...65_535).contains(port) else { throw ParseError(description: "malformed audio port") }
                    audioPort = port
                    payloadTypes = fields.dropFirst(3).compactMap { UInt8($0) }.filter { $0 < 128 }
                    section = "audio"
                } else {
                    otherMedia.append(value)
                    section = "other"
                }
            case "a" where section != "other":
                if let direction = Direction(rawValue: value) {
                    if section == "session" { sessionDirection = direction } else { audioDirection = direction }
                } else if value.hasPrefix("rtpmap:"), section == "audio" {
                    let parts = value.dropFirst(7).split(separator: " ", maxSplits: 1)
                    guard parts.count == 2, let payloadType = UInt8(parts[0]) else { continue }
                    let codec = parts[1].split(separator: "/")
                    maps[payloadType] = Format(payloadType: payloadType, encoding: String(codec.first ?? ""),
                                               clockRate: codec.count > 1 ? Int(codec[1]) ?? 8000 : 8000)
                } else if value.hasPrefix("fmtp:"), section == "audio" {
                    let parts = value.dropFirst(5).split(separator: " ", maxSplits: 1)
                    if parts.count == 2, let payloadType = UInt8(parts[0]) { fmtp[payloadType] = String(parts[1]) }
                } else if value.hasPrefix("ptime:") {
                    ptime = Int(value.dropFirst(6))
                }
            default:
                continue
            }
        }
        guard let audioPort else { throw ParseError(description: "no RTP/AVP audio stream") }
        guard let address = audioAddress ?? sessionAddress else { throw ParseError(description: "no connection address") }
        let formats = payloadTypes.compactMap { payloadType -> Format? in
            var format = maps[payloadType] ?? Self.staticFormat(payloadType)
            format?.parameters = fmtp[payloadType]
            return format
        }
        return SessionDescription(sessionID: sessionID, sessionVersion: sessionVersion, address: address, audioPort: audioPort,
                                  formats: formats, direction: audioDirection ?? sessionDirection ?? .sendrecv, ptime: ptime,
                                  otherMedia: otherMedia)
    }

    /// The well-known static payload types a B2BUA may meet without an rtpmap (RFC 3551).
    private static func staticFormat(_ payloadType: UInt8) -> Format? {
        switch payloadType {
        case 0: .pcmu
        case 8: .pcma
        case 9: Format(payloadType: 9, encoding: "G722")
        case 13: Format(payloadType: 13, encoding: "CN")
        case 18: Format(payloadType: 18, encoding: "G729")
        default: nil
        }
    }

    /// The SDP text; `username` goes into the o= line.
    package func serialized(username: String = "switchboard") -> [UInt8] {
        let family = address.contains(":") ? "IP6" : "IP4"
        var lines = [
            "v=0",
            "o=\(username) \(sessionID) \(sessionVersion) IN \(family) \(address)",
            "s=-",
            "c=IN \(family) \(address)",
            "t=0 0",
            "m=audio \(audioPort) RTP/AVP \(formats.map { String($0.payloadType) }.joined(separator: " "))",
        ]
        for format in formats {
            lines.append("a=rtpmap:\(format.payloadType) \(format.encoding)/\(format.clockRate)")
            if let parameters = format.parameters { lines.append("a=fmtp:\(format.payloadType) \(parameters)") }
        }
        if let ptime { lines.append("a=ptime:\(ptime)") }
        lines.append("a=\(direction.rawValue)")
        for media in otherMedia {
            // Refused: the same line with port 0 (RFC 3264 §6).
            var fields = media.split(separator: " ").map(String.init)
            if fields.count >= 2 { fields[1] = "0" }
            lines.append("m=" + fields.joined(separator: " "))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }
}
