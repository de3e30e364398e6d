import NIOCore

/// One reply of an SMTP server (RFC 5321 §4.2): a three-digit code and its text lines, one for
/// `250 OK`, several for `250-…` continuations (EHLO lists its extensions so).
package struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    package let code: Int
    /// The text after each line's code, without the separator.
    package let lines: [String]

    package init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2yz: done.
    package var isPositive: Bool { (200...299).contains(code) }
    /// 3yz: go on (354 after DATA, 334 during AUTH).
    package var isIntermediate: Bool { (300...399).contains(code) }
    /// 4yz: not now; the same command may work later.
    package var isTransientNegative: Bool { (400...499).contains(code) }

    package var description: String { "\(code) \(lines.joined(separator: " / "))" }
}

/// Replies from the byte stream, multi-line ones gathered: `ddd-text` lines then one `ddd text`
/// (or a bare `ddd`). Bounded: a line longer than `maximumLineLength` or a reply of more than
/// `maximumLines` is an error, not an ever-growing buffer.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    struct MalformedReply: Error, CustomStringConvertible {
        let description: String
    }

    /// RFC 5321 §4.5.3.1.5 allows 512 octets; real servers' texts stay well inside this.
    var maximumLineLength = 4_096
    var maximumLines = 256
    private var code: Int?
    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLineLength {
                throw MalformedReply(description: "a reply line longer than \(maximumLineLength) bytes")
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= maximumLineLength, var line = buffer.readBytes(length: length + 1) else {
            throw MalformedReply(description: "a reply line longer than \(maximumLineLength) bytes")
        }
        line.removeLast()
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if let reply = try take(line) { context.fireChannelRead(wrapInboundOut(reply)) }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // What is left is a reply the server did not finish; the closed channel reports it.
        return .needMoreData
    }

    /// One line; a reply when it is the last of one.
    private mutating func take(_ line: [UInt8]) throws -> SMTPReply? {
        let digits = line.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-"),
            let value = Int(String(decoding: digits, as: UTF8.self)), (200...599).contains(value)
        else {
            throw MalformedReply(
                description: "not an SMTP reply line: \(String(decoding: line.prefix(80), as: UTF8.self))")
        }
        if let code, code != value {
            throw MalformedReply(description: "a multi-line reply changed its code from \(code) to \(value)")
        }
        code = value
        lines.append(String(decoding: line.dropFirst(4), as: UTF8.self))
        guard lines.count <= maximumLines else {
            throw MalformedReply(description: "a reply of more than \(maximumLines) lines")
        }
        guard line.count == 3 || line[3] == UInt8(ascii: " ") else { return nil }
        defer {
            code = nil
            lines = []
        }
        return SMTPReply(code: value, lines: lines)
    }
}
