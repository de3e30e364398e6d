import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import Recording

@Suite("SMTP protocol")
struct SMTPProtocolTests {
    @Test("replies decode whole, multi-line ones gathered, byte by byte and merged alike")
    func decoder() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("220 smtp.example ESMTP ready\r\n", [SMTPReply(code: 220, lines: ["smtp.example ESMTP ready"])]),
                (
                    "250-smtp.example\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n",
                    [SMTPReply(code: 250, lines: ["smtp.example", "SIZE 1000", "STARTTLS", "AUTH PLAIN LOGIN"])]
                ),
                ("354\r\n", [SMTPReply(code: 354, lines: [""])]),
                ("451 4.3.0 later\n", [SMTPReply(code: 451, lines: ["4.3.0 later"])]),
            ], decoderFactory: { SMTPReplyDecoder() })
    }

    @Test(
        "what is not a reply is an error: no code, a code that changes, an endless line",
        arguments: [
            "HTTP/1.1 400 Bad Request\r\n", "250-one\r\n251 two\r\n", "25\r\n", "2500 x\r\n", "099 x\r\n",
            "endless",
        ])
    func malformed(_ input: String) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
        // Made here, not in the arguments, which the test log prints.
        let bytes = input == "endless" ? String(repeating: "2", count: 5_000) : input
        #expect(throws: SMTPReplyDecoder.MalformedReply.self) {
            try channel.writeInbound(ByteBuffer(string: bytes))
        }
        _ = try? channel.finish()
    }

    @Test("EHLO's extensions: STARTTLS, AUTH (also the old AUTH= form), SIZE")
    func capabilities() {
        let modern = SMTPCapabilities(
            ehlo: SMTPReply(
                code: 250,
                lines: [
                    "relay.example", "PIPELINING", "SIZE 35882577", "starttls", "AUTH PLAIN LOGIN XOAUTH2", "8BITMIME",
                ]))
        #expect(
            modern.startTLS && modern.authentication == ["PLAIN", "LOGIN", "XOAUTH2"] && modern.sizeLimit == 35_882_577)
        let old = SMTPCapabilities(ehlo: SMTPReply(code: 250, lines: ["relay", "AUTH=LOGIN", "SIZE 0"]))
        #expect(!old.startTLS && old.authentication == ["LOGIN"] && old.sizeLimit == nil)
        #expect(
            SMTPCapabilities(ehlo: SMTPReply(code: 250, lines: ["STARTTLS"])) == SMTPCapabilities(),
            "the first line is the relay's name, not an extension")
    }

    @Test("4yz replies and a lost connection are transient; 5yz and TLS failures permanent")
    func transience() {
        func error(_ reason: SMTPError.Reason) -> SMTPError { SMTPError(reason, step: .data, relay: "relay:587") }
        #expect(error(.rejected(SMTPReply(code: 451, lines: ["4.3.0 later"]))).isTransient)
        #expect(error(.rejected(SMTPReply(code: 421, lines: ["closing"]))).isTransient)
        #expect(!error(.rejected(SMTPReply(code: 535, lines: ["5.7.8 bad credentials"]))).isTransient)
        #expect(!error(.rejected(SMTPReply(code: 550, lines: ["no such user"]))).isTransient)
        #expect(error(.connectFailed("refused")).isTransient && error(.timedOut).isTransient)
        #expect(error(.connectionClosed("reset")).isTransient)
        #expect(!error(.tls("CERTIFICATE_VERIFY_FAILED")).isTransient && !error(.startTLSUnavailable).isTransient)
        #expect(
            "\(error(.rejected(SMTPReply(code: 451, lines: ["4.3.0 later"]))))"
                == "SMTP relay:587, DATA: refused: 451 4.3.0 later (transient)")
    }

    @Test("dot-stuffing: a dot before every line that starts with one, line ends made CRLF, the closing line")
    func dotStuffing() {
        func stuffed(_ text: String) -> String { String(buffer: DotStuffing.data(Array(text.utf8))) }
        #expect(stuffed(".\r\n..two\r\nthree.\r\n.") == "..\r\n...two\r\nthree.\r\n..\r\n.\r\n")
        #expect(stuffed("bare\n.lf\rcr") == "bare\r\n..lf\r\ncr\r\n.\r\n")
        #expect(stuffed("") == ".\r\n")
    }
}
