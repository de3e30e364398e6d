/// What a dialled string is: an internal extension or an external number in E.164.
enum Dialled: Equatable, Sendable {
    case `extension`(String)
    case external(e164: String)
    case invalid

    /// Extensions are 2–6 digits (as users are created); `+` or `00` start an international number;
    /// other numbers of 7 or more digits are national and get the country code (a leading trunk
    /// `0` dropped).
    static func classify(_ raw: String, countryCode: String) -> Dialled {
        let text = raw.filter { !" -().".contains($0) }
        if text.count >= 2, text.count <= 6, text.allSatisfy(\.isASCIIDigit) { return .extension(text) }
        var digits: Substring
        if text.hasPrefix("+") {
            digits = text.dropFirst()
        } else if text.hasPrefix("00") {
            digits = text.dropFirst(2)
        } else {
            digits = Substring(text)
            while digits.hasPrefix("0") { digits = digits.dropFirst() }
            guard digits.count >= 7 else { return .invalid }
            digits = Substring(countryCode) + digits
        }
        guard (7...15).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), digits.first != "0" else { return .invalid }
        return .external(e164: "+" + digits)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
