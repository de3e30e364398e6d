import Foundation
import FuzzTargets
import Testing

/// The fuzzers' seeds and every input that once crashed a parser (Fuzz/Corpus, Fuzz/Crashes), run
/// through the targets in a normal build, so a regression is caught without libFuzzer.
@Suite("Fuzz corpus replay")
struct CorpusReplayTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz").standardizedFileURL

    static func inputs(_ folder: String, _ target: FuzzTarget) -> [URL] {
        let url = fuzz.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().map { url.appendingPathComponent($0) }
    }

    @Test("every target has a seed corpus, and its seeds run through it", arguments: FuzzTarget.allCases)
    func seeds(target: FuzzTarget) throws {
        let seeds = Self.inputs("Corpus", target)
        // A missing corpus (an unrun Fuzz/make-corpus, a broken path) must fail, not pass on nothing.
        try #require(seeds.count >= 4, "no seed corpus for \(target.rawValue) in \(Self.fuzz.path)")
        for seed in seeds { target.run(Array(try Data(contentsOf: seed))) }
    }

    @Test("every past crash runs through every target", arguments: FuzzTarget.allCases)
    func crashes(target: FuzzTarget) throws {
        let crashes = FuzzTarget.allCases.flatMap { Self.inputs("Crashes", $0) }
        try #require(!crashes.isEmpty, "the crash reproducers are missing from \(Self.fuzz.path)")
        for crash in crashes { target.run(Array(try Data(contentsOf: crash))) }
    }

    @Test("every seed of one target runs through the others as well")
    func crossReplay() throws {
        let seeds = FuzzTarget.allCases.flatMap { Self.inputs("Corpus", $0) }
        for seed in seeds {
            let bytes = Array(try Data(contentsOf: seed))
            for target in FuzzTarget.allCases { target.run(bytes) }
        }
    }
}
