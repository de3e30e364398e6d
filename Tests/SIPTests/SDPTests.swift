import SIP
import Testing

@Suite struct SDPTests {
    static let offer = Array("""
        v=0\r
        o=alice 2890844526 2890844527 IN IP4 192.0.2.10\r
        s=-\r
        c=IN IP4 192.0.2.10\r
        t=0 0\r
        m=audio 49170 RTP/AVP 8 0 18 101\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-15\r
        a=ptime:20\r
        a=sendonly\r
        m=video 51372 RTP/AVP 31\r
        a=rtpmap:31 H261/90000\r

        """.utf8)

    @Test func readsTheAudioStream() throws {
        let sdp = try SessionDescription.parse(Self.offer)
        #expect(sdp.address == "192.0.2.10")
        #expect(sdp.audioPort == 49170)
        #expect(sdp.formats.map(\.payloadType) == [8, 0, 18, 101])
        #expect(sdp.g711.map(\.encoding) == ["PCMA", "PCMU"], "static types without rtpmap are known; order kept")
        #expect(sdp.telephoneEvent?.payloadType == 101)
        #expect(sdp.telephoneEvent?.parameters == "0-15")
        #expect(sdp.direction == .sendonly)
        #expect(sdp.isHold)
        #expect(sdp.ptime == 20)
        #expect(sdp.sessionVersion == 2890844527)
        #expect(sdp.otherMedia == ["video 51372 RTP/AVP 31"])
    }

    @Test func anAnswerRefusesOtherStreamsWithPortZero() throws {
        var answer = try SessionDescription.parse(Self.offer)
        answer.formats = [.pcma, .telephoneEvent(101)]
        answer.direction = answer.direction.answer
        let text = String(decoding: answer.serialized(), as: UTF8.self)
        #expect(text.contains("m=audio 49170 RTP/AVP 8 101\r\n"))
        #expect(text.contains("a=recvonly\r\n"))
        #expect(text.contains("m=video 0 RTP/AVP 31\r\n"))
        #expect(try SessionDescription.parse(answer.serialized()).formats == answer.formats, "what it writes it reads back")
    }

    @Test func mediaLevelConnectionAndOldStyleHold() throws {
        let sdp = try SessionDescription.parse(Array("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n".utf8))
        #expect(sdp.address == "0.0.0.0")
        #expect(sdp.isHold, "c=0.0.0.0 is hold (RFC 2543)")
        #expect(sdp.direction == .sendrecv)
    }

    @Test func refusesDescriptionsWithoutUsableAudio() {
        #expect(throws: SessionDescription.ParseError.self) { try SessionDescription.parse(Array("v=0\r\nm=video 1 RTP/AVP 31\r\n".utf8)) }
        #expect(throws: SessionDescription.ParseError.self) { try SessionDescription.parse(Array("v=0\r\nm=audio 4000 RTP/AVP 0\r\n".utf8)) }
        #expect(throws: SessionDescription.ParseError.self) { try SessionDescription.parse(Array("m=audio 99999 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n".utf8)) }
        #expect(throws: SessionDescription.ParseError.self) { try SessionDescription.parse([0xFF, 0xFE, 0x00]) }
    }

    /// Found by the fuzzer (Fuzz/Crashes/sdp): addresses the edge would have sent RTP to and
    /// written back into its own SDP, where they no longer parse.
    @Test("a connection address that is empty or not an address is refused", arguments: [
        "c=IN IP4 /127", "c=IN IP6 \t ", "c=IN IP4 <1.2.3.4>", "c=IN IP4 1.2.3.4;x",
    ])
    func refusesBadConnectionAddress(line: String) {
        #expect(throws: SessionDescription.ParseError.self) {
            try SessionDescription.parse(Array("v=0\r\n\(line)\r\nm=audio 4000 RTP/AVP 0\r\n".utf8))
        }
    }

    @Test func tabsSeparateFieldsLikeSpaces() throws {
        let sdp = try SessionDescription.parse(Array("v=0\r\nc=IN\tIP4\t192.0.2.7\r\nm=audio\t4000 RTP/AVP\t8\r\n".utf8))
        #expect(sdp.address == "192.0.2.7" && sdp.audioPort == 4000 && sdp.formats == [.pcma])
    }

    @Test func dialogRequestsCarryTheDialogState() {
        var dialog = Dialog(callID: "c1", localURI: "<sip:edge@a.example>", localTag: "l1", remoteURI: "\"Bob\" <sip:bob@b.example>",
                            remoteTag: "r1", remoteTarget: "<sip:bob@192.0.2.4:5062>", routeSet: ["<sip:proxy.example;lr>"], localCSeq: 1)
        let bye = dialog.request("BYE", via: "SIP/2.0/UDP a.example;branch=z9hG4bK1", contact: nil)
        #expect(bye.requestURI == "sip:bob@192.0.2.4:5062")
        #expect(bye["CSeq"] == "2 BYE")
        #expect(bye["From"] == "<sip:edge@a.example>;tag=l1")
        #expect(bye["To"] == "\"Bob\" <sip:bob@b.example>;tag=r1")
        #expect(bye["Route"] == "<sip:proxy.example;lr>")
        #expect(dialog.ack(cseq: 1, via: "SIP/2.0/UDP a.example;branch=z9hG4bK2")["CSeq"] == "1 ACK")
        let first = dialog.acceptRemote(cseq: 5, method: "INVITE")
        let repeated = dialog.acceptRemote(cseq: 5, method: "BYE")
        let next = dialog.acceptRemote(cseq: 6, method: "BYE")
        #expect(first)
        #expect(!repeated, "a repeated CSeq is out of order")
        #expect(next)
    }
}
