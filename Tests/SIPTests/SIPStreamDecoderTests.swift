import NIOCore
import NIOEmbedded
import NIOTestUtils
import SIP
import Testing

@Suite("SIP stream framing")
struct SIPStreamDecoderTests {
    static let first = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello".utf8)
    static let second = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\nl: 0\r\n\r\n".utf8)

    @Test("messages are framed by Content-Length whatever the chunking (byte by byte, merged)")
    func framing() throws {
        var input = ByteBuffer(bytes: Self.first)
        input.writeBytes(Array("\r\n\r\n".utf8))  // keep-alive between messages
        input.writeBytes(Self.second)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, [Self.first, Self.second])],
            decoderFactory: { SIPStreamDecoder() })
    }

    @Test("a message larger than the limit is refused instead of buffered")
    func tooLarge() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SIPStreamDecoder(maximumMessageSize: 100)))
        let big = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\n".utf8)
        #expect(throws: SIPStreamDecoder.FramingError.messageTooLarge(head: big)) { try channel.writeInbound(ByteBuffer(bytes: big)) }
        let endless = EmbeddedChannel(handler: ByteToMessageHandler(SIPStreamDecoder(maximumMessageSize: 100)))
        #expect(throws: SIPStreamDecoder.FramingError.messageTooLarge(head: nil)) {
            try endless.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 65, count: 200)))
        }
    }

    @Test("a message without Content-Length cannot be framed on a stream")
    func missingLength() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SIPStreamDecoder()))
        let head = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n".utf8)
        #expect(throws: SIPStreamDecoder.FramingError.missingContentLength(head: head)) {
            try channel.writeInbound(ByteBuffer(bytes: head))
        }
    }

    @Test("a Content-Length near Int.max is refused, not added up until it overflows", arguments: [
        "9223372036854775807", "99999999999999999999", "-1", "+5", "1 2", "0x10",
    ])
    func hugeContentLength(value: String) throws {
        var decoder = SIPStreamDecoder()
        var buffer = ByteBuffer(string: "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: \(value)\r\n\r\n")
        #expect(throws: SIPStreamDecoder.FramingError.self) { _ = try decoder.nextMessage(&buffer) }
    }
}
