import Events
import Foundation
import Kafka
import Logging
import Messaging
import Metrics
import Postgres
import Runtime
import Tenancy

/// E-mails a new voicemail message with its audio to the box's user (or a group box's address),
/// from `voicemail.message-left` (DESIGN §6). The consumer is the queue: a relay that is down or
/// deferring is retried with backoff on the same event, off the call path; a permanent refusal is
/// logged and counted, and the next message goes on.
struct VoicemailMailer: Sendable {
    let db: PostgresClient
    let library: MediaLibrary
    let mailer: any MailSending
    let from: MailAddress
    let logger: Logger

    /// A relay failure that passes: the event loop retries the same event.
    struct Deferred: ClassifiedFailure {
        let error: SMTPError
        var canPass: Bool { true }
    }

    func handle(_ header: EnvelopeHeader, _ message: KafkaMessage) async throws {
        guard header.type == VoicemailMessageLeft.type else { return }
        let left = try header.decode(message.value ?? [], as: VoicemailMessageLeft.self).data
        let slug = try TenantSlug(header.tenant)
        let schema = slug.schema
        guard let row = try await db.query("""
            SELECT m.sha256, m.received_at, m.emailed_at, b.email_notify, coalesce(u.email, b.email) AS email,
                   coalesce(u.name, b.group_name) AS name, t.language, t.time_zone
            FROM \(identifier: schema).voicemail_messages m JOIN \(identifier: schema).voicemail_boxes b ON b.number = m.box
            LEFT JOIN \(identifier: schema).users u ON u.id = b.user_id JOIN platform.tenants t ON t.slug = \(slug.value)
            WHERE m.id = \(left.messageId)
            """).first else { return }  // deleted before it could be mailed
        guard try row.decode("email_notify"), try row.decode("emailed_at", as: Date?.self) == nil,
              let address = try row.decode("email", as: String?.self), let to = MailAddress(displayName: try row.decode("name"), address: address)
        else { return }
        guard let wav = try await library.object(sha256: try row.decode("sha256"), tenant: slug) else { return }
        let language = Language(rawValue: try row.decode("language")) ?? .estonian
        let zone = TimeZone(identifier: try row.decode("time_zone")) ?? .gmt
        let mail = Self.mail(left, to: to, from: from, wav: wav, receivedAt: try row.decode("received_at"), language: language, timeZone: zone)
        do {
            try await mailer.send(mail)
        } catch let error as SMTPError where error.isTransient {
            throw Deferred(error: error)
        } catch let error as SMTPError {
            Counter(label: "switchboard_voicemail_emails_total", dimensions: [("outcome", "refused")]).increment()
            logger.error("the relay refused a voicemail e-mail; not retried", metadata: [
                "tenant": "\(slug.value)", "box": "\(left.box)", "error": "\(error)",
            ])
            return
        }
        try await db.query("UPDATE \(identifier: schema).voicemail_messages SET emailed_at = now() WHERE id = \(left.messageId)")
        Counter(label: "switchboard_voicemail_emails_total", dimensions: [("outcome", "sent")]).increment()
    }

    static func mail(_ left: VoicemailMessageLeft, to: MailAddress, from: MailAddress, wav: [UInt8], receivedAt: Date, language: Language,
                     timeZone: TimeZone) -> MailMessage {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: receivedAt)
        let stamp = String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
        let length = String(format: "%d:%02d", left.durationMs / 60_000, left.durationMs / 1000 % 60)
        let urgent = left.urgent
        let (subject, text): (String, String) = switch language {
        case .estonian:
            ("\(urgent ? "Kiire k" : "K")õnepostisõnum: \(left.caller)",
             "Postkasti \(left.box) jättis \(left.caller) sõnumi \(stamp), pikkus \(length).\nSõnum on manuses.\n")
        case .english:
            ("\(urgent ? "Urgent v" : "V")oicemail from \(left.caller)",
             "\(left.caller) left a message in mailbox \(left.box) on \(stamp), \(length) long.\nThe message is attached.\n")
        }
        let filename = "voicemail-\(stamp.replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: ":", with: ""))-\(left.caller.filter(\.isNumber)).wav"
        return MailMessage(from: from, to: [to], subject: subject, text: text,
                           attachments: [MailMessage.Attachment(filename: filename, contentType: .wav, bytes: wav)], date: receivedAt)
    }
}
