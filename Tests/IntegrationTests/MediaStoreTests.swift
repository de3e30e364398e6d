import Events
import Foundation
import Media
import Messaging
import Kafka
import Postgres
@testable import Recording
import Tenancy
import Testing
import TestSupport

/// `recording` as a process with its file object store: prompts uploaded in each format and made
/// by text-to-speech, served by hash to the tenant that owns them only, system prompts, refusals.
struct MediaStoreFixture {
    let recording: ServiceProcess
    /// The process's settings: a test that kills it starts another with them.
    let environment: [String: String]
    let url: String
    let prefix: String
    let db: PostgresClient
    let provisioning: Provisioning
    let producer: KafkaProducer
    let folder: String

    /// `environment`: settings beside the test's own (another store).
    static func start(prefix given: String? = nil, environment extra: [String: String] = [:], brokers: String? = nil) async throws -> MediaStoreFixture {
        let prefix = given ?? TestEnvironment.unique("media") + "."
        try await ensureTopics(prefix: prefix, brokers: brokers)
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(brokers), logger: TestEnvironment.logger)
        let provisioning = Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix), logger: TestEnvironment.logger)
        let folder = NSTemporaryDirectory() + "media-\(UUID().uuidString.prefix(8))"
        let port = try freePort()
        var environment = serviceEnvironment(prefix: prefix, port: port, brokers: brokers)
        environment["SWITCHBOARD_MEDIA_DIR"] = folder
        environment.merge(extra) { $1 }
        let recording = try ServiceProcess("recording", environment: environment)
        let url = "http://127.0.0.1:\(port)"
        let ready = await eventually(timeout: .seconds(30)) { (try? await httpGet("\(url)/health/live").status) == 200 }
        try #require(ready, "recording did not start: \(recording.log)")
        return MediaStoreFixture(recording: recording, environment: environment, url: url, prefix: prefix, db: db, provisioning: provisioning, producer: producer,
                                 folder: folder)
    }

    func tenant(_ name: String) async throws -> String {
        let slug = TestEnvironment.unique(name)
        try await provisioning.createTenant(slug: slug, name: name, sipDomain: slug.replacingOccurrences(of: "_", with: "-") + ".example.com")
        return slug
    }

    /// A test file made by sox: `seconds` of a sine at `frequency`, 44.1 kHz stereo, as `format`.
    static func audioFile(_ format: String, frequency: Int = 700, seconds: Double = 1) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "tone-\(UUID().uuidString.prefix(8)).\(format)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let made = try runProgram("/usr/bin/sox", ["-n", "-r", "44100", "-c", "2", path, "synth", String(seconds), "sine", String(frequency)])
        try #require(made.status == 0, "sox: \(made.stderr)")
        return Array(try #require(FileManager.default.contents(atPath: path)))
    }

    func stop() async {
        recording.stop()
        await producer.shutdown()
        await db.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

@Suite("media store: prompts in recording", .timeLimit(.minutes(3)))
struct MediaStoreTests {
    struct Prompt: Decodable {
        let name: String
        let sha256: String
        let source: String
        let durationMs: Int
        let language: String?
    }

    @Test("WAV, MP3 and OGG uploads become 8 kHz mono prompts that keep their sound; served by hash to their tenant only")
    func uploads() async throws {
        let fixture = try await MediaStoreFixture.start()
        let slug = try await fixture.tenant("uploads")
        let other = try await fixture.tenant("other")
        for format in ["wav", "mp3", "ogg"] {
            let answer = try await httpRequest("PUT", "\(fixture.url)/internal/prompts/\(slug)/tone-\(format)",
                                               body: try MediaStoreFixture.audioFile(format), contentType: "application/octet-stream")
            try #require(answer.status == 201, "\(format): \(answer.status) \(answer.body)\n\(fixture.recording.log.suffix(2000))")
            let prompt = try JSONDecoder().decode(Prompt.self, from: Data(answer.bytes))
            #expect((900...1100).contains(prompt.durationMs), "\(format): \(prompt.durationMs) ms")
            let audio = try await httpGet("\(fixture.url)/internal/media/\(slug)/\(prompt.sha256)")
            #expect(audio.status == 200 && audio.headers["content-type"] == "audio/wav")
            let samples = try WAV.samples(audio.bytes)
            #expect(Tone.power(of: 700, in: Array(samples.prefix(4000))) > 0.8, "\(format): the 700 Hz tone survives")
            #expect(try await httpGet("\(fixture.url)/internal/media/\(other)/\(prompt.sha256)").status == 404, "another tenant's object")
        }
        let list = try JSONDecoder().decode([Prompt].self, from: Data(try await httpGet("\(fixture.url)/internal/prompts/\(slug)").bytes))
        #expect(Set(list.filter { $0.source == "upload" }.map(\.name)) == ["tone-wav", "tone-mp3", "tone-ogg"])
        await fixture.stop()
    }

    @Test("text-to-speech in Estonian and English makes speech-length prompts; system prompts exist in the tenant's language")
    func speechAndSystemPrompts() async throws {
        let fixture = try await MediaStoreFixture.start()
        let slug = try await fixture.tenant("speech")
        for (language, text) in [("et", "Tere tulemast! Müügiosakonna saamiseks vajutage üks."), ("en", "Welcome. For sales, press one.")] {
            let answer = try await httpRequest("POST", "\(fixture.url)/internal/prompts/\(slug)/welcome-\(language)/speech",
                                               json: #"{"text": "\#(text)", "language": "\#(language)"}"#)
            try #require(answer.status == 201, "\(language): \(answer.body)")
            let prompt = try JSONDecoder().decode(Prompt.self, from: Data(answer.bytes))
            #expect(prompt.durationMs > 1000 && prompt.language == language && prompt.source == "tts")
            let samples = try WAV.samples(try await httpGet("\(fixture.url)/internal/media/\(slug)/\(prompt.sha256)").bytes)
            let loud = samples.filter { abs(Int($0)) > 1000 }.count
            #expect(loud > samples.count / 10, "\(language): there is speech in it")
        }
        let system = await eventually(timeout: .seconds(60)) {
            let list = (try? JSONDecoder().decode([Prompt].self, from: Data(try await httpGet("\(fixture.url)/internal/prompts/\(slug)").bytes))) ?? []
            return list.contains { $0.name == "goodbye" && $0.source == "system" && $0.language == "et" }
                && list.contains { $0.name == "beep" && $0.source == "system" }
        }
        #expect(system, "\(fixture.recording.log.suffix(2000))")
        // A store without a system prompt's object (another store made it) makes it again: the same words.
        let goodbye: String = try #require(try await fixture.db.query("""
            SELECT sha256 FROM platform.system_prompts WHERE name = 'goodbye' AND language = 'en'
            """).first?.decode("sha256"))
        let other = try await MediaStoreFixture.start(prefix: fixture.prefix)
        let remade = try await httpGet("\(other.url)/internal/media/\(slug)/\(goodbye)")
        let original = try WAV.samples(try await httpGet("\(fixture.url)/internal/media/\(slug)/\(goodbye)").bytes)
        #expect(remade.status == 200, "\(remade.status) \(other.recording.log.suffix(1500))")
        #expect(abs(try WAV.samples(remade.bytes).count - original.count) < 800, "the same phrase, about as long")
        await other.stop()
        await fixture.stop()
    }

    @Test("malformed uploads and bad names get a clear 400 and store nothing; a deleted prompt is gone")
    func refusals() async throws {
        let fixture = try await MediaStoreFixture.start()
        let slug = try await fixture.tenant("refuse")
        let cases: [(String, [UInt8], String)] = [
            ("random bytes", (0..<4000).map { _ in UInt8.random(in: 0...255) }, "not a WAV, MP3 or OGG"),
            ("a WAV header and nothing playable", Array("RIFF\u{24}\0\0\0WAVEfmt ".utf8) + [UInt8](repeating: 7, count: 40), "no audio"),
            ("an empty body", [], "not a WAV, MP3 or OGG"),
        ]
        for (label, body, reason) in cases {
            let answer = try await httpRequest("PUT", "\(fixture.url)/internal/prompts/\(slug)/bad", body: body, contentType: "audio/wav")
            #expect(answer.status == 400 && answer.body.contains(reason), "\(label): \(answer.status) \(answer.body)")
        }
        let badName = try await httpRequest("PUT", "\(fixture.url)/internal/prompts/\(slug)/Bad%20Name",
                                            body: try MediaStoreFixture.audioFile("wav"), contentType: "audio/wav")
        #expect(badName.status == 400, "\(badName.body)")
        let badSpeech = try await httpRequest("POST", "\(fixture.url)/internal/prompts/\(slug)/x/speech", json: #"{"text": "", "language": "fi"}"#)
        #expect(badSpeech.status == 400)
        let schema = try SQLIdentifier("tenant_" + slug)
        #expect(try await fixture.db.query("SELECT 1 FROM \(identifier: schema).media_objects").isEmpty, "nothing stored")

        let saved = try await httpRequest("PUT", "\(fixture.url)/internal/prompts/\(slug)/short", body: try MediaStoreFixture.audioFile("wav"),
                                          contentType: "audio/wav")
        #expect(saved.status == 201)
        #expect(try await httpRequest("DELETE", "\(fixture.url)/internal/prompts/\(slug)/short").status == 204)
        #expect(try await httpGet("\(fixture.url)/internal/prompts/\(slug)/short").status == 404)
        #expect(try await fixture.db.query("SELECT 1 FROM \(identifier: schema).media_objects").isEmpty, "the unused object went too")
        #expect(try await httpRequest("DELETE", "\(fixture.url)/internal/prompts/\(slug)/short").status == 404)
        await fixture.stop()
    }

    @Test("a tenant deleted at contract end: recording removes its objects from the store on the deleted event, and no other tenant's")
    func deletedTenantsObjectsGo() async throws {
        let fixture = try await MediaStoreFixture.start()
        let (gone, stays) = (try await fixture.tenant("gone"), try await fixture.tenant("stays"))
        for slug in [gone, stays] {
            let saved = try await httpRequest("PUT", "\(fixture.url)/internal/prompts/\(slug)/welcome", body: try MediaStoreFixture.audioFile("wav"),
                                              contentType: "audio/wav")
            try #require(saved.status == 201, "\(saved.body)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(fixture.folder)/\(gone)"))
        try await TenantLifecycle(db: fixture.db, publisher: EventPublisher(producer: fixture.producer, topicPrefix: fixture.prefix),
                                  logger: TestEnvironment.logger).delete(try TenantSlug(gone))
        let removed = await eventually(timeout: .seconds(30)) { !FileManager.default.fileExists(atPath: "\(fixture.folder)/\(gone)") }
        #expect(removed, "the deleted tenant's folder is gone:\n\(fixture.recording.log.suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: "\(fixture.folder)/\(stays)"), "the other tenant's objects stay")
        await fixture.stop()
    }

    @Test("a prompt deleted while a menu naming it is being saved: the delete waits for the save and is then refused")
    func deleteWaitsForAChangeThatUsesThePrompt() async throws {
        let fixture = try await MediaStoreFixture.start()
        let slug = try await fixture.tenant("race")
        let saved = try await httpRequest("PUT", "\(fixture.url)/internal/prompts/\(slug)/hello", body: try MediaStoreFixture.audioFile("wav"),
                                          contentType: "audio/wav")
        try #require(saved.status == 201, "\(saved.body)")
        let schema = try SQLIdentifier("tenant_" + slug)
        let url = fixture.url
        let deleting = try await fixture.db.withTransaction { connection -> Task<HTTPAnswer, any Error> in
            // What the configuration does when it saves a menu: the prompt held shared, the menu written.
            _ = try await connection.query("SELECT name FROM \(identifier: schema).prompts WHERE name = 'hello' FOR SHARE")
            try await connection.query("INSERT INTO \(identifier: schema).menus (name, greeting) VALUES ('main', 'hello')")
            let delete = Task { try await httpRequest("DELETE", "\(url)/internal/prompts/\(slug)/hello") }
            try await Task.sleep(for: .seconds(1))
            return delete
        }
        let answer = try await deleting.value
        #expect(answer.status == 409 && answer.body.contains("ivr:main"), "\(answer.status) \(answer.body)")
        #expect(try await httpGet("\(fixture.url)/internal/prompts/\(slug)/hello").status == 200, "the prompt stays")
        await fixture.stop()
    }
}
