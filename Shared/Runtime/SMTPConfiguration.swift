import Foundation

/// The SMTP relay that `recording` sends voicemail e-mails through (issue 12).
package struct SMTPConfiguration: Sendable, Equatable {
    /// How the connection to the relay is protected.
    package enum Security: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP upgraded with STARTTLS after EHLO (RFC 3207); a relay that does not offer it is an error.
        case startTLS = "starttls"
        /// TLS from the first byte (RFC 8314, port 465).
        case tls
        /// No TLS at all: only for a relay on the same host, and never with credentials.
        case none
    }

    /// What AUTH sends. The description leaves the password out, so a logged configuration does not leak it.
    package struct Credentials: Sendable, Equatable, CustomStringConvertible {
        package var username: String
        package var password: String
        package init(username: String, password: String) {
            self.username = username
            self.password = password
        }
        package var description: String { "\(username) (password hidden)" }
    }

    /// A host name or an IP address (an IPv6 one without brackets).
    package var host: String
    package var port: Int
    package var security: Security
    /// Nil: the relay takes mail without AUTH.
    package var credentials: Credentials?
    /// The From header and the envelope sender.
    package var from: MailAddress
    /// A PEM file of trust roots added to the system's, for a relay with a private CA.
    package var caFile: String?

    package init(
        host: String, port: Int = 587, security: Security = .startTLS, credentials: Credentials? = nil,
        from: MailAddress, caFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.from = from
        self.caFile = caFile
    }
}

/// One mailbox, `Name <local@domain>` or `local@domain`. The address is held to ASCII (no SMTPUTF8):
/// every relay takes it; the display name may be any text, and goes into headers encoded (RFC 2047).
package struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    /// Nil or not empty, without control characters.
    package let displayName: String?
    /// `local@domain`, as MAIL FROM and RCPT TO carry it.
    package let address: String

    /// Checks `address` (a dot-atom local part, a domain of letters, digits and hyphens) and cleans the name.
    package init?(displayName: String? = nil, address: String) {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.isLocalPart(parts[0]), Self.isDomain(parts[1]) else { return nil }
        let name = displayName?.trimmingCharacters(in: .whitespaces)
        guard name?.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) != true else {
            return nil
        }
        self.displayName = name?.isEmpty == false ? name : nil
        self.address = address
    }

    /// Reads `Name <local@domain>`, `"Name" <local@domain>` or `local@domain`.
    package init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard text.hasSuffix(">"), let open = text.lastIndex(of: "<") else {
            self.init(address: text)
            return
        }
        var name = text[..<open].trimmingCharacters(in: .whitespaces)
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
            name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                .replacingOccurrences(of: "\\\\", with: "\\")
        }
        self.init(displayName: name, address: String(text[text.index(after: open)..<text.index(before: text.endIndex)]))
    }

    package var description: String { displayName.map { "\($0) <\(address)>" } ?? address }

    /// The part after `@` (a Message-ID's right side).
    package var domain: Substring { address.split(separator: "@").last ?? "" }

    private static let atext = Set("!#$%&'*+-/=?^_`{|}~")

    private static func isLocalPart(_ text: Substring) -> Bool {
        (1...64).contains(text.utf8.count) && !text.hasPrefix(".") && !text.hasSuffix(".") && !text.contains("..")
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || atext.contains($0)) }
    }

    private static func isDomain(_ text: Substring) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return (1...253).contains(text.utf8.count)
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }
}

/// The relay from the `SWITCHBOARD_SMTP_*` settings; nil when `SWITCHBOARD_SMTP_HOST` is empty.
func mailRelay(_ text: (Setting) -> String) throws -> SMTPConfiguration? {
    var host = text(Settings.smtpHost)
    guard !host.isEmpty else { return nil }
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:".contains($0)) }) else {
        throw ConfigurationError(message: "\(Settings.smtpHost.name)=\(host) must be a host name or an IP address")
    }
    let rawPort = text(Settings.smtpPort)
    guard let port = Int(rawPort), (1...65_535).contains(port) else {
        throw ConfigurationError(message: "\(Settings.smtpPort.name)=\(rawPort) must be a whole number in 1...65535")
    }
    let rawSecurity = text(Settings.smtpTLS)
    guard let security = SMTPConfiguration.Security(rawValue: rawSecurity) else {
        throw ConfigurationError(message: "\(Settings.smtpTLS.name)=\(rawSecurity) must be starttls, tls or none")
    }
    let username = text(Settings.smtpUsername)
    let password = text(Settings.smtpPassword)
    switch (username.isEmpty, password.isEmpty) {
    case (false, true):
        throw ConfigurationError(
            message: "\(Settings.smtpPassword.name) must be set with \(Settings.smtpUsername.name)")
    case (true, false):
        throw ConfigurationError(
            message: "\(Settings.smtpUsername.name) must be set with \(Settings.smtpPassword.name)")
    case (false, false) where security == .none:
        let why = "would go in clear text with \(Settings.smtpTLS.name)=none; use starttls or tls"
        throw ConfigurationError(message: "\(Settings.smtpPassword.name) \(why)")
    default:
        break
    }
    let rawFrom = text(Settings.smtpFrom)
    guard let from = MailAddress(rawFrom) else {
        let shapes = "`Name <local@domain>` or `local@domain` (an ASCII address)"
        throw ConfigurationError(message: "\(Settings.smtpFrom.name)=\(rawFrom) must be \(shapes)")
    }
    let caFile = text(Settings.smtpCAFile)
    return SMTPConfiguration(
        host: host, port: port, security: security,
        credentials: username.isEmpty ? nil : .init(username: username, password: password), from: from,
        caFile: caFile.isEmpty ? nil : caFile)
}
