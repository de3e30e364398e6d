import API
import Events
import Foundation
import Media
import Messaging
import Postgres
@testable import Recording
import Tenancy
import Testing
import TestSupport

/// A message left in a box as `recording` stores one: its audio a voicemail object of the tenant in
/// the store the fixture's `recording` serves, the message in the same transaction.
func leaveVoicemail(in box: String, tenant: String, media: MediaStoreFixture, frequency: Double = 500,
                    urgent: Bool = false) async throws -> (message: VoicemailMessage, wav: [UInt8]) {
    let library = MediaLibrary(db: media.db, store: FileObjectStore(root: media.folder))
    let voicemail = Voicemail(db: media.db, publisher: EventPublisher(producer: media.producer, topicPrefix: media.prefix), actor: "test")
    let wav = WAV.file(Tone.sine(frequency: frequency, samples: 12_000))
    let slug = try TenantSlug(tenant)
    let stored = try await media.db.withTransaction { connection in
        let (sha, durationMs) = try await library.storeObject(wav, kind: "voicemail", tenant: slug, on: connection)
        return try await voicemail.storeMessage(recordingID: "test-\(UUID().uuidString)", box: box, caller: "+3725551234", callID: "0-test",
                                                reason: .noAnswer, urgent: urgent, durationMs: durationMs, sha256: sha, slug: slug,
                                                on: connection)
    }
    guard case .stored(let message) = stored else { throw TestFailure("message not kept: \(stored)") }
    return (message, wav)
}

@Suite("api: voicemail boxes, messages, signed audio links and greetings", .serialized, .timeLimit(.minutes(5)))
struct VoicemailAPITests {
    static let secret = "test-secret-\(UUID().uuidString)"

    /// A tenant with an admin (1001), a user (1002, a member of group sales, which has box 2000)
    /// and another user (1003) who can log in.
    struct Tenant {
        let slug: String
        let domain: String
        let admin: String
        let user: String
        let other: String
        var path: String { "/v1/tenants/\(slug)/voicemail/boxes" }
    }

