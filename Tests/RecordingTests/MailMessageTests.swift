import Foundation
import Runtime
import Testing

@testable import Recording

/// The message as bytes: 7-bit, CRLF, short lines, and the encodings decoded back by hand.
@Suite("Mail message")
struct MailMessageTests {
    static let from = MailAddress("Switchboard <voicemail@pbx.example>")!
    static let to = MailAddress("Jüri Õun <juri@example.ee>")!

    static func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
    }

    /// RFC 2047 B words back to text.
    static func decodeWords(_ value: String) -> String {
        value.components(separatedBy: "\r\n ").map { word -> String in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return word }
            let payload = String(word.dropFirst(10).dropLast(2))
            return Data(base64Encoded: payload).map { String(decoding: $0, as: UTF8.self) } ?? "<bad base64>"
        }.joined()
    }

    /// Quoted-printable back to bytes.
    static func decodeQuotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "="), index + 2 < bytes.count {
                if bytes[index + 1] == 13, bytes[index + 2] == 10 {
                    index += 3
                    continue
                }
                out.append(UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16) ?? 0)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    @Test("an Estonian subject is one encoded-word; a long one splits between characters and keeps lines within 78")
    func subject() throws {
        #expect(MIMEEncoding.unstructured("Uus kõnepostisõnum", used: 9) == "=?UTF-8?B?VXVzIGvDtW5lcG9zdGlzw7VudW0=?=")
        #expect(MIMEEncoding.unstructured("New voicemail from 5551234", used: 9) == "New voicemail from 5551234")
        #expect(MIMEEncoding.unstructured("Looks =?encoded?= but is not", used: 9).hasPrefix("=?UTF-8?B?"))
        let long = String(repeating: "Uus kõnepostisõnum numbrilt +372 5551234, pikkus 0:05. ", count: 4)
        let folded = MIMEEncoding.unstructured(long, used: 9)
        let lines = ("Subject: " + folded).components(separatedBy: "\r\n")
        #expect(lines.count > 3)
        #expect(lines.allSatisfy { $0.count <= 78 }, "\(lines.map(\.count))")
        #expect(Self.decodeWords(folded) == long)
        #expect(
            MIMEEncoding.unstructured("two\r\nlines\nand\rmore", used: 9) == "two lines and more", "no header injection"
        )
    }

    @Test("display names: atoms as they are, other ASCII quoted, the rest encoded")
    func phrases() {
        #expect(MIMEEncoding.phrase("Switchboard", used: 6) == "Switchboard")
        #expect(MIMEEncoding.phrase("Dr. \"Who\"", used: 6) == #""Dr. \"Who\"""#)
        #expect(Self.decodeWords(MIMEEncoding.phrase("Jüri Õun", used: 4)) == "Jüri Õun")
    }

    @Test("quoted-printable: = and trailing space escaped, UTF-8 as bytes, soft breaks within 76, a leading dot kept")
    func quotedPrintable() {
        let text = "a=b \nkõne \n.\n" + String(repeating: "x", count: 200) + "\n" + String(repeating: "õ", count: 60)
        let encoded = MIMEEncoding.quotedPrintable(text)
        let lines = Self.lines(encoded)
        #expect(lines.prefix(3) == ["a=3Db=20", "k=C3=B5ne=20", "."])
        #expect(lines.allSatisfy { $0.count <= 76 }, "\(lines.map(\.count))")
        #expect(encoded.allSatisfy { $0 < 128 })
        let decoded = Self.decodeQuotedPrintable(encoded)
        #expect(String(decoding: decoded, as: UTF8.self) == text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(Self.lines(MIMEEncoding.quotedPrintable("ends\n")) == ["ends", ""], "a final line break is kept")
    }

    @Test("RFC 5322 date in UTC; RFC 2231 for a filename that is not plain ASCII")
    func dateAndParameters() {
        #expect(MIMEEncoding.date(Date(timeIntervalSince1970: 1_369_353_600)) == "Fri, 24 May 2013 00:00:00 +0000")
        #expect(MIMEEncoding.date(Date(timeIntervalSince1970: 1_764_655_805)) == "Tue, 02 Dec 2025 06:10:05 +0000")
        #expect(MIMEEncoding.parameter("filename", "voicemail.wav") == #"filename="voicemail.wav""#)
        #expect(MIMEEncoding.parameter("filename", "kõne 1.wav") == "filename*=utf-8''k%C3%B5ne%201.wav")
    }

    @Test("a message with a WAV: multipart/mixed, 7-bit, CRLF only, base64 lines of 76, the bytes back")
    func attachment() throws {
        let audio = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        let message = MailMessage(
            from: Self.from, to: [Self.to, MailAddress(address: "ops@example.ee")!], subject: "Uus kõnepostisõnum",
            text: "Helistaja: +372 5551234\n",
            attachments: [.init(filename: "voicemail.wav", contentType: .wav, bytes: audio)],
            date: Date(timeIntervalSince1970: 1_369_353_600), messageID: "1@pbx.example")
        let bytes = message.rendered()
        #expect(bytes.allSatisfy { $0 < 128 })
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "no bare CR")
        let lines = Self.lines(bytes)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        let headerEnd = try #require(lines.firstIndex(of: ""))
        let headers = Array(lines[..<headerEnd])
        #expect(headers.contains("From: Switchboard <voicemail@pbx.example>"))
        #expect(headers.contains { $0.hasPrefix("To: =?UTF-8?B?") && $0.hasSuffix("<juri@example.ee>,") })
        #expect(headers.contains(" ops@example.ee"))
        #expect(headers.contains("Subject: =?UTF-8?B?VXVzIGvDtW5lcG9zdGlzw7VudW0=?="))
        #expect(headers.contains("Date: Fri, 24 May 2013 00:00:00 +0000"))
        #expect(headers.contains("Message-ID: <1@pbx.example>"))
        #expect(headers.contains("MIME-Version: 1.0"))
        let contentType = try #require(headers.firstIndex(of: "Content-Type: multipart/mixed;"))
        let boundary = String(headers[contentType + 1].dropFirst(#" boundary=""#.count).dropLast())
        #expect(boundary.hasPrefix("=_"))
        #expect(lines.filter { $0 == "--\(boundary)" }.count == 2)
        #expect(lines.contains("--\(boundary)--"))
        let disposition = try #require(lines.firstIndex(of: "Content-Disposition: attachment;"))
        #expect(lines[disposition + 1] == #" filename="voicemail.wav""#)
        #expect(
            lines[(disposition - 2)...(disposition - 1)] == ["Content-Type: audio/wav;", #" name="voicemail.wav""#])
        #expect(lines[disposition + 2] == "Content-Transfer-Encoding: base64")
        // The blank line before the closing delimiter is the delimiter's CRLF.
        let body = lines[(disposition + 4)...].prefix { $0 != "--\(boundary)--" }.filter { !$0.isEmpty }
        #expect(body.dropLast().allSatisfy { $0.count == 76 } && (body.last?.count ?? 0) <= 76)
        #expect(Data(base64Encoded: body.joined()).map(Array.init) == audio)
    }

    @Test("a message without attachments is a single text/plain part")
    func textOnly() {
        let message = MailMessage(from: Self.from, to: [Self.to], subject: "Test", text: "one\ntwo")
        let lines = Self.lines(message.rendered())
        #expect(lines.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(lines.contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(!lines.contains { $0.contains("multipart") })
        #expect(lines.suffix(3) == ["one", "two", ""])
        let ending = MailMessage(from: Self.from, to: [Self.to], subject: "Test", text: "one\n").rendered()
        #expect(Self.lines(ending).suffix(3) == ["", "one", ""], "a final line break is not doubled")
        #expect(message.messageID.hasSuffix("@pbx.example"))
    }

    @Test("addresses: Name <addr>, quoted names, bare addresses; no spaces, no second @, no non-ASCII address")
    func addresses() {
        #expect(
            MailAddress("Switchboard <voicemail@localhost>")
                == MailAddress(displayName: "Switchboard", address: "voicemail@localhost"))
        #expect(MailAddress(#""Tamm, Mari" <mari.tamm@example.ee>"#)?.displayName == "Tamm, Mari")
        #expect(MailAddress("  ops+vm@example.ee ")?.displayName == nil)
        #expect(MailAddress("<ops@example.ee>")?.address == "ops@example.ee")
        for bad in [
            "", "ops", "ops@", "@example.ee", "a b@example.ee", "a@b@example.ee", "jüri@example.ee",
            "a..b@example.ee", "ops@-example.ee", "ops@example..ee", "Name <ops>",
        ] {
            #expect(MailAddress(bad) == nil, "\(bad)")
        }
        #expect(MailAddress(displayName: "Line\nbreak", address: "a@b.ee") == nil)
    }
}
