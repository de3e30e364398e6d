import Media

/// A DTMF key carried in the body of a SIP INFO request, as phones and trunks send it when they do
/// not use RFC 4733: `application/dtmf-relay` (`Signal=5`, `Duration=160`) or `application/dtmf`
/// (the key alone).
package struct DTMFInfo: Sendable, Equatable {
    package var key: DTMFKey
    /// Milliseconds, when the body says.
    package var duration: Int?

    package init(key: DTMFKey, duration: Int? = nil) {
        self.key = key
        self.duration = duration
    }

    /// The media types this parser reads.
    package static let contentTypes: Set<String> = ["application/dtmf-relay", "application/dtmf"]

    /// The key in an INFO body of `contentType` (parameters allowed, any case); nil for another
    /// type or a body that names no key.
    package init?(contentType: String, body: [UInt8]) {
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSIPWhitespace().lowercased() } ?? ""
        guard body.count <= 1024, let text = String(validating: body, as: UTF8.self) else { return nil }
        switch type {
        case "application/dtmf-relay":
            var key: DTMFKey?
            var duration: Int?
            for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
                let pair = line.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let value = pair[1].trimmingSIPWhitespace()
                switch pair[0].trimmingSIPWhitespace().lowercased() {
                case "signal": key = Self.key(value)
                case "duration": duration = Int(value).flatMap { (0...60_000).contains($0) ? $0 : nil }
                default: continue
                }
            }
            guard let key else { return nil }
            self.init(key: key, duration: duration)
        case "application/dtmf":
            guard let key = Self.key(text.trimmingSIPWhitespace()) else { return nil }
            self.init(key: key)
        default:
            return nil
        }
    }

    /// "5", "*", "#", "A", or an event code ("10" for *, "11" for #) as some phones send.
    private static func key(_ text: String) -> DTMFKey? {
        if text.count == 1, let character = text.first, let key = DTMFKey(character) { return key }
        return UInt8(text).flatMap(DTMFKey.init(eventCode:))
    }
}
