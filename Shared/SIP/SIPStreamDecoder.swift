import NIOCore

/// Frames SIP messages on a stream transport (TCP, TLS) by Content-Length (RFC 3261 §18.3), the way
/// swift-nio-extras frames JSON-RPC: an explicit state, bounded by `maximumMessageSize`. CRLF
/// keep-alives between messages (RFC 5626 §3.5.1) are skipped.
package struct SIPStreamDecoder: ByteToMessageDecoder {
    package typealias InboundOut = [UInt8]

    package enum FramingError: Error, Equatable {
        /// Headers or body beyond the limit: answer 513 and close.
        case messageTooLarge
        /// No usable Content-Length: the stream cannot be framed any further; answer 400 and close.
        case missingContentLength
    }

    enum State {
        case waitingForHeaders
        case waitingForBody(headerLength: Int, bodyLength: Int)
    }

    private var state = State.waitingForHeaders
    let maximumMessageSize: Int

    package init(maximumMessageSize: Int = SIPParser.maximumMessageSize) {
        self.maximumMessageSize = maximumMessageSize
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .waitingForHeaders:
            while let first = buffer.readableBytesView.first, first == 13 || first == 10 { buffer.moveReaderIndex(forwardBy: 1) }
            let view = buffer.readableBytesView
            guard let end = Self.headerEnd(view) else {
                if view.count > maximumMessageSize { throw FramingError.messageTooLarge }
                return .needMoreData
            }
            let headerLength = end - view.startIndex
            guard let head = buffer.getString(at: buffer.readerIndex, length: headerLength),
                  let bodyLength = Self.contentLength(head)
            else { throw FramingError.missingContentLength }
            guard headerLength + bodyLength <= maximumMessageSize else { throw FramingError.messageTooLarge }
            state = .waitingForBody(headerLength: headerLength, bodyLength: bodyLength)
            return .continue
        case .waitingForBody(let headerLength, let bodyLength):
            guard buffer.readableBytes >= headerLength + bodyLength,
                  let bytes = buffer.readBytes(length: headerLength + bodyLength)
            else { return .needMoreData }
            state = .waitingForHeaders
            context.fireChannelRead(wrapInboundOut(bytes))
            return .continue
        }
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
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

    /// Content-Length (or `l`) from a header block; required on streams.
    static func contentLength(_ head: String) -> Int? {
        for line in head.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" }).dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingSIPWhitespace().lowercased()
            if name == "content-length" || name == "l" {
                return Int(line[line.index(after: colon)...].trimmingSIPWhitespace()).flatMap { $0 >= 0 ? $0 : nil }
            }
        }
        return nil
    }
}
