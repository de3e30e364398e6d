import Media
import Testing

@testable import Recording

@Suite("Ogg Opus, the archive format of call recordings")
struct OggOpusTests {
    /// Interleaves two channels as the archive takes them.
    private func stereo(_ left: [Int16], _ right: [Int16]) -> [Int16] {
        zip(left, right).flatMap { [$0, $1] }
    }

    @Test("a stereo recording comes back as long as it went in, each channel's tone on its side, in a tenth of a WAV's bytes")
    func roundTrip() throws {
        let seconds = 5
        let left = Tone.sine(frequency: 440, samples: seconds * 8_000)
        let right = Tone.sine(frequency: 1_000, samples: seconds * 8_000)
        let encoded = try OggOpus.encode(interleaved: stereo(left, right))
        #expect(Array(encoded.prefix(4)) == Array("OggS".utf8))
        let wavBytes = 44 + seconds * 8_000 * 2 * 2
        #expect(encoded.count < wavBytes / 10, "\(encoded.count) bytes for \(seconds) s")

        let (channels, samples) = try OggOpus.decode(encoded)
        #expect(channels == 2)
        #expect(samples.count == seconds * 8_000 * 2)
        let decodedLeft = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        let decodedRight = stride(from: 1, to: samples.count, by: 2).map { samples[$0] }
        // The middle second: the codec's start-up is not the point.
        let middle = { (channel: [Int16]) in Array(channel[16_000..<24_000]) }
        #expect(Tone.power(of: 440, in: middle(decodedLeft)) > 0.8)
        #expect(Tone.power(of: 1_000, in: middle(decodedRight)) > 0.8)
        #expect(Tone.power(of: 1_000, in: middle(decodedLeft)) < 0.1, "the right channel leaks into the left")
    }

    @Test("an empty recording is a valid stream of no audio; bytes that are not Ogg Opus are refused with the reason")
    func edges() throws {
        let empty = try OggOpus.decode(try OggOpus.encode(interleaved: []))
        #expect(empty.samples.isEmpty)
        #expect(throws: OggOpus.Failure.self) { try OggOpus.decode(Array("RIFF....WAVE".utf8)) }
        let encoded = try OggOpus.encode(interleaved: stereo(Tone.sine(frequency: 440, samples: 8_000), Tone.sine(frequency: 440, samples: 8_000)))
        #expect(throws: OggOpus.Failure.self) { try OggOpus.decode(Array(encoded.prefix(encoded.count - 10))) }
        var flipped = encoded
        flipped[flipped.count / 2] ^= 0x40
        #expect(throws: OggOpus.Failure.self, "a changed byte fails the page's checksum") { try OggOpus.decode(flipped) }
    }
}
