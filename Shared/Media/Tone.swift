import Foundation

/// Tone generation and measurement on 8 kHz linear audio: a sine for tests and prompts, and the
/// Goertzel filter that tells how strong one frequency is (the basis of DTMF and tone checks).
package enum Tone {
    package static func sine(frequency: Double, samples: Int, amplitude: Double = 8000, sampleRate: Double = 8000) -> [Int16] {
        (0..<samples).map { Int16(amplitude * sin(2 * Double.pi * frequency * Double($0) / sampleRate)) }
    }

    /// Relative power of `frequency` in `samples` (Goertzel), normalised by the signal's energy so it
    /// lies in 0...1 for a pure tone at that frequency.
    package static func power(of frequency: Double, in samples: [Int16], sampleRate: Double = 8000) -> Double {
        power(of: frequency, in: samples, energy: energy(of: samples), sampleRate: sampleRate)
    }

    /// The same, with the samples' energy (sum of squares) computed once for several frequencies.
    package static func power(of frequency: Double, in samples: [Int16], energy: Double, sampleRate: Double = 8000) -> Double {
        guard !samples.isEmpty, energy > 0 else { return 0 }
        let coefficient = 2 * cos(2 * Double.pi * frequency / sampleRate)
        var previous = 0.0, beforePrevious = 0.0
        for sample in samples {
            let current = Double(sample) + coefficient * previous - beforePrevious
            beforePrevious = previous
            previous = current
        }
        let power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
        return power / (energy * Double(samples.count) / 2)
    }

    package static func energy(of samples: some Collection<Int16>) -> Double {
        samples.reduce(0.0) { $0 + Double($1) * Double($1) }
    }

    /// The strongest of `candidates` in the samples.
    package static func dominant(of candidates: [Double], in samples: [Int16]) -> Double? {
        candidates.max { power(of: $0, in: samples) < power(of: $1, in: samples) }
    }
}

