import Media
@testable import Recording
import Testing

@Suite("media downloads: ranges and recordings decoded as they are sent")
struct MediaDownloadTests {
    @Test("Range headers: a part, an open end, a suffix; past the end is 416; several ranges or nonsense are the whole")
    func ranges() {
        #expect(RequestedRange(nil, length: 100) == .whole)
        #expect(RequestedRange("bytes=0-9", length: 100) == .part(0..<10))
        #expect(RequestedRange("bytes=90-", length: 100) == .part(90..<100))
        #expect(RequestedRange("bytes=90-500", length: 100) == .part(90..<100))
        #expect(RequestedRange("bytes=-10", length: 100) == .part(90..<100))
        #expect(RequestedRange("bytes=-500", length: 100) == .part(0..<100))
        #expect(RequestedRange("bytes=100-", length: 100) == .unsatisfiable)
        #expect(RequestedRange("bytes=-0", length: 100) == .unsatisfiable)
        #expect(RequestedRange("bytes=0-0", length: 0) == .unsatisfiable)
        for ignored in ["bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=a-b", "bytes=-", "bytes=+1-2", "bytes=0x1-2"] {
            #expect(RequestedRange(ignored, length: 100) == .whole, "\(ignored)")
        }
    }

    @Test("a recording's WAV decoded as it is read is the file decoded whole, read in any sizes and from any point")
    func recordingWAV() throws {
        let left = Tone.sine(frequency: 440, samples: 24_000)
        let right = Tone.sine(frequency: 1_000, samples: 24_000)
        let opus = try OggOpus.encode(interleaved: zip(left, right).flatMap { [$0, $1] })
        let (channels, samples) = try OggOpus.decode(opus)
        let whole = WAV.file(samples, channels: channels)
        let wav = try RecordingWAV(opus: opus)
        #expect(wav.length == whole.count && whole.count == WAV.headerLength + 2 * 2 * 24_000)
        var read: [UInt8] = []
        while case let bytes = try wav.read(Int.random(in: 1...5_000)), !bytes.isEmpty { read += bytes }
        #expect(read == whole)
        let skipped = try RecordingWAV(opus: opus)
        try skipped.skip(50_001)
        #expect(try skipped.read(1_000) == Array(whole[50_001..<51_001]))
    }

    @Test("a stream cut short (an incomplete recording) ends in silence to the length its last page gives")
    func cutShort() throws {
        let opus = try OggOpus.encode(interleaved: Tone.sine(frequency: 440, samples: 32_000))
        // Ends the stream early: its last page (which has the end's granule) is kept, the middle dropped.
        let pages = Self.pages(opus)
        #expect(pages.count > 3)
        let cut = pages.prefix(3).flatMap { $0 } + pages.last!
        let wav = try RecordingWAV(opus: Array(cut))
        var read: [UInt8] = []
        while case let bytes = try wav.read(4_096), !bytes.isEmpty { read += bytes }
        #expect(read.count == wav.length && wav.length == WAV.headerLength + 2 * 32_000)
    }

    /// An Ogg stream's pages, by their headers.
    static func pages(_ bytes: [UInt8]) -> [[UInt8]] {
        var pages: [[UInt8]] = []
        var offset = 0
        while offset + 27 <= bytes.count {
            let segments = Int(bytes[offset + 26])
            let body = bytes[(offset + 27)..<(offset + 27 + segments)].reduce(0) { $0 + Int($1) }
            let end = offset + 27 + segments + body
            pages.append(Array(bytes[offset..<end]))
            offset = end
        }
        return pages
    }
}
