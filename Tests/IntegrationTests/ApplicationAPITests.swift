import Foundation
import Media
import Postgres
import Tenancy
import Testing
import TestSupport

/// The api with a `recording` behind it: prompts pass through to the media store. The internal
/// HTTP has its token, as on a cluster: the api must send it.
struct ApplicationStack {
    let media: MediaStoreFixture
    let api: APIStack

    /// `environment`: the api's settings beside these. Both follow the same topics, so recording
    /// sees the tenant lifecycle the test moves on.
    static func start(environment extra: [String: String] = [:]) async throws -> ApplicationStack {
        let token = ["SWITCHBOARD_INTERNAL_TOKEN": "internal-\(UUID().uuidString)"]
        let media = try await MediaStoreFixture.start(environment: token)
        let api = try await APIStack.start(extraEnvironment: token.merging(["SWITCHBOARD_RECORDING_URL": media.url]) { $1 }.merging(extra) { $1 },
                                           prefix: media.prefix)
        return ApplicationStack(media: media, api: api)
    }

    func stop() async {
        await api.close()
        await media.stop()
    }

    /// The names of a tenant's prompts of its own (not the system's).
    func ownPrompts(_ tenant: String, as token: String) async throws -> [String] {
        let list = try await api.call("GET", "/v1/tenants/\(tenant)/prompts?limit=200", as: token)
        #expect(list.status == 200, "\(list.text)")
        return (list.body["items"] as? [[String: Any]] ?? []).filter { $0["source"] as? String != "system" }.compactMap { $0["name"] as? String }
    }
}

