import Foundation

/// A sip: or sips: URI (RFC 3261 §19.1): user, host, port and parameters.
package struct SIPURI: Sendable, Equatable, CustomStringConvertible {
    package var scheme: String
    package var user: String?
    package var host: String
    package var port: Int?
    package var parameters: [(String, String?)]

    package init?(_ text: String) {
        let text = text.trimmingSIPWhitespace()
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon].lowercased()
        guard scheme == "sip" || scheme == "sips" else { return nil }
        self.scheme = scheme
        var rest = Substring(text[text.index(after: colon)...])
        guard !rest.contains(where: { $0 == " " || $0 == "\t" || $0 == "<" || $0 == ">" }) else { return nil }
        // The user part may hold ';', '?' and ',' (RFC 4475 intmeth, semiuri): split it off at the last '@' first.
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            // Decoded once, here (RFC 3261 §19.1.4: `%23` and `#` are the same URI); phones that
            // follow §19.1.2 send a dialled `#` escaped.
            let raw = String(userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            guard let decoded = raw.removingPercentEncoding else { return nil }
            user = decoded
            rest = rest[rest.index(after: at)...]
        } else {
            user = nil
        }
        if let question = rest.firstIndex(of: "?") { rest = rest[..<question] }  // URI headers are ignored
        var params = rest.split(separator: ";", omittingEmptySubsequences: false)
        guard !params.isEmpty else { return nil }
        var hostPart = params.removeFirst()
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { return nil }
            host = String(hostPart[...close])
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65_535).contains(value) else { return nil }
                port = value
            } else if !after.isEmpty {
                return nil
            }
        } else {
            let pieces = hostPart.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return nil }
            host = String(pieces.first ?? "")
            if let portText = pieces.dropFirst().first {
                guard let value = Int(portText), (1...65_535).contains(value) else { return nil }
                port = value
            }
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-._[]:".contains($0) }) else { return nil }
        parameters = params.map { param in
            let pair = param.split(separator: "=", maxSplits: 1)
            return (String(pair.first ?? "").lowercased(), pair.count > 1 ? String(pair[1]) : nil)
        }
    }

    package func parameter(_ name: String) -> String?? {
        parameters.first { $0.0 == name }.map { $0.1 }
    }

    package var description: String {
        var text = "\(scheme):"
        if let user { text += "\(Self.escaped(user: user))@" }
        text += host
        if let port { text += ":\(port)" }
        for (name, value) in parameters { text += value.map { ";\(name)=\($0)" } ?? ";\(name)" }
        return text
    }

    package static func == (lhs: SIPURI, rhs: SIPURI) -> Bool { lhs.description == rhs.description }

    /// What a user part may hold as it is (RFC 3261 §25.1: unreserved and user-unreserved); the rest
    /// is escaped, `#` among it.
    private static let userCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,;?/")

    static func escaped(user: String) -> String {
        user.addingPercentEncoding(withAllowedCharacters: userCharacters) ?? user
    }
}

