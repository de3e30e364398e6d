import Media
import Testing

@Suite("silence around a voice message")
struct SilenceTests {
    @Test("the pause before and after the sound goes, a margin stays, a pause inside stays, quiet line noise counts as silence")
    func trimmed() {
        let noise = (0..<8_000).map { _ in Int16.random(in: -150...150) }
        let tone = Tone.sine(frequency: 440, samples: 16_000)
        let pause = [Int16](repeating: 0, count: 4_000)
        let message = noise + tone + pause + tone + [Int16](repeating: 0, count: 12_000)
        let kept = Silence.trimmed(message)
        #expect(kept.count == Silence.marginSamples + 16_000 + 4_000 + 16_000 + Silence.marginSamples)
        #expect(Array(kept[Silence.marginSamples..<Silence.marginSamples + 16_000]) == tone)
        #expect(Silence.trimmed(noise + pause).isEmpty, "nothing but silence is nothing")
        #expect(Silence.trimmed(tone) == tone, "no margin to add at the ends of the audio")
    }
}
