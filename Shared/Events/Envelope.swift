import Foundation

/// The payload of an event: one Swift type per event type. The catalogue (`EventCatalogue`) lists
/// them all and `docs/events.md` is generated from it.
package protocol EventPayload: Codable, Sendable {
    /// The envelope's `type`, e.g. "tenant.created".
    static var type: String { get }
    /// Bumped when a field changes meaning or is removed; adding optional fields keeps it.
    static var version: Int { get }
    static var topic: Topic { get }
    /// One sentence for the catalogue.
    static var summary: String { get }
    /// A realistic example for the catalogue.
    static var example: Self { get }
}

extension EventPayload {
    package static var version: Int { 1 }
}

/// The JSON envelope every message carries (DESIGN §4). Kafka headers repeat `type` and `tenant`.
package struct Envelope<Payload: EventPayload>: Codable, Sendable {
    /// Unique per message, for idempotent consumers.
    package var id: UUID
    package var type: String
    package var version: Int
    package var time: Date
    /// The tenant slug ("" for platform-wide messages).
    package var tenant: String
    package var callId: String?
    package var data: Payload

    package init(tenant: String, callId: String? = nil, data: Payload, id: UUID = UUID(), time: Date = Date()) {
        self.id = id
        self.type = Payload.type
        self.version = Payload.version
        self.time = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded() / 1000)
        self.tenant = tenant
        self.callId = callId
        self.data = data
    }

    /// JSON bytes of the envelope.
    package func encoded() throws -> [UInt8] {
        Array(try EventCoding.encoder.encode(self))
    }
}

/// The envelope without its data: enough to route, filter and deduplicate a message before
/// decoding its payload.
package struct EnvelopeHeader: Codable, Sendable {
    package var id: UUID
    package var type: String
    package var version: Int
    package var time: Date
    package var tenant: String
    package var callId: String?

    /// Decodes the header of a message. Throws `EventError` for anything that is not an envelope.
    package static func decode(_ bytes: [UInt8]) throws -> EnvelopeHeader {
        do {
            return try EventCoding.decoder.decode(EnvelopeHeader.self, from: Data(bytes))
        } catch {
            throw EventError(message: "not an event envelope: \(error)")
        }
    }

    /// Decodes the whole envelope as `Payload`; the type must match.
    package func decode<Payload: EventPayload>(_ bytes: [UInt8], as: Payload.Type) throws -> Envelope<Payload> {
        guard type == Payload.type else {
            throw EventError(message: "expected \(Payload.type), got \(type)")
        }
        do {
            return try EventCoding.decoder.decode(Envelope<Payload>.self, from: Data(bytes))
        } catch {
            throw EventError(message: "malformed \(type): \(error)")
        }
    }
}

package struct EventError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}

/// One encoder and decoder configuration for every message: ISO 8601 times with milliseconds, UTC.
package enum EventCoding {
    package static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTime(date))
        }
        return encoder
    }

    package static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return decoder
    }

    /// "2026-11-21T23:56:03.123Z": whole milliseconds, so a time survives any number of round trips.
    package static func formatTime(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = Int64((Double(milliseconds) / 1000).rounded(.down))
        let whole = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle())
        let fraction = String(milliseconds - seconds * 1000)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z"
    }

    package static func parseTime(_ text: String) -> Date? {
        guard let dot = text.firstIndex(of: "."), text.hasSuffix("Z") else {
            return try? Date.ISO8601FormatStyle().parse(text)
        }
        let digits = text[text.index(after: dot)..<text.index(before: text.endIndex)]
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), let fraction = Int(digits),
              let whole = try? Date.ISO8601FormatStyle().parse(text[..<dot] + "Z")
        else { return nil }
        let milliseconds = (Double(fraction) / pow(10, Double(digits.count)) * 1000).rounded()
        return Date(timeIntervalSince1970: whole.timeIntervalSince1970 + milliseconds / 1000)
    }
}
