/// What counts as silence on 8 kHz linear audio, and the trimming of it around a voice message:
/// the edge ends a recording after so much of it, and `recording` keeps a message from its first
/// sound to its last (the pause before the caller speaks and after they stop is not the message).
package enum Silence {
    /// A 20 ms frame.
    package static let frameSamples = 160
    /// A frame is quiet below this RMS (about -44 dBFS): line noise, not a voice.
    package static let thresholdRMS = 200.0
    /// Kept on each side of the sound, so that a soft first or last syllable is not clipped.
    package static let marginSamples = 1_200

    package static func isQuiet(_ frame: some Collection<Int16>) -> Bool {
        Tone.energy(of: frame) < thresholdRMS * thresholdRMS * Double(frame.count)
    }

    /// `samples` from a margin before the first frame that is not quiet to a margin after the last;
    /// empty when every frame is quiet.
    package static func trimmed(_ samples: [Int16]) -> [Int16] {
        let frames = stride(from: 0, to: samples.count, by: frameSamples).map { $0..<min($0 + frameSamples, samples.count) }
        guard let first = frames.first(where: { !isQuiet(samples[$0]) }),
              let last = frames.last(where: { !isQuiet(samples[$0]) }) else { return [] }
        return Array(samples[max(first.lowerBound - marginSamples, 0)..<min(last.upperBound + marginSamples, samples.count)])
    }
}
