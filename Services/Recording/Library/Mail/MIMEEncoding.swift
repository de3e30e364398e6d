import Foundation

/// The encodings a message needs to be 7-bit with short lines, so any relay carries it unchanged:
/// quoted-printable and base64 bodies (RFC 2045), encoded-words in headers (RFC 2047), parameter
/// values (RFC 2231), the date (RFC 5322 §3.3). Every line ends in CRLF.
enum MIMEEncoding {
    static let crlf: [UInt8] = [13, 10]

    /// Text as quoted-printable lines of at most 76 characters, joined by CRLF: the caller ends the
    /// last one (in a multipart, that CRLF belongs to the boundary, so a final line break of the text
    /// is kept as an empty last line). Line breaks of any kind become CRLF (hard breaks); a leading
    /// "." stays as it is: the SMTP client stuffs it.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for (number, line) in lines(text).enumerated() {
            if number > 0 { out += crlf }
            var length = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal =
                    (33...126).contains(byte) && byte != UInt8(ascii: "=")
                    || (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) && !isLast
                let token = literal ? [byte] : escape(byte)
                // 75, not 76: the soft break's "=" is part of the line.
                if length + token.count > 75 {
                    out += [UInt8(ascii: "=")] + crlf
                    length = 0
                }
                out += token
                length += token.count
            }
        }
        return out
    }

    /// Bytes as base64 lines of 76 characters (RFC 2045 §6.8).
    static func base64Lines(_ bytes: [UInt8]) -> [UInt8] {
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count + encoded.count / 76 * 2 + 2)
        var start = 0
        while start < encoded.count {
            let end = min(start + 76, encoded.count)
            out += encoded[start..<end]
            out += crlf
            start = end
        }
        return out
    }

    /// An unstructured header value (a subject): as it is when it is short printable ASCII, else as
    /// UTF-8 encoded-words of at most 75 characters, folded so no line passes 78. `used`: the
    /// characters of the header's first line before the value (`Subject: `).
    static func unstructured(_ text: String, used: Int) -> String {
        let clean = String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        if clean.allSatisfy({ $0.isASCII && ($0 == " " || $0.asciiValue.map { (33...126).contains($0) } == true) }),
            used + clean.count <= 78, !clean.contains("=?")
        {
            return clean
        }
        return encodedWords(clean, used: used)
    }

    /// A display name as a phrase (RFC 5322 §3.2.5): atoms as they are, other ASCII quoted,
    /// anything else encoded.
    static func phrase(_ text: String, used: Int) -> String {
        if text.allSatisfy({ $0 == " " || isAtext($0) }) { return text }
        if text.allSatisfy({ $0.isASCII && $0.asciiValue.map { (32...126).contains($0) } == true }) {
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return encodedWords(text, used: used)
    }

    /// `=?UTF-8?B?…?=` words, split between characters (never inside one), joined by folding
    /// whitespace, which decoders drop between adjacent encoded-words.
    static func encodedWords(_ text: String, used: Int) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        // 12 characters of "=?UTF-8?B?" and "?="; base64 takes 4 per 3 bytes. Later lines start with one space.
        var budget = (78 - used - 12) / 4 * 3
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > budget {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
                budget = (78 - 1 - 12) / 4 * 3
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// A MIME parameter (`filename="a.wav"`): quoted ASCII, or RFC 2231's `name*=utf-8''…` otherwise.
    static func parameter(_ name: String, _ value: String) -> String {
        if value.allSatisfy({
            $0.isASCII && $0.asciiValue.map { (32...126).contains($0) } == true && $0 != "\"" && $0 != "\\"
        }) {
            return "\(name)=\"\(value)\""
        }
        let attributeChar = Set("!#$&+-.^_`|~").union("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let escaped = value.utf8.map { byte in
            attributeChar.contains(Character(UnicodeScalar(byte))) ? String(UnicodeScalar(byte)) : "%" + hex(byte)
        }.joined()
        return "\(name)*=utf-8''\(escaped)"
    }

    /// `Tue, 02 Dec 2025 06:10:00 +0000`, in UTC.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(days[((parts.weekday ?? 1) - 1) % 7]), \(two(parts.day)) \(months[((parts.month ?? 1) - 1) % 12]) "
            + "\(parts.year ?? 1970) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }

    private static func lines(_ text: String) -> [Substring] {
        let unified = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return unified.split(separator: "\n", omittingEmptySubsequences: false)
    }

    private static func escape(_ byte: UInt8) -> [UInt8] { Array("=\(hex(byte))".utf8) }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    private static func isAtext(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "!#$%&'*+-/=?^_`{|}~".contains(character))
    }
}
