import Foundation

/// A SIP request or response (RFC 3261 §7). Headers keep their order and their raw values; names
/// are stored in their full canonical form (compact forms are expanded when parsed).
package struct SIPMessage: Sendable, Equatable {
    package enum StartLine: Sendable, Equatable {
        case request(method: String, uri: String)
        case response(status: Int, reason: String)
    }

    package var startLine: StartLine
    /// The protocol version of a parsed message; only "SIP/2.0" passes validation (else 505).
    package var version = "SIP/2.0"
    package var headers: [SIPHeader]
    package var body: [UInt8]

    package init(startLine: StartLine, headers: [SIPHeader] = [], body: [UInt8] = []) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
    }

    package var method: String? {
        if case .request(let method, _) = startLine { return method }
        return nil
    }

    package var requestURI: String? {
        if case .request(_, let uri) = startLine { return uri }
        return nil
    }

    package var status: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }

    /// The first value of a header (name in any case or compact form).
    package subscript(_ name: String) -> String? {
        let canonical = SIPHeader.canonicalName(name)
        return headers.first { $0.name == canonical }?.value
    }

    /// Every value of a header, comma-separated lists split (outside quotes and angle brackets).
    package func values(_ name: String) -> [String] {
        let canonical = SIPHeader.canonicalName(name)
        return headers.filter { $0.name == canonical }.flatMap { SIPHeader.splitList($0.value) }
    }

    package mutating func set(_ name: String, _ value: String) {
        let canonical = SIPHeader.canonicalName(name)
        guard let index = headers.firstIndex(where: { $0.name == canonical }) else {
            headers.append(SIPHeader(name: canonical, value: value))
            return
        }
        headers[index].value = value
        // Keep the first occurrence in place, drop the others.
        var seen = false
        headers.removeAll { header in
            guard header.name == canonical else { return false }
            defer { seen = true }
            return seen
        }
    }

    package mutating func add(_ name: String, _ value: String) {
        headers.append(SIPHeader(name: SIPHeader.canonicalName(name), value: value))
    }

    package mutating func remove(_ name: String) {
        let canonical = SIPHeader.canonicalName(name)
        headers.removeAll { $0.name == canonical }
    }

    /// The wire form; Content-Length always matches the body.
    package func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headers.reduce(64 + body.count) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        func put(_ text: String) { bytes.append(contentsOf: text.utf8) }
        switch startLine {
        case .request(let method, let uri):
            put(method); put(" "); put(uri); put(" SIP/2.0\r\n")
        case .response(let status, let reason):
            put("SIP/2.0 "); put(String(status)); put(" "); put(reason); put("\r\n")
        }
        for header in headers where header.name != "Content-Length" {
            put(header.name); put(": "); put(header.value); put("\r\n")
        }
        put("Content-Length: "); put(String(body.count)); put("\r\n\r\n")
        bytes.append(contentsOf: body)
        return bytes
    }

    /// A response to this request (RFC 3261 §8.2.6): Via, From, To, Call-ID and CSeq copied; a To
    /// tag added when given and none is present.
    package func response(_ status: Int, _ reason: String? = nil, toTag: String? = nil) -> SIPMessage {
        var response = SIPMessage(startLine: .response(status: status, reason: reason ?? SIPMessage.reasonPhrase(status)))
        for header in headers where ["Via", "From", "Call-ID", "CSeq", "Record-Route"].contains(header.name) {
            if header.name == "Record-Route" && !(200..<300).contains(status) { continue }
            response.headers.append(header)
        }
        if var to = self["To"] {
            if let toTag, NameAddress.parameter("tag", in: to) == nil { to += ";tag=\(toTag)" }
            response.headers.insert(SIPHeader(name: "To", value: to), at: min(response.headers.count, 2))
        }
        return response
    }

    /// This request with received/rport on its top Via (RFC 3261 §18.2.1, RFC 3581), so that every
    /// response, copied from it, reaches a client behind NAT.
    package func withReceived(host: String, port: Int) -> SIPMessage {
        guard let index = headers.firstIndex(where: { $0.name == "Via" }) else { return self }
        var copy = self
        let list = SIPHeader.splitList(headers[index].value)
        guard let top = list.first else { return self }
        if list.count > 1 {
            // Only the first Via of a combined header line is the client's; the others keep their own line.
            copy.headers[index].value = top
            copy.headers.insert(SIPHeader(name: "Via", value: list.dropFirst().joined(separator: ", ")), at: index + 1)
        }
        var parameters = top.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        parameters = parameters.map { $0.trimmingSIPWhitespace() == "rport" ? "rport=\(port)" : $0 }
        parameters.append("received=\(host)")
        copy.headers[index].value = parameters.joined(separator: ";")
        return copy
    }

    package static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Trying"
        case 180: "Ringing"
        case 183: "Session Progress"
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 407: "Proxy Authentication Required"
        case 408: "Request Timeout"
        case 413: "Request Entity Too Large"
        case 415: "Unsupported Media Type"
        case 416: "Unsupported URI Scheme"
        case 420: "Bad Extension"
        case 423: "Interval Too Brief"
        case 480: "Temporarily Unavailable"
        case 481: "Call/Transaction Does Not Exist"
        case 483: "Too Many Hops"
        case 486: "Busy Here"
        case 487: "Request Terminated"
        case 488: "Not Acceptable Here"
        case 489: "Bad Event"
        case 500: "Server Internal Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "Version Not Supported"
        case 513: "Message Too Large"
        case 603: "Decline"
        default: "Unknown"
        }
    }
}

