import NIOCore

/// Frames SIP messages on a stream transport (TCP, TLS) by Content-Length (RFC 3261 §18.3), the way
/// swift-nio-extras frames JSON-RPC: an explicit state, bounded by `maximumMessageSize`. CRLF
/// keep-alives between messages (RFC 5626 §3.5.1) are skipped.
package struct SIPStreamDecoder: ByteToMessageDecoder {
    package typealias InboundOut = [UInt8]

    /// Why the stream cannot be framed any further; the connection is answered (when the header
    /// block is complete: `head` holds it) and closed.
    package enum FramingError: Error, Equatable {
        /// Headers or body beyond the limit: answer 513.
        case messageTooLarge(head: [UInt8]?)
        /// No usable Content-Length: answer 400.
        case missingContentLength(head: [UInt8])

        /// The status a server answers with (RFC 3261 §18.3, §21.5.14).
        package var status: Int {
            switch self {
            case .messageTooLarge: 513
            case .missingContentLength: 400
            }
        }

        package var reason: String {
            switch self {
            case .messageTooLarge: "Message Too Large"
            case .missingContentLength: "Missing or malformed Content-Length"
            }
        }

        /// The header block of the message that broke the framing, if it was complete.
        package var head: [UInt8]? {
            switch self {
            case .messageTooLarge(let head): head
            case .missingContentLength(let head): head
            }
        }
    }

    enum State: Equatable {
        case waitingForHeaders
        case waitingForBody(headerLength: Int, bodyLength: Int)
    }

    private var state = State.waitingForHeaders
    let maximumMessageSize: Int

    package init(maximumMessageSize: Int = SIPParser.maximumMessageSize) {
        self.maximumMessageSize = maximumMessageSize
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try nextMessage(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// The next complete message in `buffer` (consumed from it), or nil until more bytes arrive.
    /// The framing itself, without a channel, so tests and the fuzzer drive it directly.
    package mutating func nextMessage(_ buffer: inout ByteBuffer) throws(FramingError) -> [UInt8]? {
        if state == .waitingForHeaders {
            while let first = buffer.readableBytesView.first, first == 13 || first == 10 { buffer.moveReaderIndex(forwardBy: 1) }
            let view = buffer.readableBytesView
            guard let end = Self.headerEnd(view) else {
                if view.count > maximumMessageSize { throw .messageTooLarge(head: nil) }
                return nil
            }
            let headerLength = end - view.startIndex
            let head = Array(view[view.startIndex..<end])
            guard headerLength <= maximumMessageSize else { throw .messageTooLarge(head: nil) }
            guard let bodyLength = Self.contentLength(head) else { throw .missingContentLength(head: head) }
            // Compared by subtraction: a Content-Length near Int.max must not overflow the sum.
            guard bodyLength <= maximumMessageSize - headerLength else { throw .messageTooLarge(head: head) }
            state = .waitingForBody(headerLength: headerLength, bodyLength: bodyLength)
        }
        guard case .waitingForBody(let headerLength, let bodyLength) = state,
              buffer.readableBytes >= headerLength + bodyLength,
              let bytes = buffer.readBytes(length: headerLength + bodyLength)
        else { return nil }
        state = .waitingForHeaders
        return bytes
    }

    /// Index just past the blank line that ends the headers.
    static func headerEnd(_ view: ByteBufferView) -> ByteBufferView.Index? {
        var index = view.startIndex
        while index + 3 < view.endIndex {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 { return index + 4 }
            index += 1
        }
        return nil
    }

    /// Content-Length (or `l`) from a header block; required on streams. Only digits count: a sign,
    /// spaces inside or a second value make the stream unframeable.
    static func contentLength(_ head: [UInt8]) -> Int? {
        let text = String(decoding: head, as: UTF8.self)
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" }).dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingSIPWhitespace().lowercased()
            if name == "content-length" || name == "l" {
                let value = line[line.index(after: colon)...].trimmingSIPWhitespace()
                guard !value.isEmpty, value.count <= 10, value.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
                return Int(value)
            }
        }
        return nil
    }
}
