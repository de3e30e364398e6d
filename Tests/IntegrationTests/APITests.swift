import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

/// The running `api` process, an operator account, and helpers to call it as someone.
struct APIStack {
    static let operatorPassword = "operator-password-1"
    let api: ServiceProcess
    let base: String
    let prefix: String
    let db: PostgresClient
    let producer: KafkaProducer
    let operatorEmail: String
    let operatorToken: String

    /// - Parameter prefix: the topics' (a recording of the test shares them); a new one when nil.
    static func start(extraEnvironment: [String: String] = [:], prefix given: String? = nil) async throws -> APIStack {
        let prefix = given ?? TestEnvironment.unique("api") + "."
        try await ensureTopics(prefix: prefix)
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let provisioning = Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix), logger: TestEnvironment.logger)
        let email = TestEnvironment.unique("op") + "@operator.example.com"
        try await provisioning.createOperator(email: email, password: operatorPassword)
        let port = try freePort()
        let api = try ServiceProcess("api", environment: serviceEnvironment(prefix: prefix, port: port).merging(extraEnvironment) { $1 })
        let base = "http://127.0.0.1:\(port)"
        let up = await eventually(timeout: .seconds(30)) { (try? await httpGet("\(base)/health/ready").status) == 200 }
        try #require(up, "api did not start:\n\(api.log)")
        let login = try await httpRequest("POST", "\(base)/v1/auth/token", json: #"{"email":"\#(email)","password":"\#(operatorPassword)"}"#)
        try #require(login.status == 201, "operator login: \(login.body)")
        return APIStack(api: api, base: base, prefix: prefix, db: db, producer: producer, operatorEmail: email,
                        operatorToken: try Self.string("token", in: login.body))
    }

    /// Stops the api and removes the tenants this stack's operator created (through the test or
    /// schemathesis) as contract end would, and the operator, so that runs do not pile up tenant
    /// schemas; then closes the clients.
    func close() async {
        api.stop()
        let actor = "operator:\(operatorEmail)"
        let lifecycle = TenantLifecycle(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix), logger: TestEnvironment.logger)
        let recent = (try? await db.query("SELECT slug FROM platform.tenants WHERE created_at > now() - interval '1 hour' AND status <> 'deleted'")) ?? []
        for row in recent {
            guard let slug = try? TenantSlug(try row.decode("slug", as: String.self)),
                  let created = try? await db.query("""
                      SELECT 1 AS one FROM \(identifier: slug.schema).audit_log WHERE action = 'tenant.create' AND actor = \(actor)
                      """), !created.isEmpty
            else { continue }
            // As contract end deletes, then the row too unless invoices (kept for ever) refer to it.
            try? await lifecycle.delete(slug)
            _ = try? await db.query("DELETE FROM platform.api_tokens WHERE tenant = \(slug.value)")
            _ = try? await db.query("""
                DELETE FROM platform.tenants t WHERE slug = \(slug.value) AND NOT EXISTS (SELECT 1 FROM platform.invoices i WHERE i.tenant = t.slug)
                """)
        }
        _ = try? await db.query("DELETE FROM platform.api_tokens WHERE tenant IS NULL AND subject = \(operatorEmail)")
        _ = try? await db.query("DELETE FROM platform.operators WHERE email = \(operatorEmail)")
        await producer.shutdown()
        await db.shutdown()
    }

    /// Calls the API; the body is parsed as a JSON object when it is one.
    @discardableResult
    func call(_ method: String, _ path: String, as token: String?, _ json: String? = nil) async throws -> (status: Int, body: [String: Any], text: String) {
        let response = try await httpRequest(method, base + path, token: token, json: json)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any] ?? [:]
        return (response.status, object, response.body)
    }

    /// Uploads a file: its bytes as the body, with its content type.
    func upload(_ path: String, as token: String?, _ bytes: [UInt8], type: String) async throws -> (status: Int, body: [String: Any], text: String) {
        let response = try await httpRequest("PUT", base + path, token: token, body: bytes, contentType: type)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.bytes))) as? [String: Any] ?? [:]
        return (response.status, object, response.body)
    }

    /// Creates a tenant through the API with an admin and a user who can log in; returns their tokens.
    func tenant(_ name: String) async throws -> (slug: String, domain: String, admin: String, user: String, adminSIP: String) {
        let slug = TestEnvironment.unique(name)
        let domain = slug.replacingOccurrences(of: "_", with: "-") + ".example.com"
        let created = try await call("POST", "/v1/tenants", as: operatorToken, #"{"slug":"\#(slug)","name":"\#(name) OÜ","sipDomain":"\#(domain)"}"#)
        try #require(created.status == 201, "\(created.text)")
        let admin = try await call("POST", "/v1/tenants/\(slug)/users", as: operatorToken,
                             #"{"extension":"1001","name":"Admin","email":"admin@\#(domain)","role":"admin","password":"admin-password-1"}"#)
        try #require(admin.status == 201, "\(admin.text)")
        let user = try await call("POST", "/v1/tenants/\(slug)/users", as: operatorToken,
                            #"{"extension":"1002","name":"User","email":"user@\#(domain)","password":"user-password-12"}"#)
        try #require(user.status == 201, "\(user.text)")
        return (slug, domain, try await login(slug, "admin@\(domain)", "admin-password-1"), try await login(slug, "user@\(domain)", "user-password-12"),
                try #require((admin.body["sip"] as? [String: Any])?["password"] as? String))
    }

    func login(_ tenant: String, _ email: String, _ password: String) async throws -> String {
        let response = try await httpRequest("POST", "\(base)/v1/auth/token", json: #"{"tenant":"\#(tenant)","email":"\#(email)","password":"\#(password)"}"#)
        try #require(response.status == 201, "login \(email): \(response.body)")
        return try Self.string("token", in: response.body)
    }

    static func string(_ key: String, in json: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return try #require(object?[key] as? String, "no \(key) in \(json)")
    }
}

@Suite("api: provisioning over REST, roles and tenant isolation", .serialized, .timeLimit(.minutes(5)))
struct APITests {
    @Test("a tenant provisioned through the API only: users with generated SIP passwords, a number, a group, a schedule, forwarding and caller ID; a phone registers with the credentials the API returned")
    func provisioningEndToEnd() async throws {
        let sipPort = try freeUDPPort()
        let fixture = try await APIStack.start()
        defer { _ = fixture.api.stop() }
        // The edge runs from the start, as in production: it follows config.changes from the end.
        var edgeEnvironment = serviceEnvironment(prefix: fixture.prefix, port: try freePort())
        edgeEnvironment["SWITCHBOARD_SIP_PORT"] = String(sipPort)
        let edge = try ServiceProcess("sip-edge", environment: edgeEnvironment)
        defer { _ = edge.stop() }
        let op = fixture.operatorToken
        let tenant = try await fixture.tenant("prov")
        let admin = tenant.admin
        let path = "/v1/tenants/\(tenant.slug)"

        let carol = try await fixture.call("POST", "\(path)/users", as: admin, #"{"extension":"1003","name":"Carol","mobile":"+37255500003"}"#)
        #expect(carol.status == 201, "\(carol.text)")
        let sip = try #require(carol.body["sip"] as? [String: Any])
        let secret = try #require(sip["password"] as? String)
        #expect(secret.count == 20 && sip["username"] as? String == "1003" && sip["domain"] as? String == tenant.domain)
        #expect(!carol.text.contains("ha1"), "only the secret, shown once, never a hash")

        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        #expect(try await fixture.call("POST", "\(path)/numbers", as: op, #"{"number":"\#(did)"}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/groups", as: admin,
                                 #"{"name":"sales","strategy":"linear","memberSeconds":10,"overflow":"voicemail"}"#).status == 201)
        let members = try await fixture.call("POST", "\(path)/groups/sales/members", as: admin, #"{"member":"1003"}"#)
        #expect(members.status == 201)
        #expect(try await fixture.call("POST", "\(path)/groups/sales/members", as: admin, #"{"member":"+37255500009","ringSeconds":15}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/schedules", as: admin, #"{"name":"hours","open":"group:sales","closed":"voicemail"}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/schedules/hours/periods", as: admin, #"{"days":[1,2,3,4,5],"opens":"08:00","closes":"17:00"}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/schedules/hours/exceptions", as: admin, #"{"day":"2026-12-24","label":"Christmas Eve"}"#).status == 201)
        let routed = try await fixture.call("PUT", "\(path)/numbers/\(did)", as: admin, #"{"destination":"schedule:hours"}"#)
        #expect(routed.body["destination"] as? String == "schedule:hours" && routed.body["isMain"] as? Bool == true, "\(routed.text)")
        let forwarding = try await fixture.call("PUT", "\(path)/users/1003/forwarding/no-answer", as: admin, #"{"to":"user:1001","noAnswerSeconds":15}"#)
        #expect(forwarding.status == 200, "\(forwarding.text)")
        let identity = try await fixture.call("PUT", "\(path)/users/1003/outbound-identity", as: admin, #"{"callerId":"own","defaultClass":"private"}"#)
        #expect(identity.body["callerId"] as? String == "own" && identity.body["defaultClass"] as? String == "private")

        // What the API wrote is what routing reads.
        let schedule = try await fixture.call("GET", "\(path)/schedules/hours", as: admin)
        #expect((schedule.body["periods"] as? [Any])?.count == 5 && (schedule.body["exceptions"] as? [Any])?.count == 1)
        let group = try await fixture.call("GET", "\(path)/groups/sales", as: admin)
        #expect((group.body["members"] as? [[String: Any]])?.compactMap { $0["member"] as? String } == ["1003", "+37255500009"])
        let rules = try await DialplanConfiguration(db: fixture.db, publisher: EventPublisher(producer: try KafkaProducer(
            configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger), topicPrefix: fixture.prefix))
            .forwarding(tenant: tenant.slug, extension: "1003")
        #expect(rules.map { "\($0.when) \($0.to) \($0.noAnswerSeconds ?? 0)" } == ["no-answer user:1001 15"])

        // A phone registers with the generated credentials at the sip-edge of the same deployment.
        let listening = await eventually(timeout: .seconds(30)) { edge.log.contains("SIP listening") }
        try #require(listening, "\(edge.log)")
        let register = try await runSIPp(scenario: "register.xml", target: "127.0.0.1:\(sipPort)", injection: [["1003", tenant.domain, secret, "60"]],
                                   localPort: try freeUDPPort())
        #expect(register.status == 0, "registered with the API's credentials: \(register.errors)")
        let device = try await fixture.call("GET", "\(path)/users/1003/device", as: admin)
        #expect((device.body["registrations"] as? [Any])?.count == 1, "\(device.text)")

        // A new SIP password replaces the old one: the old one is refused.
        let reset = try await fixture.call("POST", "\(path)/users/1003/device/password", as: admin, "{}")
        let newSecret = try #require(reset.body["password"] as? String)
        #expect(newSecret != secret)
        let renewed = try await runSIPp(scenario: "register.xml", target: "127.0.0.1:\(sipPort)", injection: [["1003", tenant.domain, newSecret, "60"]],
                                  localPort: try freeUDPPort())
        #expect(renewed.status == 0, "the new password works at once: \(renewed.errors)")
        let refused = await eventually(timeout: .seconds(5)) {
            let old = try? await runSIPp(scenario: "register-refused.xml", target: "127.0.0.1:\(sipPort)",
                                   injection: [["1003", tenant.domain, secret, "60"]], localPort: try freeUDPPort())
            return old?.status == 0
        }
        #expect(refused, "the old password no longer registers")
        await fixture.close()
    }

    @Test("roles and tenant isolation on every endpoint: another tenant's admin gets 404, a user gets 403 on admin operations and their own settings only, operator-only operations refuse tenants, no or revoked token gets 401")
    func rolesAndIsolation() async throws {
        // Prompts pass through to recording: it runs too.
        let media = try await MediaStoreFixture.start()
        let fixture = try await APIStack.start(extraEnvironment: ["SWITCHBOARD_RECORDING_URL": media.url])
        defer { _ = fixture.api.stop() }
        let a = try await fixture.tenant("isoa")
        let b = try await fixture.tenant("isob")
        let path = "/v1/tenants/\(a.slug)"
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        let tone = try MediaStoreFixture.audioFile("wav")
        #expect(try await fixture.call("POST", "\(path)/numbers", as: fixture.operatorToken, #"{"number":"\#(did)"}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/groups", as: a.admin, #"{"name":"sales"}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/groups/sales/members", as: a.admin, #"{"member":"1002"}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/schedules", as: a.admin, #"{"name":"hours","open":"group:sales","closed":"none"}"#).status == 201)
        #expect(try await fixture.upload("\(path)/prompts/hello", as: a.admin, tone, type: "audio/wav").status == 201)
        #expect(try await fixture.call("POST", "\(path)/announcements", as: a.admin, #"{"name":"welcome","prompts":["hello"]}"#).status == 201)
        let menu = #"{"name":"main","greeting":"hello","invalidPrompt":"hello","timeoutPrompt":"hello","options":{"1":"group:sales"}}"#
        #expect(try await fixture.call("POST", "\(path)/menus", as: a.admin, menu).status == 201)

        let subscription = try await fixture.call("POST", "\(path)/subscriptions", as: a.admin, #"{"code":"call-sharing","quantity":2,"starts":"2026-10-01"}"#)
        let subscriptionID = try #require(subscription.body["id"] as? String, "\(subscription.text)")
        // Voicemail: the user's box (1002) with a message, and the box of their group.
        #expect(try await fixture.call("POST", "\(path)/voicemail/boxes", as: a.admin, #"{"group":"sales","number":"2000"}"#).status == 201)
        let message = try await leaveVoicemail(in: "1002", tenant: a.slug, media: media).message.id.uuidString.lowercased()
        let box = "\(path)/voicemail/boxes/1002"

        /// `ownBox`: the box's own user only (their PIN): an admin too gets 403.
        enum Access { case operatorOnly, admin, selfOrAdmin, ownBox }
        // Every operation on a tenant's things, with a body that is valid for it.
        let operations: [(String, String, String?, Access)] = [
            ("GET", path, nil, .selfOrAdmin),
            ("POST", "\(path)/suspend", nil, .operatorOnly),
            ("POST", "\(path)/resume", nil, .operatorOnly),
            ("GET", "\(path)/limits", nil, .admin),
            ("PUT", "\(path)/limits", #"{"concurrentCalls":5}"#, .operatorOnly),
            ("GET", "\(path)/users", nil, .admin),
            ("POST", "\(path)/users", #"{"extension":"1009","name":"New"}"#, .admin),
            ("GET", "\(path)/users/1002", nil, .selfOrAdmin),
            ("PATCH", "\(path)/users/1002", #"{"name":"Renamed"}"#, .selfOrAdmin),
            ("GET", "\(path)/users/1002/device", nil, .selfOrAdmin),
            ("POST", "\(path)/users/1002/device/password", "{}", .selfOrAdmin),
            ("GET", "\(path)/users/1002/forwarding", nil, .selfOrAdmin),
            ("PUT", "\(path)/users/1002/forwarding/busy", #"{"to":"voicemail"}"#, .selfOrAdmin),
            ("GET", "\(path)/users/1002/outbound-identity", nil, .selfOrAdmin),
            ("PUT", "\(path)/users/1002/outbound-identity", #"{"callerId":"anonymous"}"#, .selfOrAdmin),
            ("GET", "\(path)/numbers", nil, .admin),
            ("POST", "\(path)/numbers", #"{"number":"+3726999\#(Int.random(in: 1000...9999))"}"#, .operatorOnly),
            ("GET", "\(path)/numbers/\(did)", nil, .admin),
            ("PUT", "\(path)/numbers/\(did)", #"{"destination":"group:sales"}"#, .admin),
            ("GET", "\(path)/groups", nil, .admin),
            ("POST", "\(path)/groups", #"{"name":"support"}"#, .admin),
            ("GET", "\(path)/groups/sales", nil, .admin),
            ("PUT", "\(path)/groups/sales", #"{"name":"sales","strategy":"linear"}"#, .admin),
            ("POST", "\(path)/groups/sales/members", #"{"member":"1001"}"#, .admin),
            ("PUT", "\(path)/groups/sales/members/1002/login", #"{"loggedIn":false}"#, .selfOrAdmin),
            ("GET", "\(path)/schedules", nil, .admin),
            ("POST", "\(path)/schedules", #"{"name":"weekend","open":"none","closed":"none"}"#, .admin),
            ("GET", "\(path)/schedules/hours", nil, .admin),
            ("POST", "\(path)/schedules/hours/periods", #"{"days":[6],"opens":"10:00","closes":"14:00"}"#, .admin),
            ("POST", "\(path)/schedules/hours/exceptions", #"{"day":"2026-12-25"}"#, .admin),
            ("DELETE", "\(path)/schedules/hours/exceptions/2026-12-25", nil, .admin),
            ("DELETE", "\(path)/schedules/hours/periods/6/10:00", nil, .admin),
            ("DELETE", "\(path)/schedules/weekend", nil, .admin),
            ("PATCH", "\(path)/limits", #"{"internationalCalls":3}"#, .operatorOnly),
            ("GET", "\(path)/settings", nil, .admin),
            ("PUT", "\(path)/settings", #"{"language":"en"}"#, .admin),
            ("GET", "\(path)/prompts", nil, .admin),
            ("POST", "\(path)/prompts/spoken/speech", #"{"text":"Tere","language":"et"}"#, .admin),
            ("GET", "\(path)/prompts/hello/audio", nil, .admin),
            ("GET", "\(path)/announcements", nil, .admin),
            ("POST", "\(path)/announcements", #"{"name":"closed","prompts":["hello"]}"#, .admin),
            ("GET", "\(path)/announcements/welcome", nil, .admin),
            ("PUT", "\(path)/announcements/welcome", #"{"name":"welcome","prompts":["hello"],"next":"group:sales"}"#, .admin),
            ("GET", "\(path)/menus", nil, .admin),
            ("POST", "\(path)/menus", #"{"name":"second","greeting":"hello","invalidPrompt":"hello","timeoutPrompt":"hello"}"#, .admin),
            ("GET", "\(path)/menus/main", nil, .admin),
            ("PUT", "\(path)/menus/main", menu, .admin),
            ("GET", "\(path)/groups/sales/welcome", nil, .admin),
            ("PUT", "\(path)/groups/sales/welcome", #"{"announcement":"welcome"}"#, .admin),
            ("DELETE", "\(path)/groups/sales/welcome", nil, .admin),
            ("DELETE", "\(path)/announcements/closed", nil, .admin),
            ("DELETE", "\(path)/menus/second", nil, .admin),
            ("DELETE", "\(path)/prompts/spoken", nil, .admin),
            ("DELETE", "\(path)/groups/sales/members/1001", nil, .admin),
            ("GET", "\(path)/subscriptions", nil, .admin),
            ("POST", "\(path)/subscriptions", #"{"code":"intl-50","starts":"2026-11-01"}"#, .admin),
            ("POST", "\(path)/subscriptions/\(subscriptionID)/end", #"{"lastDay":"2026-12-31"}"#, .admin),
            ("GET", "\(path)/entitlements", nil, .admin),
            ("GET", "\(path)/invoices", nil, .admin),
            ("GET", "\(path)/invoices/preview?period=2026-10", nil, .admin),
            ("POST", "\(path)/invoices", #"{"period":"2026-10"}"#, .operatorOnly),
            ("GET", "\(path)/voicemail/boxes", nil, .selfOrAdmin),
            ("POST", "\(path)/voicemail/boxes", #"{"group":"support","number":"3000"}"#, .admin),
            ("GET", box, nil, .selfOrAdmin),
            ("GET", "\(path)/voicemail/boxes/2000", nil, .selfOrAdmin),
            ("PATCH", box, #"{"greetingMode":"unavailable","maxSeconds":90}"#, .selfOrAdmin),
            ("PUT", "\(box)/pin", #"{"pin":"482613"}"#, .ownBox),
            ("POST", "\(box)/pin/reset", nil, .admin),
            ("GET", "\(box)/messages", nil, .selfOrAdmin),
            ("GET", "\(box)/messages/\(message)", nil, .selfOrAdmin),
            ("PATCH", "\(box)/messages/\(message)", #"{"folder":"heard"}"#, .selfOrAdmin),
            ("POST", "\(box)/messages/\(message)/audio-url", nil, .selfOrAdmin),
            ("POST", "\(box)/greetings/busy/speech", #"{"text":"Olen kõnes.","language":"et"}"#, .selfOrAdmin),
            ("GET", "\(box)/greetings", nil, .selfOrAdmin),
            ("GET", "\(box)/greetings/busy", nil, .selfOrAdmin),
            ("DELETE", "\(box)/greetings/busy", nil, .selfOrAdmin),
            ("DELETE", "\(box)/messages/\(message)", nil, .selfOrAdmin),
            ("DELETE", "\(path)/voicemail/boxes/3000", nil, .admin),
        ]
        /// One operation as no one, as B's admin, as A's user and as A's admin (but not for the
        /// user's own settings, which the user's call just changed).
        func check(_ label: String, _ access: Access, ownSettings: Bool,
                   _ send: (String?) async throws -> (status: Int, body: [String: Any], text: String)) async throws {
            #expect(try await send(nil).status == 401, "\(label) without a token")
            let foreign = try await send(b.admin)
            #expect(foreign.status == 404 && (foreign.body["error"] as? [String: Any])?["code"] as? String == "not_found",
                    "\(label) as tenant B's admin: \(foreign.status) \(foreign.text)")
            #expect(!foreign.text.contains(a.domain), "\(label): nothing of A in the answer")
            let asUser = try await send(a.user)
            #expect([.selfOrAdmin, .ownBox].contains(access) ? (200..<300).contains(asUser.status) : asUser.status == 403,
                    "\(label) as A's user: \(asUser.status) \(asUser.text)")
            if access != .selfOrAdmin || !ownSettings {
                let asAdmin = try await send(a.admin)
                #expect([.operatorOnly, .ownBox].contains(access) ? asAdmin.status == 403 : (200..<300).contains(asAdmin.status),
                        "\(label) as A's admin: \(asAdmin.status) \(asAdmin.text)")
            }
        }
        for (method, target, body, access) in operations {
            try await check("\(method) \(target)", access, ownSettings: target != path) { try await fixture.call(method, target, as: $0, body) }
        }
        // An upload is an audio file, not JSON.
        try await check("PUT \(path)/prompts/tone", .admin, ownSettings: false) { try await fixture.upload("\(path)/prompts/tone", as: $0, tone, type: "audio/wav") }
        try await check("PUT \(box)/greetings/name", .selfOrAdmin, ownSettings: true) {
            try await fixture.upload("\(box)/greetings/name", as: $0, tone, type: "audio/wav")
        }
        // A user reaches their own box and their group's only: any other is a 404, as if it did not exist.
        for (method, target, body) in [("GET", "\(path)/voicemail/boxes/1001", nil), ("PATCH", "\(path)/voicemail/boxes/1001", #"{"emailNotify":false}"#),
                                       ("PUT", "\(path)/voicemail/boxes/1001/pin", #"{"pin":"482613"}"#),
                                       ("GET", "\(path)/voicemail/boxes/1001/messages", nil),
                                       ("GET", "\(path)/voicemail/boxes/1001/greetings", nil),
                                       ("DELETE", "\(path)/voicemail/boxes/1001/greetings/name", nil)] as [(String, String, String?)] {
            let hidden = try await fixture.call(method, target, as: a.user, body)
            #expect(hidden.status == 404, "\(method) \(target) as 1002: \(hidden.status) \(hidden.text)")
        }
        // A user reaches only their own settings: 1002 on 1001's are refused.
        for (method, target, body) in [("GET", "\(path)/users/1001", nil), ("PATCH", "\(path)/users/1001", #"{"name":"X"}"#),
                                       ("POST", "\(path)/users/1001/device/password", "{}"),
                                       ("PUT", "\(path)/users/1001/forwarding/always", #"{"to":"voicemail"}"#),
                                       ("PUT", "\(path)/users/1001/outbound-identity", #"{"callerId":"own"}"#)] as [(String, String, String?)] {
            #expect(try await fixture.call(method, target, as: a.user, body).status == 403, "\(method) \(target) as 1002")
        }
        #expect(try await fixture.call("PATCH", "\(path)/users/1002", as: a.user, #"{"role":"admin"}"#).status == 403, "no self-promotion")
        // Operator-only lists.
        #expect(try await fixture.call("GET", "/v1/tenants", as: a.admin).status == 403)
        #expect(try await fixture.call("POST", "/v1/tenants", as: a.admin, #"{"slug":"x_y","name":"X","sipDomain":"x.example.com"}"#).status == 403)
        let tenants = try await fixture.call("GET", "/v1/tenants?limit=200", as: fixture.operatorToken)
        #expect((tenants.body["items"] as? [[String: Any]])?.contains { $0["slug"] as? String == a.slug } == true)

        // Logging out revokes the token.
        #expect(try await fixture.call("DELETE", "/v1/auth/token", as: b.admin).status == 204)
        #expect(try await fixture.call("GET", "/v1/me", as: b.admin).status == 401)
        // A wrong password, or a tenant that is not the user's, gives no token.
        #expect(try await httpRequest("POST", "\(fixture.base)/v1/auth/token", json: #"{"tenant":"\#(b.slug)","email":"admin@\#(a.domain)","password":"admin-password-1"}"#).status == 401)
        #expect(try await httpRequest("POST", "\(fixture.base)/v1/auth/token", json: #"{"email":"nobody@example.com","password":"whatever-password"}"#).status == 401)
        // Guessing is throttled per e-mail: after 10 failures even the right password waits (429).
        for _ in 0..<10 {
            _ = try await httpRequest("POST", "\(fixture.base)/v1/auth/token", json: #"{"tenant":"\#(a.slug)","email":"user@\#(a.domain)","password":"wrong-password-1"}"#)
        }
        let locked = try await fixture.call("POST", "/v1/auth/token", as: nil, #"{"tenant":"\#(a.slug)","email":"user@\#(a.domain)","password":"user-password-12"}"#)
        #expect(locked.status == 429 && (locked.body["error"] as? [String: Any])?["code"] as? String == "too_many_attempts", "\(locked.text)")
        // The audit log names who changed what.
        let actors = try await fixture.db.query("""
            SELECT actor FROM \(identifier: try TenantSlug(a.slug).schema).audit_log WHERE action = 'group.created'
            """).map { try $0.decode("actor", as: String.self) }
        #expect(actors.contains("admin:1001@\(a.slug)"), "\(actors)")
        await fixture.close()
        await media.stop()
    }

    @Test("pagination: limit and after walk a list page by page without gaps or repeats")
    func pagination() async throws {
        let fixture = try await APIStack.start()
        defer { _ = fixture.api.stop() }
        let a = try await fixture.tenant("page")
        for ext in 2010..<2017 {
            #expect(try await fixture.call("POST", "/v1/tenants/\(a.slug)/users", as: a.admin, #"{"extension":"\#(ext)","name":"U\#(ext)"}"#).status == 201)
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await fixture.call("GET", "/v1/tenants/\(a.slug)/users?limit=3" + (cursor.map { "&after=\($0)" } ?? ""), as: a.admin)
            let items = try #require(page.body["items"] as? [[String: Any]])
            #expect(items.count <= 3)
            seen += items.compactMap { $0["extension"] as? String }
            cursor = page.body["next"] as? String
        } while cursor != nil
        #expect(seen == ["1001", "1002"] + (2010..<2017).map(String.init))
        #expect(try await fixture.call("GET", "/v1/tenants/\(a.slug)/users?limit=0", as: a.admin).status == 400)
        await fixture.close()
    }
}
