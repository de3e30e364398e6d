import Foundation
import Runtime

/// An e-mail as RFC 5322 and MIME (RFC 2045–2047) shape it: headers, a UTF-8 text body and
/// attachments. `rendered()` is 7-bit with CRLF line endings and short lines, so no relay needs to
/// convert it; dot-stuffing is the SMTP client's.
package struct MailMessage: Sendable {
    /// A file sent with the message, base64-encoded.
    package struct Attachment: Sendable, Equatable {
        /// The media types voicemail sends.
        package enum ContentType: String, Sendable {
            case wav = "audio/wav"
            case mp3 = "audio/mpeg"
            case octetStream = "application/octet-stream"
        }

        package var filename: String
        package var contentType: ContentType
        package var bytes: [UInt8]

        package init(filename: String, contentType: ContentType, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    package var from: MailAddress
    /// The To header and the envelope's recipients.
    package var to: [MailAddress]
    package var subject: String
    package var text: String
    package var attachments: [Attachment]
    package var date: Date
    /// Without the angle brackets: `unique@domain`.
    package var messageID: String

    /// - Parameter messageID: nil makes one from a UUID and the sender's domain.
    package init(
        from: MailAddress, to: [MailAddress], subject: String, text: String, attachments: [Attachment] = [],
        date: Date = Date(), messageID: String? = nil
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.attachments = attachments
        self.date = date
        self.messageID = messageID ?? "\(UUID().uuidString.lowercased())@\(from.domain)"
    }

    /// The message as DATA carries it, before dot-stuffing. Base64 of an attachment is most of the
    /// work: a caller with minutes of audio renders off the event loop (the SMTP client does).
    package func rendered() -> [UInt8] {
        var out = Array(headers().utf8)
        guard !attachments.isEmpty else {
            out += Array(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
            out += MIMEEncoding.quotedPrintable(text)
            // Ends as every message does; a text that ends in a line break already does.
            if out.suffix(2) != MIMEEncoding.crlf[...] { out += MIMEEncoding.crlf }
            return out
        }
        // "=_" occurs in neither quoted-printable nor base64, so no part can contain the boundary.
        let boundary = "=_switchboard_\(UUID().uuidString)"
        // Parameters on lines of their own (folded): the boundary alone is 50 characters.
        out += Array("Content-Type: multipart/mixed;\r\n boundary=\"\(boundary)\"\r\n\r\n".utf8)
        out += Array("--\(boundary)\r\nContent-Type: text/plain; charset=utf-8\r\n".utf8)
        out += Array("Content-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
        out += MIMEEncoding.quotedPrintable(text)
        for attachment in attachments {
            // RFC 2046 §5.1.1: the CRLF before "--" is the delimiter's, not the part's.
            out += Array("\r\n--\(boundary)\r\n".utf8)
            let name = MIMEEncoding.parameter("name", attachment.filename)
            let filename = MIMEEncoding.parameter("filename", attachment.filename)
            out += Array("Content-Type: \(attachment.contentType.rawValue);\r\n \(name)\r\n".utf8)
            out += Array("Content-Disposition: attachment;\r\n \(filename)\r\n".utf8)
            out += Array("Content-Transfer-Encoding: base64\r\n\r\n".utf8)
            out += MIMEEncoding.base64Lines(attachment.bytes)
        }
        out += Array("\r\n--\(boundary)--\r\n".utf8)
        return out
    }

    private func headers() -> String {
        func mailbox(_ address: MailAddress, used: Int) -> String {
            address.displayName.map { "\(MIMEEncoding.phrase($0, used: used)) <\(address.address)>" } ?? address.address
        }
        return "Date: \(MIMEEncoding.date(date))\r\n"
            + "From: \(mailbox(from, used: 6))\r\n"
            // One mailbox a line: folding after the commas keeps every line short.
            + "To: \(to.map { mailbox($0, used: 4) }.joined(separator: ",\r\n "))\r\n"
            + "Subject: \(MIMEEncoding.unstructured(subject, used: 9))\r\n"
            + "Message-ID: <\(messageID)>\r\n"
            // RFC 3834: a notification, which vacation responders should not answer.
            + "Auto-Submitted: auto-generated\r\n"
            + "MIME-Version: 1.0\r\n"
    }
}