/// A name-addr or addr-spec with header parameters (From, To, Contact; RFC 3261 §20.10):
/// `"Alice" <sip:alice@example.com>;tag=1928301774`.
package struct NameAddress: Sendable {
    package var displayName: String?
    package var uri: String
    package var parameters: String

    package init?(_ text: String) {
        let text = text.trimmingSIPWhitespace()
        if text == "*" {
            displayName = nil
            uri = "*"
            parameters = ""
            return
        }
        // Quotes must balance (backslash escapes inside them), RFC 4475 quotbal.
        var inQuotes = false
        var escaped = false
        for character in text {
            if escaped { escaped = false; continue }
            if character == "\\" && inQuotes { escaped = true } else if character == "\"" { inQuotes.toggle() }
        }
        guard !inQuotes else { return nil }
        if let open = text.firstIndex(of: "<") {
            guard let close = text[open...].firstIndex(of: ">") else { return nil }
            let name = text[..<open].trimmingSIPWhitespace()
            displayName = name.isEmpty ? nil : (name.hasPrefix("\"") && name.hasSuffix("\"") && name.count >= 2 ? String(name.dropFirst().dropLast()) : name)
            uri = String(text[text.index(after: open)..<close])
            parameters = String(text[text.index(after: close)...])
        } else {
            // addr-spec: parameters after the URI belong to the header, not the URI.
            let pieces = text.split(separator: ";", maxSplits: 1)
            guard let first = pieces.first else { return nil }
            displayName = nil
            uri = first.trimmingSIPWhitespace()
            parameters = pieces.count > 1 ? ";" + pieces[1] : ""
            // An addr-spec with URI headers must be in angle brackets (RFC 3261 §20.10, RFC 4475 regbadct).
            guard !uri.contains("?"), !uri.contains(" ") else { return nil }
        }
        guard uri.contains(":"), uri.trimmingSIPWhitespace() == uri, !uri.isEmpty else { return nil }
        // Empty header parameters (";;") are malformed (RFC 4475 badinv01).
        guard !parameters.contains(";;"), parameters.last != ";" else { return nil }
    }

    package var tag: String? { NameAddress.parameter("tag", in: parameters) }

    /// The value of `;name=value` among header parameters (case-insensitive name).
    package static func parameter(_ name: String, in text: String) -> String? {
        // Header parameters follow the URI's closing '>' (the first one outside quotes): a later '>'
        // can sit inside a parameter value, as in `+sip.instance="<urn:uuid:...>"` (RFC 5626).
        var afterURI = Substring(text)
        var inQuotes = false
        for index in text.indices {
            let character = text[index]
            if character == "\"" { inQuotes.toggle() }
            if character == ">" && !inQuotes {
                afterURI = text[text.index(after: index)...]
                break
            }
        }
        for piece in afterURI.split(separator: ";").dropFirst(afterURI.hasPrefix(";") ? 0 : 1) {
            let pair = piece.split(separator: "=", maxSplits: 1)
            if pair.first?.trimmingSIPWhitespace().lowercased() == name {
                return pair.count > 1 ? pair[1].trimmingSIPWhitespace() : ""
            }
        }
        return nil
    }
}

/// The top Via of a message: transport, sent-by and parameters (RFC 3261 §20.42, RFC 3581 rport).
package struct Via: Sendable {
    package var transport: String
    package var host: String
    package var port: Int?
    package var branch: String?
    package var hasRport: Bool

    package init?(_ text: String) {
        let parts = text.split(separator: ";")
        guard let first = parts.first else { return nil }
        // Linear whitespace may surround the slashes (RFC 4475 wsinv): "SIP  /   2.0 /UDP  host".
        let protocolAndHost = Self.compactingSlashes(first).split(separator: " ")
        guard protocolAndHost.count == 2 else { return nil }
        let proto = protocolAndHost[0].split(separator: "/")
        guard proto.count == 3, proto[0].uppercased() == "SIP", proto[1] == "2.0" else { return nil }
        transport = proto[2].uppercased()
        // sent-by = host [ ":" port ]; an empty host or a port out of range is malformed (a bare
        // ":" once split into no parts and trapped here).
        let sentBy = protocolAndHost[1]
        let portText: Substring?
        if sentBy.hasPrefix("[") {
            guard let close = sentBy.firstIndex(of: "]") else { return nil }
            host = String(sentBy[...close])
            let after = sentBy[sentBy.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else {
            let hostPort = sentBy.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = String(hostPort.first ?? "")
            portText = hostPort.dropFirst().first
        }
        guard host.count > (host.hasPrefix("[") ? 2 : 0) else { return nil }
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else { return nil }
            port = value
        } else {
            port = nil
        }
        var branch: String?
        var rport = false
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSIPWhitespace() }
            switch pair.first?.lowercased() {
            case "branch": branch = pair.count > 1 ? pair[1] : nil
            case "rport": rport = true
            default: break
            }
        }
        self.branch = branch
        hasRport = rport
    }

    /// Drops the whitespace around slashes and makes every other run of it one space (a loop, not a
    /// regular expression: this runs for every message).
    static func compactingSlashes(_ text: Substring) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for character in text {
            switch character {
            case " ", "\t", "\r", "\n":
                pendingSpace = true
            case "/":
                pendingSpace = false
                result.append("/")
            default:
                if pendingSpace, let last = result.last, last != "/" { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }
}