/// The format of a WAV file's `fmt ` chunk: channels and sample rate.
func wavFormat(_ bytes: [UInt8]) -> (channels: Int, rate: Int)? {
    func le(_ at: Int, _ count: Int) -> Int { (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
    guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else { return nil }
    var offset = 12
    while offset + 8 <= bytes.count {
        let size = le(offset + 4, 4)
        if bytes[offset..<offset + 4].elementsEqual("fmt ".utf8), offset + 16 <= bytes.count { return (le(offset + 10, 2), le(offset + 12, 4)) }
        offset += 8 + size + (size & 1)
    }
    return nil
}

func errorCode(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }
func errorMessage(_ body: [String: Any]) -> String { (body["error"] as? [String: Any])?["message"] as? String ?? "" }

@Suite("api: prompts, announcements and menus", .serialized, .timeLimit(.minutes(4)))
struct ApplicationAPITests {
    @Test("WAV, MP3 and OGG uploads are listed at about a second and preview as 8 kHz mono WAV; text-to-speech in Estonian and English plays")
    func uploadsAndSpeech() async throws {
        let stack = try await ApplicationStack.start()
        let a = try await stack.api.tenant("prompts")
        let path = "/v1/tenants/\(a.slug)/prompts"
        for (format, type) in [("wav", "audio/wav"), ("mp3", "audio/mpeg"), ("ogg", "audio/ogg")] {
            let uploaded = try await stack.api.upload("\(path)/tone-\(format)", as: a.admin, try MediaStoreFixture.audioFile(format, frequency: 440),
                                                  type: type)
            #expect(uploaded.status == 201 && uploaded.body["source"] as? String == "upload", "\(format): \(uploaded.text)")
        }
        let list = try await stack.api.call("GET", "\(path)?limit=200", as: a.admin)
        let items = try #require(list.body["items"] as? [[String: Any]], "\(list.text)")
        for format in ["wav", "mp3", "ogg"] {
            let prompt = try #require(items.first { $0["name"] as? String == "tone-\(format)" }, "\(format) listed: \(list.text)")
            let duration = try #require(prompt["durationMs"] as? Int)
            #expect((900...1100).contains(duration) && (prompt["sha256"] as? String)?.count == 64, "\(format): \(prompt)")
            let audio = try await httpRequest("GET", stack.api.base + "\(path)/tone-\(format)/audio", token: a.admin)
            #expect(audio.status == 200 && audio.headers["content-type"] == "audio/wav", "\(format): \(audio.status) \(audio.headers)")
            #expect(wavFormat(audio.bytes).map { $0.channels == 1 && $0.rate == 8000 } == true, "\(format): 8 kHz mono")
            let samples = try WAV.samples(audio.bytes)
            #expect(abs(samples.count / 8 - duration) <= 1, "\(format): the preview is the prompt listed")
            #expect(Tone.power(of: 440, in: Array(samples.prefix(4000))) > 0.8, "\(format): the tone survives")
        }
        for (language, text) in [("et", "Tere tulemast! Müügiosakonna saamiseks vajutage üks."), ("en", "Welcome. For sales, press one.")] {
            let spoken = try await stack.api.call("POST", "\(path)/welcome-\(language)/speech", as: a.admin,
                                                  #"{"text": "\#(text)", "language": "\#(language)"}"#)
            #expect(spoken.status == 201 && spoken.body["language"] as? String == language && spoken.body["source"] as? String == "tts"
                    && spoken.body["text"] as? String == text, "\(language): \(spoken.text)")
            let audio = try await httpRequest("GET", stack.api.base + "\(path)/welcome-\(language)/audio", token: a.admin)
            #expect(wavFormat(audio.bytes).map { $0.channels == 1 && $0.rate == 8000 } == true, "\(language): 8 kHz mono")
            let samples = try WAV.samples(audio.bytes)
            #expect(samples.count / 8 > 300 && samples.filter { abs(Int($0)) > 1000 }.count > samples.count / 10, "\(language): speech")
        }
        // Bad speech: an unknown language, no text.
        for body in [#"{"text": "Hei", "language": "fi"}"#, #"{"text": "", "language": "et"}"#, #"{"language": "et"}"#] {
            let refused = try await stack.api.call("POST", "\(path)/x/speech", as: a.admin, body)
            #expect(refused.status == 400 && errorCode(refused.body) == "invalid_request", "\(body): \(refused.text)")
        }
        #expect(try await stack.ownPrompts(a.slug, as: a.admin).sorted() == ["tone-mp3", "tone-ogg", "tone-wav", "welcome-en", "welcome-et"])
        await stack.stop()
    }

    @Test("malformed uploads, a wrong content type and an oversize file get a clear 400 or 413 and store nothing; recording down is a 503")
    func refusedUploads() async throws {
        let stack = try await ApplicationStack.start()
        let a = try await stack.api.tenant("badup")
        let path = "/v1/tenants/\(a.slug)/prompts"
        let wav = try MediaStoreFixture.audioFile("wav")
        let cases: [(String, [UInt8], String, Int, String)] = [
            ("random bytes", (0..<4000).map { _ in UInt8.random(in: 0...255) }, "audio/wav", 400, "not a WAV, MP3 or OGG"),
            ("a truncated WAV", Array(wav.prefix(30)), "audio/x-wav", 400, "no audio"),
            ("an empty body", [], "audio/ogg", 400, "not a WAV, MP3 or OGG"),
            ("a WAV sent as JSON", wav, "application/json", 400, "Content-Type"),
            ("a WAV sent as text", wav, "text/plain", 400, "Content-Type"),
            ("a file over 20 MB", [UInt8](repeating: 0, count: 21 << 20), "audio/wav", 413, "20 MB"),
        ]
        for (label, body, type, status, reason) in cases {
            let answer = try await stack.api.upload("\(path)/bad", as: a.admin, body, type: type)
            #expect(answer.status == status && errorMessage(answer.body).contains(reason), "\(label): \(answer.status) \(answer.text)")
            #expect(errorCode(answer.body) == (status == 400 ? "invalid_request" : "too_large"), "\(label): \(answer.text)")
        }
        #expect(try await stack.api.upload("\(path)/Bad%20Name", as: a.admin, wav, type: "audio/wav").status == 400)
        #expect(try await stack.api.upload("\(path)/..%2Finternal", as: a.admin, wav, type: "audio/wav").status == 400, "no path of recording's own")
        #expect(try await stack.api.upload("\(path)/fine?language=fi", as: a.admin, wav, type: "audio/wav").status == 400)
        #expect(try await stack.ownPrompts(a.slug, as: a.admin).isEmpty, "nothing stored")
        let schema = try SQLIdentifier("tenant_" + a.slug)
        #expect(try await stack.api.db.query("SELECT 1 FROM \(identifier: schema).media_objects").isEmpty)
        #expect(try await stack.api.call("GET", "\(path)/nothing/audio", as: a.admin).status == 404)
        #expect(try await stack.api.call("DELETE", "\(path)/nothing", as: a.admin).status == 404)

        // Without the media store the API says so, in its own shape, and stays up.
        stack.media.recording.stop()
        let down = try await stack.api.call("GET", path, as: a.admin)
        #expect(down.status == 503 && errorCode(down.body) == "unavailable", "\(down.status) \(down.text)")
        #expect(!down.text.contains("127.0.0.1"), "no internal address in the answer")
        #expect(try await stack.api.call("GET", "/v1/tenants/\(a.slug)", as: a.admin).status == 200)
        await stack.stop()
    }

    @Test("""
        announcements and menus round trip; bad menus are refused with the reason; a prompt in use is not deleted (409 naming \
        its users) until they go; the welcome; the language; ivr needs its add-on
        """)
    func applications() async throws {
        let stack = try await ApplicationStack.start()
        let a = try await stack.api.tenant("apps")
        let path = "/v1/tenants/\(a.slug)"
        let call = { (method: String, target: String, body: String?) in try await stack.api.call(method, path + target, as: a.admin, body) }
        #expect(try await stack.api.upload("\(path)/prompts/hello", as: a.admin, try MediaStoreFixture.audioFile("wav"), type: "audio/wav").status == 201)
        #expect(try await call("POST", "/groups", #"{"name": "sales"}"#).status == 201)

        // Announcements.
        let welcome = #"{"name": "welcome", "prompts": ["hello"], "next": "group:sales"}"#
        let created = try await call("POST", "/announcements", welcome)
        #expect(created.status == 201 && created.body["next"] as? String == "group:sales", "\(created.text)")
        #expect(try await call("POST", "/announcements", welcome).status == 409)
        let replaced = try await call("PUT", "/announcements/welcome", #"{"name": "welcome", "prompts": ["hello", "hello"]}"#)
        #expect(replaced.status == 200 && replaced.body["prompts"] as? [String] == ["hello", "hello"] && replaced.body["next"] as? String == "none",
                "\(replaced.text)")
        #expect(try await call("GET", "/announcements/welcome", nil).body["prompts"] as? [String] == ["hello", "hello"])
        #expect((try await call("GET", "/announcements", nil).body["items"] as? [[String: Any]])?.count == 1)
        for (body, status) in [(#"{"name": "x", "prompts": ["nope"]}"#, 404), (#"{"name": "x", "prompts": []}"#, 400),
                               (#"{"name": "x", "prompts": ["hello"], "next": "ivr"}"#, 400), (#"{"name": "X", "prompts": ["hello"]}"#, 400)] {
            #expect(try await call("POST", "/announcements", body).status == status, "\(body)")
        }
        #expect(try await call("PUT", "/announcements/other", #"{"name": "other", "prompts": ["hello"]}"#).status == 404)

        // Menus.
        let main = """
            {"name": "main", "greeting": "hello", "invalidPrompt": "hello", "timeoutPrompt": "hello", "retries": 1,
             "options": {"1": "group:sales", "2": "announcement:welcome", "9": "repeat", "0": "hangup"}}
            """
        let menu = try await call("POST", "/menus", main)
        #expect(menu.status == 201, "\(menu.text)")
        #expect(menu.body["options"] as? [String: String] == ["1": "group:sales", "2": "announcement:welcome", "9": "repeat", "0": "hangup"])
        #expect(menu.body["timeoutSeconds"] as? Int == 5 && menu.body["final"] as? String == "hangup" && menu.body["directDial"] as? Bool == false)
        #expect(try await call("GET", "/menus/main", nil).text == menu.text, "what was written is what is read")
        let prompts = #""greeting": "hello", "invalidPrompt": "hello", "timeoutPrompt": "hello""#
        let bad: [(String, Int, String)] = [
            (prompts + #", "options": {"x": "repeat"}"#, 400, "menu key"),
            (prompts + #", "retries": 99"#, 400, "retries"),
            (prompts + #", "timeoutSeconds": 0"#, 400, "timeoutSeconds"),
            (prompts + #", "final": "repeat""#, 400, "final"),
            (prompts + #", "options": {"1": "none"}"#, 400, "menu choice"),
            (prompts + #", "options": {"1": "group:"}"#, 400, "destination"),
            (#""greeting": "nope", "invalidPrompt": "hello", "timeoutPrompt": "hello""#, 404, "no prompt nope"),
        ]
        for (fields, status, reason) in bad {
            let refused = try await call("POST", "/menus", #"{"name": "other", \#(fields)}"#)
            #expect(refused.status == status && errorMessage(refused.body).contains(reason), "\(fields): \(refused.status) \(refused.text)")
        }
        let changed = try await call("PUT", "/menus/main", ##"{"name": "main", \##(prompts), "directDial": true, "options": {"#": "user:1001"}}"##)
        #expect(changed.status == 200 && changed.body["options"] as? [String: String] == ["#": "user:1001"] && changed.body["retries"] as? Int == 2
                && changed.body["directDial"] as? Bool == true, "the whole menu replaced: \(changed.text)")
        #expect(try await call("PUT", "/menus/main", #"{"name": "other", "greeting": "hello"}"#).status == 400)
        #expect(try await call("PUT", "/menus/none-such", #"{"name": "none-such", "greeting": "hello"}"#).status == 404)

        // A number goes to the menu only with the IVR add-on.
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        #expect(try await stack.api.call("POST", "\(path)/numbers", as: stack.api.operatorToken, #"{"number": "\#(did)"}"#).status == 201)
        let refused = try await call("PUT", "/numbers/\(did)", #"{"destination": "ivr:main"}"#)
        #expect(refused.status == 400 && errorMessage(refused.body).contains("IVR add-on"), "\(refused.text)")
        #expect(try await call("POST", "/subscriptions", #"{"code": "ivr"}"#).status == 201)
        let routed = try await call("PUT", "/numbers/\(did)", #"{"destination": "ivr:main"}"#)
        #expect(routed.status == 200 && routed.body["destination"] as? String == "ivr:main", "\(routed.text)")
        #expect(try await call("PUT", "/numbers/\(did)", #"{"destination": "announcement:welcome"}"#).status == 200)

        // The group's welcome.
        #expect(try await call("PUT", "/groups/sales/welcome", #"{"announcement": "welcome"}"#).body["announcement"] as? String == "welcome")
        #expect(try await call("GET", "/groups/sales/welcome", nil).body["announcement"] as? String == "welcome")
        #expect(try await call("PUT", "/groups/sales/welcome", #"{"announcement": "nothing"}"#).status == 404)
        #expect(try await call("PUT", "/groups/nobody/welcome", #"{"announcement": "welcome"}"#).status == 404)
        #expect(try await call("DELETE", "/groups/sales/welcome", nil).status == 204)
        #expect(try await call("GET", "/groups/sales/welcome", nil).text == "{}")

        // A prompt in use stays until what uses it goes.
        let inUse = try await call("DELETE", "/prompts/hello", nil)
        #expect(inUse.status == 409 && errorCode(inUse.body) == "conflict", "\(inUse.text)")
        #expect(errorMessage(inUse.body).contains("announcement:welcome") && errorMessage(inUse.body).contains("ivr:main"), "\(inUse.text)")
        #expect(try await call("DELETE", "/menus/main", nil).status == 204)
        #expect(try await call("DELETE", "/prompts/hello", nil).status == 409, "the announcement still plays it")
        #expect(try await call("DELETE", "/announcements/welcome", nil).status == 204)
        #expect(try await call("DELETE", "/prompts/hello", nil).status == 204)
        #expect(try await stack.ownPrompts(a.slug, as: a.admin).isEmpty)
        #expect(try await call("GET", "/menus/main", nil).status == 404)
        #expect(try await call("GET", "/announcements/welcome", nil).status == 404)

        // A prompt of the tenant's that replaces a system prompt may go while used: the system one plays.
        let system = await eventually(timeout: .seconds(90)) {
            (try? await stack.api.db.query("SELECT 1 FROM platform.system_prompts WHERE name = 'goodbye'").isEmpty) == false
        }
        try #require(system, "recording made no system prompts: \(stack.media.recording.log.suffix(2000))")
        #expect(try await stack.api.upload("\(path)/prompts/goodbye", as: a.admin, try MediaStoreFixture.audioFile("wav"), type: "audio/wav").status == 201)
        #expect(try await call("POST", "/announcements", #"{"name": "bye", "prompts": ["goodbye"]}"#).status == 201)
        #expect(try await call("DELETE", "/prompts/goodbye", nil).status == 204)
        let afterwards = try await call("GET", "/prompts?limit=200", nil).body["items"] as? [[String: Any]] ?? []
        #expect(afterwards.first { $0["name"] as? String == "goodbye" }?["source"] as? String == "system")

        // The language of the system prompts.
        #expect(try await call("GET", "/settings", nil).body["language"] as? String == "et")
        #expect(try await call("PUT", "/settings", #"{"language": "en"}"#).body["language"] as? String == "en")
        #expect(try await call("PUT", "/settings", #"{"language": "fi"}"#).status == 400)
        let english = try await call("GET", "/prompts?limit=200", nil).body["items"] as? [[String: Any]] ?? []
        #expect(english.first { $0["name"] as? String == "goodbye" }?["language"] as? String == "en", "system prompts in the new language")
        await stack.stop()
    }
}
