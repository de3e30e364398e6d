import Foundation
import Media

/// Turns what tenants give into prompts the edge plays: 8 kHz mono 16-bit WAV, with sox for
/// uploads (WAV, MP3, OGG) and espeak-ng for text-to-speech (Estonian, English).
enum AudioConverter {
    enum Failure: Error, CustomStringConvertible, Equatable {
        /// The bytes are none of the accepted formats, or not audio sox can read.
        case unusable(String)
        /// The tool is missing or broke.
        case tool(String)

        var description: String {
            switch self {
            case .unusable(let reason), .tool(let reason): reason
            }
        }
    }

    enum UploadFormat: String, Sendable {
        case wav, mp3, ogg

        /// Known by its first bytes, not by a name or a content type the client chose.
        init?(sniffing bytes: [UInt8]) {
            if bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) {
                self = .wav
            } else if bytes.count >= 4, bytes[0..<4].elementsEqual("OggS".utf8) {
                self = .ogg
            } else if bytes.count >= 3, bytes[0..<3].elementsEqual("ID3".utf8) || (bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
                self = .mp3
            } else {
                return nil
            }
        }
    }

    /// The longest prompt kept (longer uploads are cut): 10 minutes.
    static let maximumSeconds = 600
    static let maximumTextLength = 2000

    /// An uploaded file as a prompt.
    static func prompt(from upload: [UInt8]) async throws(Failure) -> [UInt8] {
        guard let format = UploadFormat(sniffing: upload) else { throw .unusable("not a WAV, MP3 or OGG file") }
        return try await inTemporaryFolder { folder throws(Failure) in
            let input = folder.appendingPathComponent("upload.\(format.rawValue)")
            do { try Data(upload).write(to: input) } catch { throw .tool("cannot write a temporary file: \(error)") }
            return try await telephony(input, folder: folder, unusable: "the \(format.rawValue.uppercased()) file holds no audio sox can read")
        }
    }

    /// Speech for `text` in a language espeak-ng has a voice for ("et", "en").
    static func speech(_ text: String, language: String) async throws(Failure) -> [UInt8] {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= maximumTextLength else { throw .unusable("text must be 1–\(maximumTextLength) characters") }
        guard ["et", "en"].contains(language) else { throw .unusable("language must be et or en") }
        return try await inTemporaryFolder { folder throws(Failure) in
            let textFile = folder.appendingPathComponent("text.txt")
            let spoken = folder.appendingPathComponent("spoken.wav")
            do { try Data(text.utf8).write(to: textFile) } catch { throw .tool("cannot write a temporary file: \(error)") }
            let voice = language == "en" ? "en-gb" : "et"
            let result = try await run("espeak-ng", ["-v", voice, "-s", "150", "-f", textFile.path, "-w", spoken.path])
            guard result.status == 0 else { throw .tool("espeak-ng failed: \(result.stderr)") }
            return try await telephony(spoken, folder: folder, unusable: "espeak-ng made no audio")
        }
    }

    /// sox to 8 kHz mono 16-bit, cut to the maximum length, at a level phones play well (−3 dBFS peak).
    private static func telephony(_ input: URL, folder: URL, unusable: String) async throws(Failure) -> [UInt8] {
        let output = folder.appendingPathComponent("prompt.wav")
        let result = try await run("sox", ["-V1", input.path, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", output.path,
                                           "trim", "0", String(maximumSeconds), "gain", "-n", "-3"])
        guard result.status == 0, let bytes = FileManager.default.contents(atPath: output.path) else {
            throw .unusable("\(unusable): \(result.stderr.split(separator: "\n").first ?? "")")
        }
        let wav = Array(bytes)
        guard let samples = try? WAV.samples(wav), !samples.isEmpty else { throw .unusable(unusable) }
        return wav
    }

    private static func inTemporaryFolder<T>(_ body: (URL) async throws(Failure) -> T) async throws(Failure) -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-audio-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .tool("cannot make a temporary folder: \(error)")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    /// Runs a tool from PATH without blocking a thread of the cooperative pool.
    private static func run(_ tool: String, _ arguments: [String]) async throws(Failure) -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            return try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { process in
                    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    continuation.resume(returning: (process.terminationStatus, stderr))
                }
                do { try process.run() } catch { continuation.resume(throwing: error) }
            }
        } catch {
            throw .tool("\(tool) cannot run: \(error)")
        }
    }
}
