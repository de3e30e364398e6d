/// SIP-specific event notification (RFC 6665): the `Event` and `Subscription-State` headers, and
/// the one package the edge serves, `message-summary` (RFC 3842).

/// An `Event` header (RFC 6665 §8.2.1): the event package and the `id` that tells subscriptions of
/// one dialog apart. `Event: message-summary;id=7`.
package struct SIPEvent: Sendable, Equatable, CustomStringConvertible {
    /// The package name (with template suffixes, `presence.winfo`); compared byte by byte (§8.2.1).
    package var type: String
    package var id: String?

    package init(type: String, id: String? = nil) {
        self.type = type
        self.id = id
    }

    /// Parses a header value; nil when the package is not a token or a parameter is malformed.
    package init?(_ text: String) {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingSIPWhitespace() }
        guard let name = parts.first, !name.isEmpty, name.allSatisfy(SIPParser.isTokenCharacter) else { return nil }
        type = name
        id = nil
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingSIPWhitespace() }
            guard let key = pair.first, !key.isEmpty, key.allSatisfy(SIPParser.isTokenCharacter) else { return nil }
            if key.lowercased() == "id" {
                guard pair.count == 2, !pair[1].isEmpty, pair[1].allSatisfy(SIPParser.isTokenCharacter) else { return nil }
                id = pair[1]
            }
        }
    }

    package var description: String { id.map { "\(type);id=\($0)" } ?? type }

    /// RFC 3842's package: a voicemail box's message counts.
    package static let messageSummary = "message-summary"
}

/// The `Subscription-State` of a NOTIFY (RFC 6665 §8.2.3).
package enum SubscriptionState: Sendable, Equatable, CustomStringConvertible {
    /// Active for `expires` more seconds; nil for an unsolicited NOTIFY, which has no subscription.
    case active(expires: Int?)
    case terminated(Reason)

    /// Why a subscription ended (§6.2): what the subscriber may do next depends on it.
    package enum Reason: String, Sendable, Equatable {
        /// Subscribe again at once (the notifier moved).
        case deactivated
        /// The subscription expired or the subscriber ended it.
        case timeout
        /// The resource is gone; do not subscribe again.
        case noresource
        case rejected
    }

    package var description: String {
        switch self {
        case .active(let expires?): "active;expires=\(expires)"
        case .active(nil): "active"
        case .terminated(let reason): "terminated;reason=\(reason.rawValue)"
        }
    }
}

/// An `application/simple-message-summary` body (RFC 3842 §5.2): whether new messages wait, the
/// account they wait in, and the voice messages as new/old (urgent new/urgent old).
package struct SimpleMessageSummary: Sendable, Equatable {
    package static let contentType = "application/simple-message-summary"

    /// The box's URI (`sip:1001@example.com`), so a phone with several lines lights the right one.
    package var account: String
    package var new: Int
    package var old: Int
    package var urgentNew: Int
    package var urgentOld: Int

    package init(account: String, new: Int, old: Int, urgentNew: Int, urgentOld: Int) {
        self.account = account
        self.new = new
        self.old = old
        self.urgentNew = urgentNew
        self.urgentOld = urgentOld
    }

    /// The lamp: on while a message is unheard.
    package var messagesWaiting: Bool { new > 0 }

    package var body: [UInt8] {
        Array(("Messages-Waiting: \(messagesWaiting ? "yes" : "no")\r\n" + "Message-Account: \(account)\r\n"
            + "Voice-Message: \(new)/\(old) (\(urgentNew)/\(urgentOld))\r\n").utf8)
    }

    /// Whether a request's `Accept` allows this body: no `Accept` does (RFC 6665 §8.2.1 lets the
    /// package pick), and so do the type itself and its wildcards.
    package static func isAccepted(by accept: [String]) -> Bool {
        guard !accept.isEmpty else { return true }
        return accept.contains { range in
            let type = range.split(separator: ";").first?.trimmingSIPWhitespace().lowercased() ?? ""
            return type == contentType || type == "application/*" || type == "*/*"
        }
    }
}

extension SIPMessage {
    /// Whether the sender says it takes NOTIFYs of `event` (RFC 6665 §4.1.1): its `Allow` names
    /// NOTIFY, its `Allow-Events` names the package, or the Contact's `methods` parameter (RFC 3840)
    /// names NOTIFY.
    package func takesNotify(of event: String, contact: String? = nil) -> Bool {
        func namesNotify(_ methods: [String]) -> Bool { methods.contains { $0.trimmingSIPWhitespace().uppercased() == "NOTIFY" } }
        if namesNotify(values("Allow")) { return true }
        if values("Allow-Events").contains(where: { SIPEvent($0)?.type == event }) { return true }
        guard let contact, let methods = NameAddress.parameter("methods", in: contact) else { return false }
        return namesNotify(methods.filter { $0 != "\"" }.split(separator: ",").map(String.init))
    }
}
