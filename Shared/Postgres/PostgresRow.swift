import Foundation

/// One row of a result, with values in PostgreSQL's text format. Decode with `row["name", as: T.self]`.
package struct PostgresRow: Sendable {
    package let columns: [String]
    package let values: [String?]

    /// The value of `column` decoded as `T`. Throws `.decoding` when the column is missing, NULL for a
    /// non-optional type, or not convertible.
    package func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(of: column) else {
            throw PostgresError(.decoding, "no column \(column) in the result (columns: \(columns.joined(separator: ", ")))")
        }
        return try T(postgresText: values[index], column: column)
    }

    /// A text column holding one of a closed set of values (an enum with string raw values).
    package func decode<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let text: String = try decode(column)
        guard let value = T(rawValue: text) else {
            throw PostgresError(.decoding, "column \(column): \(String(reflecting: text)) is not a \(T.self)")
        }
        return value
    }

    package subscript<T: PostgresDecodable>(_ column: String, as type: T.Type) -> T {
        get throws { try decode(column, as: type) }
    }
}

/// A Swift type that can be read from a text-format column.
package protocol PostgresDecodable {
    init(postgresText text: String?, column: String) throws
}

package protocol PostgresTextDecodable: PostgresDecodable {
    init?(postgresText text: String)
}

extension PostgresTextDecodable {
    package init(postgresText text: String?, column: String) throws {
        guard let text else { throw PostgresError(.decoding, "column \(column) is NULL but \(Self.self) was expected") }
        guard let value = Self(postgresText: text) else {
            throw PostgresError(.decoding, "column \(column): \(String(reflecting: text)) is not a \(Self.self)")
        }
        self = value
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    package init(postgresText text: String?, column: String) throws {
        self = try text.map { try Wrapped(postgresText: $0, column: column) }
    }
}

extension String: PostgresTextDecodable { package init?(postgresText text: String) { self = text } }
extension Int: PostgresTextDecodable { package init?(postgresText text: String) { self.init(text) } }
extension Int32: PostgresTextDecodable { package init?(postgresText text: String) { self.init(text) } }
extension Int64: PostgresTextDecodable { package init?(postgresText text: String) { self.init(text) } }
extension Double: PostgresTextDecodable { package init?(postgresText text: String) { self.init(text) } }
extension Bool: PostgresTextDecodable {
    package init?(postgresText text: String) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}
extension UUID: PostgresTextDecodable { package init?(postgresText text: String) { self.init(uuidString: text) } }
extension Decimal: PostgresTextDecodable {
    package init?(postgresText text: String) { self.init(string: text, locale: Locale(identifier: "en_US_POSIX")) }
}
extension Date: PostgresTextDecodable {
    package init?(postgresText text: String) {
        guard let date = PostgresTimestamp.parse(text) else { return nil }
        self = date
    }
}
extension Array: PostgresDecodable, PostgresTextDecodable where Element == UInt8 {
    /// bytea in hex format ("\x0a0b").
    package init?(postgresText text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0
        else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count - 2) / 2)
        var i = 2
        while i < bytes.count {
            guard let high = nibble(bytes[i]), let low = nibble(bytes[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        self = out
    }
}