/// One header line. `name` is canonical ("Call-ID", "Via", ...).
package struct SIPHeader: Sendable, Equatable {
    package var name: String
    package var value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    static let compactForms: [String: String] = [
        "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length", "c": "Content-Type",
        "f": "From", "s": "Subject", "k": "Supported", "t": "To", "v": "Via", "o": "Event", "u": "Allow-Events",
        "r": "Refer-To", "b": "Referred-By", "x": "Session-Expires", "a": "Accept-Contact", "j": "Reject-Contact",
        "d": "Request-Disposition", "y": "Identity", "n": "Identity-Info",
    ]

    static let knownNames: [String: String] = {
        let names = [
            "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authentication-Info",
            "Authorization", "Call-ID", "Call-Info", "Contact", "Content-Disposition", "Content-Encoding",
            "Content-Language", "Content-Length", "Content-Type", "CSeq", "Date", "Error-Info", "Expires", "From",
            "In-Reply-To", "Max-Forwards", "MIME-Version", "Min-Expires", "Organization", "Priority",
            "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require", "Record-Route", "Reply-To", "Require",
            "Retry-After", "Route", "Server", "Subject", "Supported", "Timestamp", "To", "Unsupported", "User-Agent",
            "Via", "Warning", "WWW-Authenticate", "P-Asserted-Identity", "P-Preferred-Identity", "Privacy",
            "Session-Expires", "Min-SE", "Event", "Allow-Events", "Refer-To", "Referred-By", "Path", "RSeq", "RAck",
            "Diversion", "Reason", "Subscription-State",
        ]
        return Dictionary(uniqueKeysWithValues: names.map { ($0.lowercased(), $0) })
    }()

    /// The canonical spellings themselves, so that a name already spelt so (as the code and most
    /// peers spell it) costs one lookup.
    static let canonicalNames: Set<String> = Set(knownNames.values).union(compactForms.values)

    /// "v" → "Via", "call-id" → "Call-ID"; unknown names keep their spelling.
    package static func canonicalName(_ name: String) -> String {
        if canonicalNames.contains(name) { return name }
        let lower = name.lowercased()
        if lower.utf8.count == 1, let full = compactForms[lower] { return full }
        return knownNames[lower] ?? name
    }

    /// Splits a comma-separated header value, ignoring commas inside quotes or angle brackets.
    package static func splitList(_ value: String) -> [String] {
        var parts: [String] = []
        let utf8 = Array(value.utf8)
        var inQuotes = false
        var inAngle = false
        var escaped = false
        var partStart = 0
        func take(_ end: Int) {
            let part = SIPParser.trimmed(utf8[partStart..<end])
            if !part.isEmpty { parts.append(String(decoding: part, as: UTF8.self)) }
        }
        for (index, byte) in utf8.enumerated() {
            if escaped {
                escaped = false
                continue
            }
            switch byte {
            case UInt8(ascii: "\\") where inQuotes: escaped = true
            case UInt8(ascii: "\""): inQuotes.toggle()
            case UInt8(ascii: "<") where !inQuotes: inAngle = true
            case UInt8(ascii: ">") where !inQuotes: inAngle = false
            case UInt8(ascii: ",") where !inQuotes && !inAngle:
                take(index)
                partStart = index + 1
            default: break
            }
        }
        take(utf8.count)
        return parts
    }
}

extension StringProtocol {
    /// Without leading and trailing space, tab, CR and LF (read as bytes: "\r\n" is one Character).
    package func trimmingSIPWhitespace() -> String where UTF8View: BidirectionalCollection {
        let utf8 = self.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, SIPParser.isWhitespaceByte(utf8[start]) { start = utf8.index(after: start) }
        while end > start, SIPParser.isWhitespaceByte(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        if start == utf8.startIndex, end == utf8.endIndex, let string = self as? String { return string }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }
}

/// The SIP Date header format (RFC 3261 §20.17, RFC 1123, always GMT): "Sat, 13 Nov 2010 23:29:00 GMT".
package enum SIPDate {
    package static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
