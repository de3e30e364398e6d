import Media
import Testing

@Suite("DTMF keys and RFC 4733 events")
struct DTMFTests {
    @Test("the sixteen keys map to their event codes and characters and back")
    func keys() {
        #expect(DTMFKey.allCases.map(\.character) == Array("0123456789*#ABCD"))
        for key in DTMFKey.allCases {
            #expect(DTMFKey(eventCode: key.eventCode) == key)
            #expect(DTMFKey(key.character) == key)
        }
        #expect(DTMFKey(eventCode: 16) == nil, "16 is flash, not a key")
        #expect(DTMFKey("e") == nil && DTMFKey("d") == .d)
    }

    @Test("an event block: code, end bit, volume, duration (RFC 4733 §2.3)")
    func event() throws {
        // SIPp's dtmf_2833_pound.pcap sends event 11 with volume 10; the end packets set E.
        let end = try #require(TelephoneEvent(payload: [11, 0x8A, 0x03, 0x20]))
        #expect(end.key == .pound && end.isEnd && end.volume == 10 && end.duration == 800)
        let start = try #require(TelephoneEvent(payload: [5, 0x0A, 0, 160, 0xFF]))
        #expect(start.key == .five && !start.isEnd && start.duration == 160)
        #expect(TelephoneEvent(payload: start.serialized) == start)
        #expect(TelephoneEvent(payload: [5, 0x0A, 0]) == nil, "a block is four bytes")
        #expect(TelephoneEvent(payload: [16, 0, 0, 1])?.key == nil)
    }
}
