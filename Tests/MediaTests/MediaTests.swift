import Media
import Testing

@Suite struct G711Tests {
    @Test func ulawRoundTripsWithinItsQuantisation() {
        for sample in stride(from: -32_000, through: 32_000, by: 97) {
            let decoded = Int(G711.decodeULaw(G711.encodeULaw(Int16(sample))))
            // µ-law steps grow with the magnitude: at most 1/16 of it, at least a few units.
            #expect(abs(decoded - sample) <= max(8, abs(sample) / 16), "sample \(sample) → \(decoded)")
        }
    }

    @Test func alawRoundTripsWithinItsQuantisation() {
        for sample in stride(from: -32_000, through: 32_000, by: 97) {
            let decoded = Int(G711.decodeALaw(G711.encodeALaw(Int16(sample))))
            #expect(abs(decoded - sample) <= max(16, abs(sample) / 16), "sample \(sample) → \(decoded)")
        }
    }

    @Test func knownCodeWords() {
        // ITU-T G.711 tables: silence and full scale.
        #expect(G711.encodeULaw(0) == 0xFF)
        #expect(G711.encodeALaw(0) == 0xD5)
        #expect(G711.decodeULaw(0x00) == -32_124)
        #expect(G711.decodeULaw(0x80) == 32_124)
        #expect(G711.decodeALaw(0xAA) == 32_256)
        #expect(G711.decodeALaw(0x2A) == -32_256)
    }

    @Test func transcodingKeepsATone() {
        let tone = Tone.sine(frequency: 1000, samples: 800)
        let ulaw = tone.map(G711.encodeULaw)
        let alaw = ulaw.map { G711.ulawToALaw[Int($0)] }
        let back = alaw.map { G711.alawToLinear[Int($0)] }
        #expect(Tone.power(of: 1000, in: back) > 0.9)
        #expect(Tone.power(of: 400, in: back) < 0.01)
        #expect(Tone.dominant(of: [400, 700, 1000, 1400], in: back) == 1000)
    }
}

@Suite struct RTPHeaderTests {
    @Test func readsTheFixedHeader() {
        let packet = RTPHeader.make(payloadType: 8, marker: true, sequenceNumber: 513, timestamp: 160_000, ssrc: 0xDEADBEEF) + [1, 2, 3]
        let header = RTPHeader(packet)
        #expect(header?.payloadType == 8)
        #expect(header?.marker == true)
        #expect(header?.sequenceNumber == 513)
        #expect(header?.timestamp == 160_000)
        #expect(header?.ssrc == 0xDEADBEEF)
        #expect(header?.payloadOffset == 12)
    }

    @Test func skipsCSRCsAndExtensionsAndRefusesGarbage() {
        var packet = RTPHeader.make(payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1)
        packet[0] |= 0x10 | 0x02  // extension, two CSRCs
        packet += [0, 0, 0, 1, 0, 0, 0, 2]  // CSRCs
        packet += [0xBE, 0xDE, 0, 1, 9, 9, 9, 9]  // one-word extension
        packet += [0x55]
        #expect(RTPHeader(packet)?.payloadOffset == 28)
        #expect(RTPHeader([0x80, 0]) == nil)
        #expect(RTPHeader(Array(repeating: 0, count: 20)) == nil)  // version 0
        #expect(RTPHeader(Array(packet.prefix(20))) == nil)  // cut inside the extension
        var rtcp = RTPHeader.make(payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1)
        rtcp[1] = 200  // an RTCP sender report on a shared port
        #expect(RTPHeader(rtcp) == nil)
    }
}