    static func tenant(_ stack: ApplicationStack, _ name: String) async throws -> Tenant {
        let a = try await stack.api.tenant(name)
        let path = "/v1/tenants/\(a.slug)"
        let other = try await stack.api.call("POST", "\(path)/users", as: a.admin,
                                             #"{"extension":"1003","name":"Other","email":"other@\#(a.domain)","password":"other-password-1"}"#)
        try #require(other.status == 201, "\(other.text)")
        try #require(try await stack.api.call("POST", "\(path)/groups", as: a.admin, #"{"name":"sales"}"#).status == 201)
        try #require(try await stack.api.call("POST", "\(path)/groups/sales/members", as: a.admin, #"{"member":"1002"}"#).status == 201)
        let box = try await stack.api.call("POST", "\(path)/voicemail/boxes", as: a.admin, #"{"group":"sales","number":"2000"}"#)
        try #require(box.status == 201, "\(box.text)")
        return Tenant(slug: a.slug, domain: a.domain, admin: a.admin, user: a.user, other: try await stack.api.login(a.slug, "other@\(a.domain)", "other-password-1"))
    }

    static func numbers(_ answer: (status: Int, body: [String: Any], text: String)) -> [String] {
        (answer.body["items"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
    }

    @Test("""
        a user sees only their box and their group's (another user's and another tenant's are 404); an admin makes a group box \
        with a PIN and deletes it; settings round trip and bad ones are 400; a PIN reset gives six new digits; a user chooses a PIN
        """)
    func boxes() async throws {
        let stack = try await ApplicationStack.start()
        let a = try await Self.tenant(stack, "vmbox")
        let b = try await stack.api.tenant("vmboxb")
        let call = { (method: String, target: String, token: String, body: String?) in
            try await stack.api.call(method, a.path + target, as: token, body)
        }

        // Who sees what.
        #expect(Self.numbers(try await call("GET", "", a.user, nil)) == ["1002", "2000"])
        #expect(Self.numbers(try await call("GET", "", a.admin, nil)) == ["1001", "1002", "1003", "2000"])
        #expect(Self.numbers(try await call("GET", "?limit=2", a.admin, nil)) == ["1001", "1002"])
        #expect(Self.numbers(try await call("GET", "?limit=2&after=1002", a.admin, nil)) == ["1003", "2000"])
        let own = try await call("GET", "/1002", a.user, nil)
        #expect(own.status == 200 && own.body["owner"] as? String == "1002" && own.body["hasPIN"] as? Bool == true, "\(own.text)")
        #expect((own.body["summary"] as? [String: Any])?["new"] as? Int == 0, "\(own.text)")
        let group = try await call("GET", "/2000", a.user, nil)
        #expect(group.status == 200 && group.body["group"] as? String == "sales", "\(group.text)")
        for (target, token) in [("/1001", a.user), ("/1003", a.user), ("/1002", a.other), ("/2000", a.other), ("/9999", a.admin)] {
            let hidden = try await call("GET", target, token, nil)
            #expect(hidden.status == 404 && errorCode(hidden.body) == "not_found", "GET \(target): \(hidden.text)")
        }
        let foreign = try await stack.api.call("GET", "/v1/tenants/\(a.slug)/voicemail/boxes/1002", as: b.admin)
        #expect(foreign.status == 404 && !foreign.text.contains(a.domain), "another tenant's: \(foreign.text)")
        #expect(try await stack.api.call("GET", "/v1/tenants/\(a.slug)/voicemail/boxes", as: b.user).status == 404)
        #expect(try await call("GET", "/12a", a.admin, nil).status == 400)

        // A group box: the admin's to make, with its PIN shown once; clear refusals.
        try #require(try await stack.api.call("POST", "/v1/tenants/\(a.slug)/groups", as: a.admin, #"{"name":"support"}"#).status == 201)
        let made = try await call("POST", "", a.admin, #"{"group":"support","number":"3000","email":"Support@Example.com"}"#)
        #expect(made.status == 201, "\(made.text)")
        let pin = try #require(made.body["pin"] as? String)
        #expect(pin.count == 6 && pin.allSatisfy(\.isNumber) && pin != "3000", "\(pin)")
        let box = try #require(made.body["box"] as? [String: Any])
        #expect(box["group"] as? String == "support" && box["email"] as? String == "support@example.com", "\(made.text)")
        for (body, status) in [(#"{"group":"support","number":"3001"}"#, 409), (#"{"group":"nobody","number":"3002"}"#, 404),
                               (#"{"group":"support","number":"1003"}"#, 409), (#"{"group":"support","number":"1"}"#, 400),
                               (#"{"group":"support","number":"3003","email":"nope"}"#, 400), (#"{"number":"3004"}"#, 400)] {
            let refused = try await call("POST", "", a.admin, body)
            #expect(refused.status == status, "\(body): \(refused.text)")
        }
        #expect(try await call("POST", "", a.user, #"{"group":"sales","number":"3005"}"#).status == 403)

        // Settings round trip; bad values are 400 and change nothing.
        let change = #"{"greetingMode":"unavailable","maxSeconds":60,"minMs":500,"quota":50,"emailNotify":false}"#
        let changed = try await call("PATCH", "/1002", a.admin, change)
        #expect(changed.status == 200, "\(changed.text)")
        let read = try await call("GET", "/1002", a.user, nil)
        #expect(read.body["greetingMode"] as? String == "unavailable" && read.body["maxSeconds"] as? Int == 60 && read.body["minMs"] as? Int == 500
                && read.body["quota"] as? Int == 50 && read.body["emailNotify"] as? Bool == false, "\(read.text)")
        for body in [#"{"maxSeconds":5}"#, #"{"maxSeconds":601}"#, #"{"minMs":-1}"#, #"{"quota":0}"#, #"{"greetingMode":"loud"}"#,
                     #"{"email":"x@example.com"}"#, #"{"maxSeconds":"long"}"#] {
            let refused = try await call("PATCH", "/1002", a.admin, body)
            #expect(refused.status == 400 && errorCode(refused.body) == "invalid_request", "\(body): \(refused.text)")
        }
        #expect(try await call("GET", "/1002", a.admin, nil).text == read.text, "nothing changed")
        // The user sets how their box greets and mails; the quota and a group's address are the admins'.
        #expect(try await call("PATCH", "/1002", a.user, #"{"greetingMode":"by-reason","emailNotify":true}"#).body["greetingMode"] as? String == "by-reason")
        #expect(try await call("PATCH", "/1002", a.user, #"{"quota":1000}"#).status == 403)
        #expect(try await call("PATCH", "/2000", a.user, #"{"email":"sales@example.com"}"#).status == 403)
        #expect(try await call("PATCH", "/2000", a.admin, #"{"email":"sales@example.com"}"#).body["email"] as? String == "sales@example.com")
        #expect(try await call("PATCH", "/2000", a.admin, #"{"email":""}"#).body["email"] == nil, "\"\" clears it")

        // PINs: an admin resets (six digits, not the box's number, new each time); the box's user chooses.
        var pins: Set<String> = []
        for _ in 0..<3 {
            let reset = try await call("POST", "/1002/pin/reset", a.admin, nil)
            let pin = try #require(reset.body["pin"] as? String, "\(reset.text)")
            #expect(pin.count == 6 && pin.allSatisfy(\.isNumber) && pin != "1002" && !pin.hasPrefix("1002") && !pin.hasSuffix("1002"), "\(pin)")
            pins.insert(pin)
        }
        #expect(pins.count == 3)
        #expect(try await call("POST", "/1002/pin/reset", a.user, nil).status == 403)
        #expect(try await call("PUT", "/1002/pin", a.user, #"{"pin":"482613"}"#).status == 204)
        for pin in ["1111", "1002", "12", "abcd", "10021"] {
            #expect(try await call("PUT", "/1002/pin", a.user, #"{"pin":"\#(pin)"}"#).status == 400, "\(pin)")
        }
        #expect(try await call("PUT", "/1002/pin", a.admin, #"{"pin":"482613"}"#).status == 403, "admins reset, not choose")
        #expect(try await call("PUT", "/1001/pin", a.admin, #"{"pin":"739152"}"#).status == 204, "the admin's own box")
        #expect(try await call("PUT", "/2000/pin", a.user, #"{"pin":"551902"}"#).status == 204, "a member of the group")
        #expect(try await call("PUT", "/1003/pin", a.user, #"{"pin":"551902"}"#).status == 404)
        let slug = try TenantSlug(a.slug)
        let check = try await stack.api.db.withTransaction { connection in
            try await Voicemail.verifyPIN("482613", box: "1002", slug: slug, caller: "test", on: connection)
        }
        #expect(check == .accepted, "the chosen PIN opens the box on the phone")

        // Deleting: a group's box only, by an admin.
        #expect(try await call("DELETE", "/3000", a.user, nil).status == 403)
        #expect(try await call("DELETE", "/1002", a.admin, nil).status == 409)
        #expect(try await call("DELETE", "/3000", a.admin, nil).status == 204)
        #expect(try await call("GET", "/3000", a.admin, nil).status == 404)
        #expect(try await call("DELETE", "/3000", a.admin, nil).status == 404)

        let actions = try await stack.api.db.query("""
            SELECT action, actor FROM \(identifier: slug.schema).audit_log WHERE action LIKE 'voicemail.%'
            """).map { "\(try $0.decode("action", as: String.self)) \(try $0.decode("actor", as: String.self))" }
        for expected in ["voicemail.box-create admin:1001@\(a.slug)", "voicemail.box-update user:1002@\(a.slug)",
                         "voicemail.pin-reset admin:1001@\(a.slug)", "voicemail.pin-change user:1002@\(a.slug)",
                         "voicemail.box-delete admin:1001@\(a.slug)"] {
            #expect(actions.contains(expected), "\(expected) in \(actions)")
        }
        await stack.stop()
    }

    @Test("""
        messages by folder; a signed link plays and downloads the WAV without a token; a changed, foreign-keyed or expired link, \
        or one whose caller logged out, is 403; listens are audited; marking heard moves it; delete removes it
        """)
    func messages() async throws {
        let stack = try await ApplicationStack.start(environment: ["SWITCHBOARD_SIGNED_URL_SECRET": Self.secret])
        let a = try await Self.tenant(stack, "vmmsg")
        let (left, wav) = try await leaveVoicemail(in: "1002", tenant: a.slug, media: stack.media)
        let id = left.id.uuidString.lowercased()
        let call = { (method: String, target: String, token: String, body: String?) in
            try await stack.api.call(method, a.path + target, as: token, body)
        }
        func ids(_ answer: (status: Int, body: [String: Any], text: String)) -> [String] {
            (answer.body["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }

        #expect(ids(try await call("GET", "/1002/messages?folder=new", a.user, nil)) == [id])
        #expect(ids(try await call("GET", "/1002/messages", a.admin, nil)) == [id])
        #expect(ids(try await call("GET", "/1002/messages?folder=heard", a.user, nil)).isEmpty)
        #expect(try await call("GET", "/1002/messages?folder=old", a.user, nil).status == 400)
        let message = try await call("GET", "/1002/messages/\(id)", a.user, nil)
        #expect(message.status == 200 && message.body["folder"] as? String == "new" && message.body["caller"] as? String == "+3725551234"
                && message.body["reason"] as? String == "no-answer" && message.body["durationMs"] as? Int == 1500, "\(message.text)")
        #expect((try await call("GET", "/1002", a.user, nil).body["summary"] as? [String: Any])?["new"] as? Int == 1)
        for (target, token) in [("/1002/messages", a.other), ("/1002/messages/\(id)", a.other), ("/1002/messages/\(UUID())", a.user),
                                ("/2000/messages/\(id)", a.user), ("/1002/messages/not-a-uuid", a.user)] {
            #expect(try await call("GET", target, token, nil).status == 404, "\(target)")
        }
        #expect(try await call("POST", "/1002/messages/\(id)/audio-url", a.other, nil).status == 404)

        // A link: the WAV itself, inline or as a download, with no token.
        let linked = try await call("POST", "/1002/messages/\(id)/audio-url", a.user, nil)
        #expect(linked.status == 200, "\(linked.text)")
        let url = try #require(linked.body["url"] as? String)
        let downloadURL = try #require(linked.body["downloadUrl"] as? String)
        let expiresAt = try #require((linked.body["expiresAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
        #expect((240...310).contains(expiresAt.timeIntervalSinceNow), "about five minutes: \(expiresAt)")
        let played = try await httpRequest("GET", stack.api.base + url)
        #expect(played.status == 200 && played.headers["content-type"] == "audio/wav", "\(played.status) \(played.body.prefix(300))")
        #expect(played.bytes == wav, "the stored WAV, byte for byte")
        #expect(played.headers["content-disposition"]?.hasPrefix("inline") == true, "\(played.headers)")
        let downloaded = try await httpRequest("GET", stack.api.base + downloadURL)
        #expect(downloaded.status == 200 && downloaded.bytes == wav)
        #expect(downloaded.headers["content-disposition"] == "attachment; filename=\"voicemail-1002-\(id).wav\"", "\(downloaded.headers)")

        // Changed in any part, or made with another key, or expired: 403.
        let components = try #require(URLComponents(string: url))
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        let signature = try #require(query["signature"])
        let caller = try #require(query["by"].flatMap(UUID.init(uuidString:)))
        let expires = try #require(query["expires"].flatMap { Int($0) })
        let audioPath = components.path
        let flipped = String(signature.prefix(10)) + (signature.dropFirst(10).first == "A" ? "B" : "A") + String(signature.dropFirst(11))
        let changedLinks = [
            url.replacingOccurrences(of: "signature=\(signature)", with: "signature=\(flipped)"),
            url.replacingOccurrences(of: "expires=\(expires)", with: "expires=\(expires + 3600)"),
            url.replacingOccurrences(of: "by=\(caller.uuidString.lowercased())", with: "by=\(UUID().uuidString.lowercased())"),
            url.replacingOccurrences(of: "/boxes/1002/", with: "/boxes/2000/"),
            SignedLinks(secret: "another key").url(SignedLinks.Link(path: audioPath, caller: caller, expires: expires)),
        ]
        for link in changedLinks {
            let refused = try await httpRequest("GET", stack.api.base + link)
            #expect(refused.status == 403 && refused.body.contains("\"forbidden\"") && refused.body.contains("not valid"), "\(link): \(refused.body)")
        }
        let signer = SignedLinks(secret: Self.secret)
        let expired = signer.link(to: audioPath, caller: caller, now: Date().addingTimeInterval(-SignedLinks.lifetime - 1))
        let late = try await httpRequest("GET", stack.api.base + signer.url(expired))
        #expect(late.status == 403 && late.body.contains("expired"), "\(late.body)")
        let fresh = signer.link(to: audioPath, caller: caller)
        #expect(try await httpRequest("GET", stack.api.base + signer.url(fresh)).status == 200, "the same signer's fresh link plays")
        #expect(try await httpRequest("GET", stack.api.base + url.replacingOccurrences(of: "&signature=\(signature)", with: "")).status == 400)
        #expect(try await httpRequest("GET", stack.api.base + url + "&download=yes").status == 400)

        // Bound to its caller: a link of a token that logged out is dead.
        let session = try await stack.api.login(a.slug, "user@\(a.domain)", "user-password-12")
        let sessionLink = try #require(try await call("POST", "/1002/messages/\(id)/audio-url", session, nil).body["url"] as? String)
        #expect(try await httpRequest("GET", stack.api.base + sessionLink).status == 200)
        #expect(try await stack.api.call("DELETE", "/v1/auth/token", as: session).status == 204)
        let gone = try await httpRequest("GET", stack.api.base + sessionLink)
        #expect(gone.status == 403 && gone.body.contains("logged out"), "\(gone.body)")

        let slug = try TenantSlug(a.slug)
        let listens = try await stack.api.db.query("""
            SELECT action, actor FROM \(identifier: slug.schema).audit_log WHERE action IN ('voicemail.message-listen', 'voicemail.message-download')
            """).map { "\(try $0.decode("action", as: String.self)) \(try $0.decode("actor", as: String.self))" }
        #expect(listens.contains("voicemail.message-listen user:1002@\(a.slug)") && listens.contains("voicemail.message-download user:1002@\(a.slug)"),
                "\(listens)")

        // Heard, saved, new again; then deleted.
        let heard = try await call("PATCH", "/1002/messages/\(id)", a.user, #"{"folder":"heard"}"#)
        #expect(heard.status == 200 && heard.body["folder"] as? String == "heard", "\(heard.text)")
        #expect(ids(try await call("GET", "/1002/messages?folder=heard", a.user, nil)) == [id])
        #expect(ids(try await call("GET", "/1002/messages?folder=new", a.user, nil)).isEmpty)
        let summary = try await call("GET", "/1002", a.user, nil).body["summary"] as? [String: Any]
        #expect(summary?["new"] as? Int == 0 && summary?["old"] as? Int == 1, "\(String(describing: summary))")
        #expect(try await call("PATCH", "/1002/messages/\(id)", a.user, #"{"folder":"saved"}"#).body["folder"] as? String == "saved")
        #expect(try await call("PATCH", "/1002/messages/\(id)", a.user, #"{"folder":"new"}"#).body["folder"] as? String == "new")
        #expect(try await call("PATCH", "/1002/messages/\(id)", a.user, #"{"folder":"trash"}"#).status == 400)
        #expect(try await call("PATCH", "/1002/messages/\(id)", a.other, #"{"folder":"heard"}"#).status == 404)
        #expect(try await call("DELETE", "/1002/messages/\(id)", a.other, nil).status == 404)
        #expect(try await call("DELETE", "/1002/messages/\(id)", a.user, nil).status == 204)
        #expect(try await call("GET", "/1002/messages/\(id)", a.user, nil).status == 404)
        #expect(ids(try await call("GET", "/1002/messages", a.user, nil)).isEmpty)
        #expect(try await call("DELETE", "/1002/messages/\(id)", a.user, nil).status == 404)
        #expect(try await httpRequest("GET", stack.api.base + signer.url(fresh)).status == 404, "a deleted message's link finds nothing")

        // A group box's messages are its members'.
        let (shared, _) = try await leaveVoicemail(in: "2000", tenant: a.slug, media: stack.media, urgent: true)
        #expect(ids(try await call("GET", "/2000/messages", a.user, nil)) == [shared.id.uuidString.lowercased()])
        #expect(try await call("GET", "/2000/messages", a.other, nil).status == 404)
        await stack.stop()
    }

    @Test("greetings: an upload and text-to-speech show up in the box's greetings and play as 8 kHz mono; removed, they are gone; bad ones are 400")
    func greetings() async throws {
        let stack = try await ApplicationStack.start()
        let a = try await Self.tenant(stack, "vmgreet")
        let path = a.path + "/1002/greetings"
        let uploaded = try await stack.api.upload("\(path)/unavailable", as: a.user, try MediaStoreFixture.audioFile("mp3", frequency: 440),
                                                  type: "audio/mpeg")
        #expect(uploaded.status == 201 && uploaded.body["source"] as? String == "upload" && uploaded.body["kind"] as? String == "unavailable",
                "\(uploaded.text)")
        let spoken = try await stack.api.call("POST", "\(path)/busy/speech", as: a.user, #"{"text":"I am on the phone.","language":"en"}"#)
        #expect(spoken.status == 201 && spoken.body["source"] as? String == "tts" && spoken.body["text"] as? String == "I am on the phone.",
                "\(spoken.text)")
        let list = try await stack.api.call("GET", path, as: a.user)
        #expect((list.body["items"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } == ["unavailable", "busy"], "\(list.text)")
        #expect(try await stack.api.call("GET", a.path + "/1002", as: a.user).body["greetings"] as? [String] == ["busy", "unavailable"])
        for kind in ["unavailable", "busy"] {
            let audio = try await httpRequest("GET", stack.api.base + "\(path)/\(kind)", token: a.user)
            #expect(audio.status == 200 && audio.headers["content-type"] == "audio/wav", "\(kind): \(audio.status) \(audio.body.prefix(200))")
            #expect(wavFormat(audio.bytes).map { $0.channels == 1 && $0.rate == 8000 } == true, "\(kind): 8 kHz mono")
        }
        let tone = try WAV.samples(try await httpRequest("GET", stack.api.base + "\(path)/unavailable", token: a.user).bytes)
        #expect(Tone.power(of: 440, in: Array(tone.prefix(4000))) > 0.8, "the upload's tone")

        // An admin sets a group's; a member reaches it; someone else's box is none of theirs.
        let temporary = try await stack.api.call("POST", a.path + "/2000/greetings/temporary/speech", as: a.admin,
                                                 #"{"text":"Oleme puhkusel.","language":"et"}"#)
        #expect(temporary.status == 201, "\(temporary.text)")
        #expect(try await httpRequest("GET", stack.api.base + a.path + "/2000/greetings/temporary", token: a.user).status == 200)
        #expect(try await stack.api.upload(a.path + "/1002/greetings/name", as: a.other, try MediaStoreFixture.audioFile("wav"),
                                           type: "audio/wav").status == 404)
        #expect(try await stack.api.call("GET", a.path + "/1003/greetings", as: a.user).status == 404)

        // Refused: no audio, a wrong content type, an unknown kind or language, no text.
        let wav = try MediaStoreFixture.audioFile("wav")
        for (body, type, status) in [((0..<2000).map { _ in UInt8.random(in: 0...255) }, "audio/wav", 400), (wav, "text/plain", 400)] {
            let refused = try await stack.api.upload("\(path)/name", as: a.user, body, type: type)
            #expect(refused.status == status && errorCode(refused.body) == "invalid_request", "\(type): \(refused.text)")
        }
        #expect(try await stack.api.upload("\(path)/loud", as: a.user, wav, type: "audio/wav").status == 404)
        // A NUL in the text (schemathesis found it) is the client's error, not the media store's.
        for body in [#"{"text":"Hei","language":"fi"}"#, #"{"text":"","language":"et"}"#, #"{"language":"et"}"#, #"{"text":"H\u0000i","language":"en"}"#] {
            #expect(try await stack.api.call("POST", "\(path)/name/speech", as: a.user, body).status == 400, "\(body)")
        }
        #expect((try await stack.api.call("GET", path, as: a.user).body["items"] as? [[String: Any]])?.count == 2, "nothing else set")

        // Removed.
        #expect(try await stack.api.call("DELETE", "\(path)/unavailable", as: a.user).status == 204)
        #expect(try await stack.api.call("DELETE", "\(path)/unavailable", as: a.user).status == 404)
        #expect(try await httpRequest("GET", stack.api.base + "\(path)/unavailable", token: a.user).status == 404)
        #expect(try await stack.api.call("GET", a.path + "/1002", as: a.user).body["greetings"] as? [String] == ["busy"])

        let slug = try TenantSlug(a.slug)
        let actions = try await stack.api.db.query("""
            SELECT action, actor, subject FROM \(identifier: slug.schema).audit_log WHERE action LIKE 'voicemail.greeting-%'
            """).map { "\(try $0.decode("action", as: String.self)) \(try $0.decode("actor", as: String.self)) \(try $0.decode("subject", as: String.self))" }
        for expected in ["voicemail.greeting-set user:1002@\(a.slug) 1002 unavailable", "voicemail.greeting-set admin:1001@\(a.slug) 2000 temporary",
                         "voicemail.greeting-remove user:1002@\(a.slug) 1002 unavailable"] {
            #expect(actions.contains(expected), "\(expected) in \(actions)")
        }
        await stack.stop()
    }
}
