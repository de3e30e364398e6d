import Foundation
import Media
import Testing

@Suite("in-band DTMF (Goertzel)")
struct InBandDTMFTests {
    /// The samples as they arrive over a G.711 µ-law leg.
    static func throughULaw(_ samples: [Int16]) -> [Int16] {
        samples.map { G711.ulawToLinear[Int(G711.encodeULaw($0))] }
    }

    static let silence = [Int16](repeating: 0, count: 480)

    @Test("each of the sixteen keys, 70 ms of tone through µ-law, is found once", arguments: DTMFKey.allCases)
    func everyKey(key: DTMFKey) {
        var detector = InBandDTMFDetector()
        let keys = detector.feed(Self.throughULaw(Self.silence + Tone.dtmf(key, samples: 560) + Self.silence))
        #expect(keys == [key])
    }

    @Test("a number dialled as tones, 80 ms on and 60 ms off in 20 ms frames, comes out in order")
    func sequence() {
        var detector = InBandDTMFDetector()
        var audio: [Int16] = []
        for character in "0372*5550123#" {
            audio += Tone.dtmf(DTMFKey(character)!, samples: 640) + [Int16](repeating: 0, count: 480)
        }
        var found: [DTMFKey] = []
        for frame in stride(from: 0, to: audio.count, by: 160) {
            found += detector.feed(Self.throughULaw(Array(audio[frame..<min(frame + 160, audio.count)])))
        }
        #expect(String(found.map(\.character)) == "0372*5550123#")
    }

    @Test("a key held for a second is one key; the same key again after a gap is a second")
    func heldKey() {
        var detector = InBandDTMFDetector()
        #expect(detector.feed(Tone.dtmf(.five, samples: 8000)) == [.five])
        #expect(detector.feed(Self.silence + Tone.dtmf(.five, samples: 800)) == [.five])
    }

    @Test("not keys: silence, one tone, a chord of speech-like tones, a quiet key, noise")
    func falsePositives() {
        var detector = InBandDTMFDetector()
        #expect(detector.feed(Self.silence + Self.silence).isEmpty)
        #expect(detector.feed(Tone.sine(frequency: 697, samples: 4000)).isEmpty, "a row tone alone")
        #expect(detector.feed(Tone.sine(frequency: 1000, samples: 4000)).isEmpty, "a test tone")
        let vowel = zip(zip(Tone.sine(frequency: 300, samples: 4000), Tone.sine(frequency: 700, samples: 4000, amplitude: 4000)),
                        Tone.sine(frequency: 1200, samples: 4000, amplitude: 3000)).map { Int16(clamping: Int($0.0) + Int($0.1) + Int($1)) }
        #expect(detector.feed(vowel).isEmpty, "formant-like chord")
        #expect(detector.feed(Tone.dtmf(.one, samples: 800, amplitude: 20)).isEmpty, "below the energy floor")
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<8000).map { _ in Int16.random(in: -6000...6000, using: &generator) }
        #expect(detector.feed(noise).isEmpty, "white noise")
    }

    @Test("a tone too short (one block) is not a key")
    func tooShort() {
        var detector = InBandDTMFDetector()
        #expect(detector.feed(Self.silence + Tone.dtmf(.seven, samples: 240) + Self.silence).isEmpty)
    }
}
