import Foundation

/// A statement and its bound parameters. String interpolation binds values as `$n` parameters;
/// only `\(identifier:)` (a validated identifier) and `\(unsafeSQL:)` insert text into the SQL.
///
///     let rows = try await db.query("SELECT name FROM \(identifier: schema).users WHERE extension = \(ext)")
package struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    package var sql: String
    package var binds: [String?]

    package init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    package init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    package init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    package struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        package init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        package mutating func appendLiteral(_ literal: String) { sql += literal }

        package mutating func appendInterpolation<T: PostgresEncodable>(_ value: T) {
            binds.append(value.postgresText)
            sql += "$\(binds.count)"
        }

        package mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            binds.append(value?.postgresText)
            sql += "$\(binds.count)"
        }

        /// One of a closed set of values (an enum with string raw values), as its text.
        package mutating func appendInterpolation<T: RawRepresentable>(_ value: T) where T.RawValue == String {
            binds.append(value.rawValue)
            sql += "$\(binds.count)"
        }

        /// A schema, table or column name, double-quoted.
        package mutating func appendInterpolation(identifier: SQLIdentifier) {
            sql += identifier.quoted
        }

        /// SQL text written by the program itself, never from input.
        package mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
        }
    }
}

/// A validated SQL identifier: lower-case letters, digits and underscores, starting with a letter,
/// at most 63 bytes. Anything else is refused, so an identifier can never carry SQL.
package struct SQLIdentifier: Sendable, Hashable, CustomStringConvertible {
    package let name: String

    package init(_ name: String) throws {
        guard SQLIdentifier.isValid(name) else {
            throw PostgresError(.server, "invalid SQL identifier \(String(reflecting: name))", sqlState: "42602")
        }
        self.name = name
    }

    package static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }

    package var quoted: String { "\"\(name)\"" }
    package var description: String { name }
}

/// A value that can be sent as a text-format parameter.
package protocol PostgresEncodable: Sendable {
    var postgresText: String { get }
}

extension String: PostgresEncodable { package var postgresText: String { self } }
extension Substring: PostgresEncodable { package var postgresText: String { String(self) } }
extension Int: PostgresEncodable { package var postgresText: String { String(self) } }
extension Int32: PostgresEncodable { package var postgresText: String { String(self) } }
extension Int64: PostgresEncodable { package var postgresText: String { String(self) } }
extension Double: PostgresEncodable { package var postgresText: String { String(self) } }
extension Bool: PostgresEncodable { package var postgresText: String { self ? "t" : "f" } }
extension UUID: PostgresEncodable { package var postgresText: String { uuidString.lowercased() } }
extension Decimal: PostgresEncodable { package var postgresText: String { description } }
extension Date: PostgresEncodable {
    package var postgresText: String { PostgresTimestamp.format(self) }
}
extension Array: PostgresEncodable where Element == UInt8 {
    /// bytea in hex format.
    package var postgresText: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + count * 2)
        out[0] = UInt8(ascii: "\\"); out[1] = UInt8(ascii: "x")
        for (i, byte) in enumerated() {
            out[2 + 2 * i] = digits[Int(byte >> 4)]
            out[3 + 2 * i] = digits[Int(byte & 0x0f)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Wraps a JSON document for a `json`/`jsonb` parameter.
package struct PostgresJSON: PostgresEncodable {
    package let text: String
    package init<T: Encodable>(_ value: T) throws {
        text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
    package var postgresText: String { text }
}

enum PostgresTimestamp {
    /// ISO 8601 with microseconds in UTC; sessions run with DateStyle ISO and TimeZone UTC.
    static func format(_ date: Date) -> String {
        var style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        style.timeZone = TimeZone(identifier: "UTC")!
        return date.formatted(style)
    }

    /// Parses the server's ISO output, e.g. "2026-11-21 23:56:03.123456+00" or "2026-11-21".
    static func parse(_ text: String) -> Date? {
        var s = text.replacingOccurrences(of: " ", with: "T")
        if s.count == 10 { s += "T00:00:00+00" }
        // "+00" → "+00:00" for the ISO parser.
        if let sign = s.lastIndex(where: { $0 == "+" || $0 == "-" }), s.distance(from: sign, to: s.endIndex) == 3 {
            s += ":00"
        }
        var fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        fractional.timeZone = TimeZone(identifier: "UTC")!
        if let date = try? fractional.parse(s) { return date }
        return try? Date.ISO8601FormatStyle().parse(s)
    }
}
