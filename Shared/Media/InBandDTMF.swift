import Foundation

/// DTMF as tones in the audio (ITU-T Q.23/Q.24), for trunks that send keys in-band rather than as
/// RFC 4733 events: eight Goertzel filters over 205-sample blocks (25.6 ms at 8 kHz, the classic
/// size whose bins fall near all eight frequencies), a key when one row and one column tone
/// dominate the block, and a key reported once it holds for two blocks and again only after a gap.
package struct InBandDTMFDetector: Sendable {
    static let rows: [Double] = [697, 770, 852, 941]
    static let columns: [Double] = [1209, 1336, 1477, 1633]
    static let keys: [[DTMFKey]] = [[.one, .two, .three, .a], [.four, .five, .six, .b],
                                    [.seven, .eight, .nine, .c], [.star, .zero, .pound, .d]]
    static let blockSize = 205
    /// Below this mean square (about −45 dBm0) a block is silence.
    static let minimumEnergy = 30.0 * 30.0
    /// The share of the block's energy each of the two tones must carry, and both together.
    static let minimumTone = 0.15
    static let minimumPair = 0.6
    /// How much stronger the winning tone of a group must be than the group's next one.
    static let dominance = 4.0
    /// The most one tone may exceed the other (twist, Q.24: 8 dB normal, 4 dB reverse; a little more allowed).
    static let maximumTwist = 10.0

    private var block: [Int16] = []
    private var candidate: DTMFKey?
    private var candidateBlocks = 0
    /// The key being held; it is not reported again until a block without it.
    private var held: DTMFKey?
    private var gapBlocks = 0

    package init() { block.reserveCapacity(Self.blockSize) }

    /// Feeds linear 8 kHz samples; returns the keys that began in them.
    package mutating func feed(_ samples: some Sequence<Int16>) -> [DTMFKey] {
        var began: [DTMFKey] = []
        for sample in samples {
            block.append(sample)
            guard block.count == Self.blockSize else { continue }
            if let key = step(Self.key(in: block)) { began.append(key) }
            block.removeAll(keepingCapacity: true)
        }
        return began
    }

    /// Two blocks in a row make a key; two blocks without it end it.
    private mutating func step(_ key: DTMFKey?) -> DTMFKey? {
        if let key, key == candidate {
            candidateBlocks += 1
        } else {
            candidate = key
            candidateBlocks = key == nil ? 0 : 1
        }
        if key == nil || key != held {
            gapBlocks += 1
            if gapBlocks >= 2 { held = nil }
        } else {
            gapBlocks = 0
        }
        guard let key, candidateBlocks >= 2, held == nil else { return nil }
        held = key
        gapBlocks = 0
        return key
    }

    /// The key one block holds, if it is a clean DTMF pair.
    static func key(in samples: [Int16]) -> DTMFKey? {
        let count = Double(samples.count)
        let energy = Tone.energy(of: samples)
        guard energy / count >= minimumEnergy else { return nil }
        let rowPowers = rows.map { Tone.power(of: $0, in: samples, energy: energy) }
        let columnPowers = columns.map { Tone.power(of: $0, in: samples, energy: energy) }
        guard let (row, rowPower) = dominant(rowPowers), let (column, columnPower) = dominant(columnPowers),
              rowPower >= minimumTone, columnPower >= minimumTone, rowPower + columnPower >= minimumPair,
              max(rowPower, columnPower) / min(rowPower, columnPower) <= maximumTwist else { return nil }
        return keys[row][column]
    }

    /// The strongest of a group, when it clearly beats the others.
    private static func dominant(_ powers: [Double]) -> (Int, Double)? {
        guard let best = powers.indices.max(by: { powers[$0] < powers[$1] }) else { return nil }
        let others = powers.enumerated().filter { $0.offset != best }.map(\.element)
        guard others.allSatisfy({ $0 * dominance <= powers[best] }) else { return nil }
        return (best, powers[best])
    }
}

extension Tone {
    /// A DTMF key's two tones (the row's and the column's), each at `amplitude`.
    package static func dtmf(_ key: DTMFKey, samples: Int, amplitude: Double = 6000) -> [Int16] {
        guard let row = InBandDTMFDetector.keys.firstIndex(where: { $0.contains(key) }),
              let column = InBandDTMFDetector.keys[row].firstIndex(of: key) else { return [] }
        let low = sine(frequency: InBandDTMFDetector.rows[row], samples: samples, amplitude: amplitude)
        let high = sine(frequency: InBandDTMFDetector.columns[column], samples: samples, amplitude: amplitude)
        return zip(low, high).map { Int16(clamping: Int($0) + Int($1)) }
    }
}
