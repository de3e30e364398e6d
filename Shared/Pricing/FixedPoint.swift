// Decimal text <-> scaled integer, shared by Money, Rate, Charge and Percent. Parsing by hand
// (rather than through Double or Foundation.Decimal) keeps every amount exact from the wire on.

enum FixedPoint {
    /// Parses `[-]digits[.digits]` with at most `decimals` fraction digits into `value × 10^decimals`.
    /// Rejects anything else (exponents, "+", spaces, thousands separators, "12." or ".5") and
    /// values that do not fit an `Int`.
    static func parse(_ text: String, decimals: Int, allowNegative: Bool) -> Int? {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            guard allowNegative else { return nil }
            negative = true
            bytes = bytes.dropFirst()
        }
        let whole = bytes.prefix { $0 != UInt8(ascii: ".") }
        var fraction = bytes.dropFirst(whole.count)
        if !fraction.isEmpty {
            fraction = fraction.dropFirst()  // the "."
            // "12." and "12.123" (too precise) are both refused: silently dropping digits would round.
            guard !fraction.isEmpty, fraction.count <= decimals else { return nil }
        }
        guard !whole.isEmpty, let wholeValue = digits(whole), let fractionValue = digits(fraction) else {
            return nil
        }
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        var fractionScale = 1
        for _ in fraction.count..<decimals { fractionScale *= 10 }
        let (scaled, overflow1) = wholeValue.multipliedReportingOverflow(by: scale)
        let (value, overflow2) = scaled.addingReportingOverflow(fractionValue * fractionScale)
        guard !overflow1, !overflow2 else { return nil }
        return negative ? -value : value
    }

    /// Formats `value / 10^decimals`; with `trimZeros`, trailing fraction zeros (and a bare ".")
    /// are dropped ("22.50" → "22.5", "24.00" → "24").
    static func format(_ value: Int, decimals: Int, trimZeros: Bool = false) -> String {
        var scale: UInt = 1
        for _ in 0..<decimals { scale *= 10 }
        // magnitude, not abs(): abs(Int.min) traps.
        let magnitude = value.magnitude
        let whole = String(magnitude / scale)
        var fraction = String(magnitude % scale)
        fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
        if trimZeros {
            while fraction.last == "0" { fraction.removeLast() }
        }
        let sign = value < 0 ? "-" : ""
        return fraction.isEmpty ? sign + whole : sign + whole + "." + fraction
    }

    /// Parses exactly `count` ASCII digits (Character.isNumber would also accept non-ASCII digits).
    static func digits(_ text: Substring, count: Int) -> Int? {
        guard text.utf8.count == count else { return nil }
        return digits(text.utf8[...])
    }

    private static func digits(_ bytes: Substring.UTF8View.SubSequence) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }
}

/// A value that JSON carries as its text (`description`), read back with `init?(_:)`: amounts,
/// rates and dates travel as strings, never as floating-point numbers.
package protocol TextCodable: Codable, CustomStringConvertible {
    init?(_ text: String)
    /// What the text must look like, for the error when it does not: "an amount with at most 2 decimals".
    static var textForm: String { get }
}

extension TextCodable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not \(Self.textForm): \"\(text)\"")
        }
        self = value
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
