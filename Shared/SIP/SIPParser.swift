/// Why a message was refused, with the status a server answers it with (RFC 3261 §8.2, RFC 4475 §3.1.2).
package struct SIPParseError: Error, Equatable, CustomStringConvertible, Sendable {
    /// 400, 413, 416, 420, 505, 513, ...
    package let status: Int
    package let reason: String
    /// The start line and headers, when only the body was wrong: enough to answer the request.
    package var partial: SIPMessage?
    package var description: String { "\(status) \(reason)" }

    package init(_ status: Int, _ reason: String, partial: SIPMessage? = nil) {
        self.status = status
        self.reason = reason
        self.partial = partial
    }

    package static func == (lhs: SIPParseError, rhs: SIPParseError) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason
    }
}

/// Parses SIP messages from bytes (RFC 3261 §7, §25). Never traps: anything malformed is a
/// `SIPParseError` whose status says how to answer it.
package enum SIPParser {
    /// Largest message accepted (UDP datagram or TCP frame); larger ones get 513.
    package static let maximumMessageSize = 65_535

    /// Parses and validates one complete message, e.g. a UDP datagram.
    package static func parse(_ bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
        let message = try parseUnvalidated(bytes)
        try validate(message)
        return message
    }

    /// Parses the structure only (start line, headers, body), without the semantic checks of
    /// `validate`, so a server can still answer a request that fails them. Works on the bytes: each
    /// header's name and value become a `String` once, nothing else is copied.
    package static func parseUnvalidated(_ bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
        guard bytes.count <= maximumMessageSize else { throw SIPParseError(513, "Message Too Large") }
        guard let (headEnd, bodyStart) = headerEnd(bytes) else { throw SIPParseError(400, "No end of headers") }
        // Leading CRLFs before the start line are allowed (RFC 3261 §7.5).
        var start = 0
        while start + 1 < headEnd, bytes[start] == 13, bytes[start + 1] == 10 { start += 2 }
        // Headers that are not UTF-8 or a header line that is not one are refused, but the rest is
        // still read, so that the refusal can be answered (`partial`) when Via, Call-ID and CSeq are intact.
        var refusal: String?
        if !isUTF8(bytes[start..<headEnd]) { refusal = "Headers are not UTF-8" }
        let lines = unfold(bytes, start..<headEnd)
        guard let first = lines.first else { throw SIPParseError(400, "Empty message") }
        let (startLine, version) = try parseStartLine(String(decoding: first, as: UTF8.self))
        var headers: [SIPHeader] = []
        headers.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                refusal = refusal ?? "Header line without a colon"
                continue
            }
            let name = trimmed(line[line.startIndex..<colon])
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
                refusal = refusal ?? "Malformed header name"
                continue
            }
            let value = trimmed(line[(colon + 1)...])
            headers.append(SIPHeader(name: SIPHeader.canonicalName(String(decoding: name, as: UTF8.self)),
                                     value: String(decoding: value, as: UTF8.self)))
        }
        var message = SIPMessage(startLine: startLine, headers: headers)
        message.version = version
        if let refusal { throw SIPParseError(400, refusal, partial: message) }
        let available = bytes.count - bodyStart
        if let lengthText = message["Content-Length"] {
            guard let length = Int(lengthText), length >= 0 else {
                throw SIPParseError(400, "Malformed Content-Length", partial: message)
            }
            guard length <= available else { throw SIPParseError(400, "Content-Length larger than the body", partial: message) }
            message.body = Array(bytes[bodyStart..<(bodyStart + length)])
        } else {
            message.body = Array(bytes[bodyStart...])
        }
        return message
    }

    /// ASCII (the usual case) is checked byte by byte; anything else by the standard library.
    static func isUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) != nil
    }

    /// The end of the header block: (index of the blank line, index where the body starts).
    static func headerEnd(_ bytes: [UInt8]) -> (Int, Int)? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10 {
                if bytes[i + 1] == 10 { return (i, i + 2) }  // LF LF (tolerated)
                if i + 2 < bytes.count, bytes[i + 1] == 13, bytes[i + 2] == 10 { return (i, i + 3) }  // LF CR LF
            }
            i += 1
        }
        return nil
    }

    /// Splits the header block into lines (CRLF or LF) and joins continuation lines (leading space
    /// or tab) to the line before with one space; empty lines are dropped.
    static func unfold(_ bytes: [UInt8], _ range: Range<Int>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = range.lowerBound
        func take(_ end: Int) {
            var line = bytes[lineStart..<end]
            if line.last == 13 { line = line.dropLast() }
            if let first = line.first, first == 32 || first == 9, let previous = lines.last {
                lines[lines.count - 1] = ArraySlice(previous + [32] + trimmed(line))
            } else if !line.isEmpty {
                lines.append(line)
            }
        }
        var index = range.lowerBound
        while index < range.upperBound {
            if bytes[index] == 10 {
                take(index)
                lineStart = index + 1
            }
            index += 1
        }
        take(range.upperBound)
        return lines
    }

    /// Without leading and trailing space, tab, CR and LF.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, isWhitespaceByte(first) { slice = slice.dropFirst() }
        while let last = slice.last, isWhitespaceByte(last) { slice = slice.dropLast() }
        return slice
    }

    static func isWhitespaceByte(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 13 || byte == 10 }

    /// The start line and the protocol version it names (checked by `validate`, so that a request
    /// of another version can still be answered 505).
    static func parseStartLine(_ line: String) throws(SIPParseError) -> (SIPMessage.StartLine, String) {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        if line.hasPrefix("SIP/") {
            guard parts.count >= 2 else { throw SIPParseError(400, "Malformed status line") }
            guard parts[1].count == 3, let status = Int(parts[1]), (100...699).contains(status) else {
                throw SIPParseError(400, "Malformed status code")
            }
            return (.response(status: status, reason: parts.count > 2 ? String(parts[2]) : ""), String(parts[0]))
        }
        guard parts.count == 3, !parts[1].isEmpty else { throw SIPParseError(400, "Malformed request line") }
        let method = String(parts[0])
        guard !method.isEmpty, method.allSatisfy(isTokenCharacter) else { throw SIPParseError(400, "Malformed method") }
        guard parts[2].uppercased().hasPrefix("SIP/") else { throw SIPParseError(400, "Malformed request line") }
        let uri = String(parts[1])
        guard !uri.contains(where: { $0 == " " || $0 == "\t" }) else { throw SIPParseError(400, "Malformed Request-URI") }
        return (.request(method: method, uri: uri), parts[2].uppercased())
    }

    /// The checks every server makes before looking at a request (RFC 3261 §8.1.1, §8.2.2).
    package static func validate(_ message: SIPMessage) throws(SIPParseError) {
        guard message.version == "SIP/2.0" else { throw SIPParseError(505, "Version Not Supported") }
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] where message[name] == nil {
            throw SIPParseError(400, "Missing \(name)")
        }
        guard let cseq = CSeq(message["CSeq"] ?? "") else { throw SIPParseError(400, "Malformed CSeq") }
        for name in ["From", "To"] {
            guard NameAddress(message[name] ?? "") != nil else { throw SIPParseError(400, "Malformed \(name)") }
        }
        if message.values("From").count > 1 || message.values("To").count > 1 || message.headers.filter({ $0.name == "Call-ID" }).count > 1 {
            throw SIPParseError(400, "Repeated From, To or Call-ID")
        }
        if let maxForwards = message["Max-Forwards"] {
            guard let value = Int(maxForwards), (0...255).contains(value) else { throw SIPParseError(400, "Malformed Max-Forwards") }
        }
        if let expires = message["Expires"], UInt32(expires) == nil { throw SIPParseError(400, "Malformed Expires") }
        if message.headers.filter({ $0.name == "Content-Length" }).count > 1 { throw SIPParseError(400, "Repeated Content-Length") }
        for header in message.headers where header.name == "Via" {
            let entries = header.value.split(separator: ",", omittingEmptySubsequences: false)
            guard entries.allSatisfy({ Via(String($0)) != nil && !$0.contains(";;") && $0.trimmingSIPWhitespace().last != ";" }) else {
                throw SIPParseError(400, "Malformed Via")
            }
        }
        for contact in message.values("Contact") where NameAddress(contact) == nil {
            throw SIPParseError(400, "Malformed Contact")
        }
        guard case .request(let method, let uri) = message.startLine else { return }
        guard method == cseq.method else { throw SIPParseError(400, "CSeq method does not match the request") }
        guard !uri.hasPrefix("<"), let scheme = uri.split(separator: ":", maxSplits: 1).first?.lowercased(), uri.contains(":") else {
            throw SIPParseError(400, "Malformed Request-URI")
        }
        guard scheme == "sip" || scheme == "sips" || scheme == "tel" else { throw SIPParseError(416, "Unsupported URI Scheme") }
        guard SIPURI(uri) != nil || scheme == "tel" else { throw SIPParseError(400, "Malformed Request-URI") }
    }

    static func isTokenCharacter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return isTokenByte(ascii)
    }

    static func isTokenByte(_ ascii: UInt8) -> Bool {
        switch ascii {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return "-.!%*_+`'~".utf8.contains(ascii)
        }
    }
}

/// CSeq: a sequence number and a method.
package struct CSeq: Sendable, Equatable {
    package var number: UInt32
    package var method: String

    package init?(_ text: String) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, let number = UInt32(parts[0]), parts[1].allSatisfy(SIPParser.isTokenCharacter) else { return nil }
        self.number = number
        self.method = String(parts[1])
    }
}
