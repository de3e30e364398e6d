import Foundation
import Postgres
import Tenancy
import Messaging
import Testing
import TestSupport

/// The `switchboard` CLI as an operator runs it.
@Suite("switchboard CLI", .timeLimit(.minutes(4)))
struct CLITests {
    let prefix = TestEnvironment.unique("cli") + "."

    var environment: [String: String] {
        [
            "SWITCHBOARD_DATABASE_URL": TestEnvironment.databaseURL,
            "SWITCHBOARD_KAFKA_BROKERS": TestEnvironment.kafkaBrokers,
            "SWITCHBOARD_TOPIC_PREFIX": prefix,
            "SWITCHBOARD_KAFKA_IDEMPOTENCE": "false",
        ]
    }

    func cli(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await cli(arguments)
    }

    /// The CLI with more environment (where recording is, say).
    func cli(_ arguments: [String], extra: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let environment = self.environment.merging(extra) { $1 }
        return try await onOwnThread { try runProgram("\(TestEnvironment.binPath)/switchboard", arguments, environment: environment) }
    }

    @Test("demo seed fills in what is missing and never stops make run: twice is once; after an admin deleted alice and gave her e-mail to bob, and changed bob's PIN and forwarding, it makes 1001 again without a login, warns, and keeps every change")
    func demoSeedNeverBlocks() async throws {
        #expect(try await cli("topics", "ensure").status == 0)
        let first = try await cli("demo", "seed")
        try #require(first.status == 0, "\(first.stderr)")
        let again = try await cli("demo", "seed")
        #expect(again.status == 0 && again.stderr.isEmpty, "\(again.stderr)")

        let db = TestEnvironment.postgres(maxConnections: 1)
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        defer { Task { await producer.shutdown(); await db.shutdown() } }
        // As an admin may, through the API.
        try await Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: prefix), logger: TestEnvironment.logger)
            .deleteUser(tenant: "demo", extension: "1001", actor: "test")
        try await db.query("UPDATE tenant_demo.users SET email = 'alice@demo.localhost' WHERE extension = '1002'")
        try await db.query("UPDATE tenant_demo.voicemail_boxes SET pin_hash = 'changed-by-bob' WHERE number = '1002'")
        try await db.query("""
            DELETE FROM tenant_demo.forwarding WHERE user_id = (SELECT id FROM tenant_demo.users WHERE extension = '1002') AND condition = 'busy'
            """)

        let changed = try await cli("demo", "seed")
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stderr.contains("demo seed: warning: user 1001 made without a console login"), "\(changed.stderr)")
        let users = try await db.query("SELECT extension, email FROM tenant_demo.users ORDER BY extension")
        let emails = try users.map { (try $0.decode("extension", as: String.self), try $0.decode("email", as: String?.self)) }
        #expect(emails.map(\.0) == ["1001", "1002", "1003"])
        #expect(emails.first?.1 == nil && emails.dropFirst().first?.1 == "alice@demo.localhost", "\(emails)")
        let pin: String? = try await db.query("SELECT pin_hash FROM tenant_demo.voicemail_boxes WHERE number = '1002'").first?.decode("pin_hash")
        #expect(pin == "changed-by-bob", "bob's PIN is his")
        let forwarding = try await db.query("""
            SELECT condition FROM tenant_demo.forwarding f JOIN tenant_demo.users u ON u.id = f.user_id WHERE u.extension = '1002' ORDER BY 1
            """).map { try $0.decode("condition", as: String.self) }
        #expect(forwarding == ["no-answer", "unregistered"], "bob's forwarding is as he left it")
    }

    @Test("topics ensure, migrate, tenants create, users create, numbers assign, tenants list, topics tail")
    func provisioningFlow() async throws {
        #expect(try await cli("topics", "ensure").status == 0)
        #expect(try await cli("topics", "ensure").stdout.contains("all exist"))
        #expect(try await cli("migrate").status == 0)
        #expect(try await cli("migrate").stdout.contains("up to date"))

        let slug = TestEnvironment.unique("cli")
        let domain = slug.replacingOccurrences(of: "_", with: "-") + ".example.com"
        let created = try await cli("tenants", "create", "--slug", slug, "--name", "CLI Test OÜ", "--domain", domain, "--timezone", "Europe/Riga")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("schema tenant_\(slug)"))

        let user = try await cli("users", "create", "--tenant", slug, "--extension", "1001", "--name", "Mari", "--password", "mari-secret-1", "--mobile", "+37255500001")
        #expect(user.status == 0, "\(user.stderr)")
        let number = "+37260\(Int.random(in: 10_000...99_999))"
        #expect(try await cli("numbers", "assign", "--tenant", slug, "--number", number, "--user", "1001").status == 0)

        let list = try await cli("tenants", "list")
        let line = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix(slug + " ") })
        #expect(line.contains(domain) && line.contains("Europe/Riga") && line.contains(number))

        // As an operator checks it: create, then tail (which shows the latest messages first).
        let tail = try await cli("topics", "tail", "tenant.lifecycle", "--tenant", slug, "--count", "1", "--timeout", "10")
        #expect(tail.status == 0)
        #expect(tail.stdout.contains("tenant.created") && tail.stdout.contains("tenant=\(slug)") && tail.stdout.contains("\"sipDomain\" : \"\(domain)\""))
        let changes = try await cli("topics", "tail", "config.changes", "--from-beginning", "--tenant", slug, "--type", "config.changed", "--count", "2", "--timeout", "10")
        #expect(changes.stdout.components(separatedBy: "  config.changed  tenant=\(slug)").count - 1 == 2, "\(changes.stdout)")

        let schema = try await TestEnvironment.postgres(maxConnections: 1).query(
            "SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = \("tenant_" + slug)")
        #expect(try schema[0].decode("n", as: Int.self) == 1)
    }

    @Test("dialplan commands: a group with members and login, working hours with a holiday, forwarding, caller ID, limits, a number's destination")
    func dialplanCommands() async throws {
        #expect(try await cli("topics", "ensure").status == 0)
        #expect(try await cli("migrate").status == 0)
        let slug = TestEnvironment.unique("cli")
        #expect(try await cli("tenants", "create", "--slug", slug, "--name", "Dialplan", "--domain", slug.replacingOccurrences(of: "_", with: "-") + ".example.com").status == 0)
        for ext in ["1001", "1002"] {
            #expect(try await cli("users", "create", "--tenant", slug, "--extension", ext, "--name", "U \(ext)", "--password", "password-\(ext)").status == 0)
        }
        let number = "+37260\(Int.random(in: 10_000...99_999))"
        #expect(try await cli("numbers", "assign", "--tenant", slug, "--number", number).status == 0)
        let steps: [[String]] = [
            ["groups", "create", "--tenant", slug, "--name", "sales", "--strategy", "round-robin", "--member-seconds", "15", "--overflow", "voicemail"],
            ["groups", "add-member", "--tenant", slug, "--group", "sales", "--member", "1001"],
            ["groups", "add-member", "--tenant", slug, "--group", "sales", "--member", "+37255512345", "--ring-seconds", "25"],
            ["groups", "logout", "--tenant", slug, "--group", "sales", "--member", "1001"],
            ["schedules", "create", "--tenant", slug, "--name", "office", "--open", "group:sales", "--closed", "voicemail"],
            ["schedules", "hours", "--tenant", slug, "--schedule", "office", "--days", "1-5", "--opens", "09:00", "--closes", "17:00"],
            ["schedules", "exception", "--tenant", slug, "--schedule", "office", "--date", "2026-12-24", "--label", "Christmas Eve"],
            ["forwarding", "--tenant", slug, "--extension", "1002", "--when", "no-answer", "--to", "user:1001", "--seconds", "20"],
            ["caller-id", "--tenant", slug, "--extension", "1002", "--present", "own", "--class", "private"],
            ["limits", "--tenant", slug, "--concurrent", "10", "--international", "2"],
            ["numbers", "route", "--tenant", slug, "--number", number, "--to", "schedule:office"],
        ]
        for step in steps {
            let result = try runProgram("\(TestEnvironment.binPath)/switchboard", step, environment: environment)
            #expect(result.status == 0, "\(step.joined(separator: " ")): \(result.stderr)")
        }
        let db = TestEnvironment.postgres(maxConnections: 1)
        let schema = try SQLIdentifier("tenant_" + slug)
        let members = try await db.query("SELECT member, logged_in, ring_seconds FROM \(identifier: schema).group_members ORDER BY position")
        #expect(try members.map { try $0.decode("member", as: String.self) } == ["1001", "+37255512345"])
        #expect(try members.map { try $0.decode("logged_in", as: Bool.self) } == [false, true])
        #expect(try await db.query("SELECT 1 AS one FROM \(identifier: schema).schedule_periods").count == 5)
        let routed = try await db.query("SELECT destination_kind, destination_ref FROM \(identifier: schema).numbers WHERE e164 = \(number)")
        #expect(try routed.first?.decode("destination_ref", as: String?.self) == "office")
        let user = try await db.query("SELECT caller_id, default_class FROM \(identifier: schema).users WHERE extension = '1002'")
        #expect(try user.first?.decode("caller_id", as: String.self) == "own")
        // What was added can be removed: hours, a holiday, a schedule, a group.
        #expect(try await cli("schedules", "remove-hours", "--tenant", slug, "--schedule", "office", "--days", "5", "--opens", "09:00").status == 0)
        #expect(try await db.query("SELECT 1 AS one FROM \(identifier: schema).schedule_periods").count == 4)
        #expect(try await cli("schedules", "remove-hours", "--tenant", slug, "--schedule", "office", "--days", "6", "--opens", "09:00").status == 1)
        #expect(try await cli("schedules", "remove-exception", "--tenant", slug, "--schedule", "office", "--date", "2026-12-24").status == 0)
        #expect(try await db.query("SELECT 1 AS one FROM \(identifier: schema).schedule_exceptions").isEmpty)
        #expect(try await cli("schedules", "create", "--tenant", slug, "--name", "spare", "--open", "user:1001", "--closed", "voicemail").status == 0)
        #expect(try await cli("schedules", "delete", "--tenant", slug, "--name", "spare").status == 0)
        #expect(try await db.query("SELECT 1 AS one FROM \(identifier: schema).schedules WHERE name = 'spare'").isEmpty)
        #expect(try await cli("groups", "create", "--tenant", slug, "--name", "spare").status == 0)
        #expect(try await cli("groups", "delete", "--tenant", slug, "--name", "spare").status == 0)
        #expect(try await cli("groups", "delete", "--tenant", slug, "--name", "spare").status == 1)
        #expect(try await cli("caller-id", "--help").stdout.contains("*33#"))
        // Each limit changes alone.
        #expect(try await cli("limits", "--tenant", slug, "--concurrent", "7").stdout.contains("concurrent 7, international 2"))
        #expect(try await cli("limits", "--tenant", slug, "--no-international").stdout.contains("concurrent 7, international none"))
        #expect(try await cli("limits", "--tenant", slug, "--concurrent", "3", "--no-concurrent").status != 0)

        // Mistakes are refused in one line: an unknown strategy, a destination without its name, a bad time.
        for wrong in [["groups", "create", "--tenant", slug, "--name", "x", "--strategy", "loudest"],
                      ["forwarding", "--tenant", slug, "--extension", "1002", "--when", "busy", "--to", "user"],
                      ["schedules", "hours", "--tenant", slug, "--schedule", "office", "--days", "1", "--opens", "17:00", "--closes", "09:00"]] {
            let result = try runProgram("\(TestEnvironment.binPath)/switchboard", wrong, environment: environment)
            #expect(result.status == 1 && result.stderr.split(separator: "\n").count == 1, "\(wrong): \(result.stderr)")
        }
    }

    @Test("call application commands: prompts upload, speak, list and delete (refused while in use) through recording; announcements, menus, a group's welcome, the tenant's language")
    func callApplicationCommands() async throws {
        // With the internal token, as on a cluster: the CLI sends it.
        let token = ["SWITCHBOARD_INTERNAL_TOKEN": "internal-\(UUID().uuidString)"]
        let media = try await MediaStoreFixture.start(environment: token)
        let recording = token.merging(["SWITCHBOARD_RECORDING_URL": media.url]) { $1 }
        #expect(try await cli("topics", "ensure").status == 0)
        #expect(try await cli("migrate").status == 0)
        let slug = TestEnvironment.unique("cli")
        #expect(try await cli("tenants", "create", "--slug", slug, "--name", "Apps", "--domain", slug.replacingOccurrences(of: "_", with: "-") + ".example.com").status == 0)
        let file = NSTemporaryDirectory() + "hello-\(UUID().uuidString.prefix(8)).mp3"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(try MediaStoreFixture.audioFile("mp3")).write(to: URL(fileURLWithPath: file))

        let uploaded = try await cli(["prompts", "upload", "--tenant", slug, "--name", "hello", "--file", file], extra: recording)
        #expect(uploaded.status == 0 && uploaded.stdout.contains("prompt hello: "), "\(uploaded.stdout)\(uploaded.stderr)")
        let spoken = try await cli(["prompts", "speak", "--tenant", slug, "--name", "greeting", "--language", "en", "--text", "Welcome to Acme."], extra: recording)
        #expect(spoken.status == 0 && spoken.stdout.contains("tts"), "\(spoken.stdout)\(spoken.stderr)")
        let list = try await cli(["prompts", "list", "--tenant", slug], extra: recording)
        let hello = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("hello ") }, "\(list.stdout)\(list.stderr)")
        #expect(hello.contains("upload") && list.stdout.contains("Welcome to Acme."), "\(list.stdout)")

        let steps: [[String]] = [
            ["groups", "create", "--tenant", slug, "--name", "sales"],
            ["announcements", "create", "--tenant", slug, "--name", "welcome", "--prompts", "greeting,hello", "--next", "group:sales"],
            ["groups", "welcome", "--tenant", slug, "--group", "sales", "--announcement", "welcome"],
            ["menus", "create", "--tenant", slug, "--name", "main", "--greeting", "greeting", "--option", "1=group:sales", "--option", "9=repeat",
             "--option", "0=hangup", "--timeout", "7", "--retries", "1", "--invalid-prompt", "hello", "--timeout-prompt", "hello",
             "--final", "announcement:welcome", "--direct-dial"],
            ["tenants", "language", "--tenant", slug, "--language", "en"],
        ]
        for step in steps {
            let result = try await cli(step, extra: recording)
            #expect(result.status == 0, "\(step.joined(separator: " ")): \(result.stderr)")
        }
        #expect(try await cli(["announcements", "list", "--tenant", slug], extra: recording).stdout.contains("welcome  greeting,hello  group:sales"))
        let menus = try await cli(["menus", "list", "--tenant", slug], extra: recording).stdout
        #expect(menus.contains("main") && menus.contains("0=hangup 1=group:sales 9=repeat") && menus.contains("7 s"), "\(menus)")
        let db = TestEnvironment.postgres(maxConnections: 1)
        let schema = try SQLIdentifier("tenant_" + slug)
        #expect(try await db.query("SELECT welcome FROM \(identifier: schema).groups WHERE name = 'sales'").first?.decode("welcome", as: String?.self) == "welcome")
        #expect(try await db.query("SELECT direct_dial FROM \(identifier: schema).menus WHERE name = 'main'").first?.decode("direct_dial", as: Bool.self) == true)
        #expect(try await db.query("SELECT language FROM platform.tenants WHERE slug = \(slug)").first?.decode("language", as: String.self) == "en")

        // In use: refused in one line that names the users.
        let refused = try await cli(["prompts", "delete", "--tenant", slug, "--name", "hello"], extra: recording)
        #expect(refused.status == 1 && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("announcement:welcome") && refused.stderr.contains("ivr:main"), "\(refused.stderr)")
        for step in [["groups", "welcome", "--tenant", slug, "--group", "sales", "--none"], ["menus", "delete", "--tenant", slug, "--name", "main"],
                     ["announcements", "delete", "--tenant", slug, "--name", "welcome"], ["prompts", "delete", "--tenant", slug, "--name", "hello"]] {
            let result = try await cli(step, extra: recording)
            #expect(result.status == 0, "\(step.joined(separator: " ")): \(result.stderr)")
        }
        #expect(!(try await cli(["prompts", "list", "--tenant", slug], extra: recording).stdout.contains("hello ")))

        // Mistakes in one line: a key that is none, an unknown prompt, a tenant that is none; a misused
        // command with its usage.
        let both = try await cli(["groups", "welcome", "--tenant", slug, "--group", "sales", "--announcement", "welcome", "--none"], extra: recording)
        #expect(both.status != 0 && both.stderr.contains("give --announcement NAME or --none"), "\(both.stderr)")
        for wrong in [["menus", "create", "--tenant", slug, "--name", "x", "--greeting", "greeting", "--option", "x=repeat"],
                      ["announcements", "create", "--tenant", slug, "--name", "x", "--prompts", "nope"],
                      ["prompts", "list", "--tenant", "no_such_tenant"]] {
            let result = try await cli(wrong, extra: recording)
            #expect(result.status != 0 && result.stderr.split(separator: "\n").count == 1, "\(wrong): \(result.stderr)")
        }
        // recording away: said in one line, not a hang.
        media.recording.stop()
        let away = try await cli(["prompts", "list", "--tenant", slug], extra: recording)
        #expect(away.status == 1 && away.stderr.contains("did not answer") && away.stderr.split(separator: "\n").count == 1, "\(away.stderr)")
        await media.stop()
    }

    @Test("voicemail commands: boxes list, show, create-group, set and delete; a PIN reset; messages list, mark and delete; greetings upload, speak and remove through recording")
    func voicemailCommands() async throws {
        let token = ["SWITCHBOARD_INTERNAL_TOKEN": "internal-\(UUID().uuidString)"]
        let media = try await MediaStoreFixture.start(environment: token)
        let recording = token.merging(["SWITCHBOARD_RECORDING_URL": media.url]) { $1 }
        func run(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await cli(arguments, extra: recording)
        }
        #expect(try await cli("topics", "ensure").status == 0)
        #expect(try await cli("migrate").status == 0)
        let slug = TestEnvironment.unique("cli")
        #expect(try await run("tenants", "create", "--slug", slug, "--name", "Voicemail", "--domain", slug.replacingOccurrences(of: "_", with: "-") + ".example.com").status == 0)
        let user = try await run("users", "create", "--tenant", slug, "--extension", "1001", "--name", "Mari", "--password", "mari-secret-1")
        #expect(user.status == 0 && user.stdout.contains("voicemail PIN"), "\(user.stdout)\(user.stderr)")
        #expect(try await run("groups", "create", "--tenant", slug, "--name", "sales").status == 0)
        let group = try await run("voicemail", "boxes", "create-group", "--tenant", slug, "--group", "sales", "--number", "2000")
        #expect(group.status == 0 && group.stdout.contains(/box 2000, PIN [0-9]{6} \(shown once\)/), "\(group.stdout)\(group.stderr)")
        let list = try await run("voicemail", "boxes", "list", "--tenant", slug)
        #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("1001 ") && $0.contains("user 1001") }, "\(list.stdout)")
        #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("2000 ") && $0.contains("group sales") }, "\(list.stdout)")

        let set = try await run("voicemail", "boxes", "set", "--tenant", slug, "--box", "1001", "--greeting-mode", "unavailable", "--max-seconds", "60",
                                "--quota", "20", "--email-notify", "false")
        #expect(set.status == 0 && set.stdout.contains("greeting mode  unavailable") && set.stdout.contains("quota 20") && set.stdout.contains("60 s")
                && set.stdout.contains("e-mail         off"), "\(set.stdout)\(set.stderr)")
        #expect(try await run("voicemail", "boxes", "show", "--tenant", slug, "--box", "1001").stdout == set.stdout)
        for wrong in [["voicemail", "boxes", "set", "--tenant", slug, "--box", "1001", "--quota", "0"],
                      ["voicemail", "boxes", "set", "--tenant", slug, "--box", "1001", "--email", "mari@example.com"],
                      ["voicemail", "boxes", "show", "--tenant", slug, "--box", "9999"],
                      ["voicemail", "boxes", "delete", "--tenant", slug, "--box", "1001"],
                      ["voicemail", "boxes", "list", "--tenant", "no_such_tenant"],
                      ["voicemail", "messages", "mark", "--tenant", slug, "--box", "1001", "--id", UUID().uuidString, "--folder", "heard"]] {
            let result = try await cli(wrong, extra: recording)
            #expect(result.status == 1 && result.stderr.split(separator: "\n").count == 1, "\(wrong): \(result.stderr)")
        }
        let reset = try await run("voicemail", "pin", "reset", "--tenant", slug, "--box", "1001")
        #expect(reset.status == 0 && reset.stdout.contains(/box 1001: PIN [0-9]{6} \(shown once\)/), "\(reset.stdout)\(reset.stderr)")

        // A message, as recording stores one.
        let (message, _) = try await leaveVoicemail(in: "1001", tenant: slug, media: media)
        let id = message.id.uuidString.lowercased()
        let messages = try await run("voicemail", "messages", "list", "--tenant", slug, "--box", "1001")
        #expect(messages.stdout.split(separator: "\n").contains { $0.hasPrefix(id) && $0.contains("new") && $0.contains("+3725551234") && $0.contains("1.5 s") },
                "\(messages.stdout)\(messages.stderr)")
        #expect(try await run("voicemail", "messages", "mark", "--tenant", slug, "--box", "1001", "--id", id, "--folder", "saved").status == 0)
        #expect(try await run("voicemail", "messages", "list", "--tenant", slug, "--box", "1001", "--folder", "saved").stdout.contains(id))
        #expect(!(try await run("voicemail", "messages", "list", "--tenant", slug, "--box", "1001", "--folder", "new").stdout.contains(id)))

        // Greetings through recording.
        let file = NSTemporaryDirectory() + "greeting-\(UUID().uuidString.prefix(8)).ogg"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(try MediaStoreFixture.audioFile("ogg")).write(to: URL(fileURLWithPath: file))
        let uploaded = try await run("voicemail", "greetings", "upload", "--tenant", slug, "--box", "1001", "--kind", "unavailable", "--file", file)
        #expect(uploaded.status == 0 && uploaded.stdout.contains("box 1001: unavailable greeting, upload"), "\(uploaded.stdout)\(uploaded.stderr)")
        let spoken = try await run("voicemail", "greetings", "speak", "--tenant", slug, "--box", "2000", "--kind", "temporary", "--language", "en",
                                   "--text", "We are closed today.")
        #expect(spoken.status == 0 && spoken.stdout.contains("temporary greeting, tts"), "\(spoken.stdout)\(spoken.stderr)")
        #expect(try await run("voicemail", "boxes", "show", "--tenant", slug, "--box", "1001").stdout.contains("greetings      unavailable"))
        #expect(try await run("voicemail", "greetings", "remove", "--tenant", slug, "--box", "1001", "--kind", "unavailable").status == 0)
        #expect(try await run("voicemail", "greetings", "remove", "--tenant", slug, "--box", "1001", "--kind", "unavailable").status == 1)
        let bad = try await run("voicemail", "greetings", "speak", "--tenant", slug, "--box", "1001", "--kind", "loud", "--language", "en", "--text", "x")
        #expect(bad.status != 0 && bad.stderr.contains("loud"), "\(bad.stderr)")

        #expect(try await run("voicemail", "messages", "delete", "--tenant", slug, "--box", "1001", "--id", id).status == 0)
        #expect(!(try await run("voicemail", "messages", "list", "--tenant", slug, "--box", "1001").stdout.contains(id)))
        #expect(try await run("voicemail", "boxes", "delete", "--tenant", slug, "--box", "2000").status == 0)
        #expect(!(try await run("voicemail", "boxes", "list", "--tenant", slug).stdout.contains("group sales")))

        let db = TestEnvironment.postgres(maxConnections: 1)
        let schema = try SQLIdentifier("tenant_" + slug)
        let actions = try await db.query("SELECT action FROM \(identifier: schema).audit_log WHERE actor = 'cli' AND action LIKE 'voicemail.%'")
            .map { try $0.decode("action", as: String.self) }
        for action in ["voicemail.box-create", "voicemail.box-update", "voicemail.pin-reset", "voicemail.message-move", "voicemail.greeting-set",
                       "voicemail.greeting-remove", "voicemail.message-delete", "voicemail.box-delete"] {
            #expect(actions.contains(action), "\(action) by the CLI in \(actions)")
        }
        await db.shutdown()
        await media.stop()
    }

    @Test("recordings commands: a number's and a user's policy set and read back, recordings listed, holds refused for none, the changes in the audit log")
    func recordingsCommands() async throws {
        #expect(try await cli("topics", "ensure").status == 0)
        #expect(try await cli("migrate").status == 0)
        let slug = TestEnvironment.unique("cli")
        #expect(try await cli("tenants", "create", "--slug", slug, "--name", "Recordings", "--domain", slug.replacingOccurrences(of: "_", with: "-") + ".example.com").status == 0)
        #expect(try await cli("users", "create", "--tenant", slug, "--extension", "1001", "--name", "Mari", "--password", "mari-secret-1").status == 0)
        let number = "+37260\(Int.random(in: 10_000...99_999))"
        #expect(try await cli("numbers", "assign", "--tenant", slug, "--number", number, "--user", "1001").status == 0)

        // A number: without a recording add-on nothing is recorded, whatever its policy; with one, kept for its days.
        let set = try await cli("recordings", "set-policy", "--tenant", slug, "--number", number, "--policy", "inbound", "--no-notice")
        #expect(set.status == 0 && set.stdout.contains("number \(number): inbound, notice off, no recording add-on"), "\(set.stdout)\(set.stderr)")
        #expect(try await cli("subscriptions", "add", "--tenant", slug, "--code", "recording-60d", "--number", number).status == 0)
        let shown = try await cli("recordings", "policy", "--tenant", slug, "--number", number)
        #expect(shown.stdout.contains("number \(number): inbound, notice off, recordings kept 60 days"), "\(shown.stdout)\(shown.stderr)")

        // A user's whole policy: what is not given follows the number, and --visible is off unless given.
        let user = try await cli("recordings", "set-policy", "--tenant", slug, "--user", "1001", "--policy", "none", "--visible")
        #expect(user.status == 0 && user.stdout.contains("user 1001: none, notice as the number's, recordings visible to the user"),
                "\(user.stdout)\(user.stderr)")
        let inherited = try await cli("recordings", "set-policy", "--tenant", slug, "--user", "1001", "--inherit", "--notice")
        #expect(inherited.stdout.contains("user 1001: the number's policy, notice on, recordings not visible to the user"), "\(inherited.stdout)\(inherited.stderr)")
        #expect(try await cli("recordings", "policy", "--tenant", slug, "--user", "1001").stdout == inherited.stdout)

        // No recordings yet: the header only, for any filter.
        let list = try await cli("recordings", "list", "--tenant", slug, "--direction", "inbound", "--from", "2026-01-01T00:00:00Z", "--limit", "10")
        #expect(list.status == 0 && list.stdout.split(separator: "\n").map { $0.hasPrefix("ID ") } == [true], "\(list.stdout)\(list.stderr)")

        // Each change written by the CLI, oldest first.
        func entries(_ action: String) async throws -> [[Substring]] {
            let audit = try await cli("recordings", "audit", "--tenant", slug, "--action", action)
            #expect(audit.status == 0, "\(audit.stderr)")
            // ID, AT, then actor, action and subject.
            return audit.stdout.split(separator: "\n").dropFirst().map { Array($0.split(separator: " ").dropFirst(2).prefix(3)) }
        }
        #expect(try await entries("user-recording.") == [["cli", "user-recording.updated", "1001"], ["cli", "user-recording.updated", "1001"]])
        #expect(try await entries("number-recording.") == [["cli", "number-recording.updated", Substring(number)]])

        // Mistakes in one line: a number without --policy, both a number and a user, an unknown number, a recording that is none.
        for wrong in [["recordings", "set-policy", "--tenant", slug, "--number", number, "--no-notice"],
                      ["recordings", "policy", "--tenant", slug, "--number", number, "--user", "1001"],
                      ["recordings", "policy", "--tenant", slug, "--number", "+37260000000"],
                      ["recordings", "hold", "--tenant", slug, "no-such-recording"],
                      ["recordings", "list", "--tenant", "no_such_tenant"]] {
            let result = try await cli(wrong)
            #expect(result.status != 0 && !result.stderr.isEmpty, "\(wrong): \(result.stderr)")
        }
        let missing = try await cli("recordings", "delete", "--tenant", slug, "no-such-recording")
        #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1 && missing.stderr.contains("no recording"), "\(missing.stderr)")

        // An export is asked for (no recording runs here to build it): listed as pending, audited,
        // not downloadable yet.
        let asked = try await cli("recordings", "export", "--tenant", slug, "--direction", "outbound", "--no-voicemail")
        #expect(asked.status == 0 && asked.stdout.hasPrefix("export ") && asked.stdout.contains(": pending"), "\(asked.stdout)\(asked.stderr)")
        let id = String(asked.stdout.dropFirst("export ".count).prefix(36))
        let exports = try await cli("recordings", "exports", "--tenant", slug)
        #expect(exports.stdout.contains("\(id)  request  pending"), "\(exports.stdout)")
        #expect(try await entries("export.") == [["cli", "export.request", Substring(id)]])
        let early = try await cli("recordings", "download", "--tenant", slug, id, "--out", NSTemporaryDirectory() + "early.zip")
        #expect(early.status != 0 && early.stderr.contains("pending, not ready"), "\(early.stderr)")
    }

    @Test("billing and contract-end commands: subscriptions add, change and list, invoice preview, issue and list, terminate, advance")
    func billingCommands() async throws {
        #expect(try await cli("topics", "ensure").status == 0)
        #expect(try await cli("migrate").status == 0)
        let slug = TestEnvironment.unique("cli")
        #expect(try await cli("tenants", "create", "--slug", slug, "--name", "Billing", "--domain", slug.replacingOccurrences(of: "_", with: "-") + ".example.com").status == 0)
        let added = try await cli("subscriptions", "add", "--tenant", slug, "--code", "call-sharing", "--quantity", "4", "--starts", "2026-09-01")
        #expect(added.status == 0, "\(added.stderr)")
        let id = try #require(added.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let changed = try await cli("subscriptions", "change", "--tenant", slug, "--id", id, "--code", "mobile-unlimited", "--from", "2026-09-10")
        #expect(changed.status == 0, "\(changed.stderr)")
        let list = try await cli("subscriptions", "list", "--tenant", slug)
        #expect(list.stdout.contains("2026-09-09") && list.stdout.contains("mobile-unlimited"), "\(list.stdout)")
        // By hand: 4 × 2.00 × 9/30 = 2.40 and 4 × 7.00 × 21/30 = 19.60; subtotal 22.00, VAT 24 % 5.28, total 27.28.
        let preview = try await cli("invoices", "preview", "--tenant", slug, "--period", "2026-09")
        #expect(preview.stdout.contains("\"total\" : \"27.28\""), "\(preview.stdout)\(preview.stderr)")
        let issued = try await cli("invoices", "issue", "--tenant", slug, "--period", "2026-09")
        #expect(issued.status == 0 && issued.stdout.contains("total 27.28 EUR"), "\(issued.stdout)\(issued.stderr)")
        #expect(try await cli("invoices", "list", "--tenant", slug).stdout.contains("27.28"))
        let early = try await cli("invoices", "issue", "--tenant", slug, "--period", "2099-01")
        #expect(early.status != 0 && early.stderr.contains("has not ended"))
        let terminated = try await cli("lifecycle", "terminate", "--tenant", slug, "--notice-days", "0")
        #expect(terminated.status == 0 && terminated.stdout.contains("terminating"), "\(terminated.stderr)")
        #expect(try await cli("lifecycle", "advance", "--today", "2999-01-01", "--tenant", slug).stdout.contains("\(slug): terminated"))
    }

    @Test("errors are one clear line and a non-zero exit", arguments: [
        ["tenants", "create", "--slug", "Bad Slug", "--name", "X", "--domain", "x.example.com"],
        ["users", "create", "--tenant", "no_such_tenant", "--extension", "1001", "--name", "X", "--password", "long-enough"],
        ["numbers", "assign", "--tenant", "no_such_tenant", "--number", "12345"],
        ["topics", "tail", "no.such.topic", "--timeout", "1"],
    ])
    func errors(arguments: [String]) async throws {
        _ = try await cli("migrate")
        let result = try runProgram("\(TestEnvironment.binPath)/switchboard", arguments, environment: environment)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(lines.first?.hasPrefix("switchboard: ") == true)
    }

    @Test("a database that was never migrated is reported with what to do")
    func notMigrated() async throws {
        let cluster = try TestPostgresCluster()
        defer { cluster.destroy() }
        try cluster.start()
        var environment = self.environment
        environment["SWITCHBOARD_DATABASE_URL"] = cluster.url
        let result = try runProgram("\(TestEnvironment.binPath)/switchboard", ["tenants", "list"], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("run `switchboard migrate`"))
    }

    @Test("unreachable PostgreSQL is reported in one line, not a hang")
    func databaseDown() throws {
        var environment = self.environment
        environment["SWITCHBOARD_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:\(try freePort())/none?connect_timeout=2"
        let result = try runProgram("\(TestEnvironment.binPath)/switchboard", ["tenants", "list"], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("switchboard: postgres connection error"))
    }

    @Test("lag lists a group's committed offsets and what it has left to read")
    func lag() async throws {
        #expect(try await cli("topics", "ensure").status == 0)
        let slug = TestEnvironment.unique("lag")
        _ = try await cli("migrate")
        _ = try await cli("tenants", "create", "--slug", slug, "--name", "Lag", "--domain", slug.replacingOccurrences(of: "_", with: "-") + ".example.com")
        // A group that read nothing yet commits offset 0 on tenant.lifecycle, so its lag is everything.
        let group = TestEnvironment.unique("laggroup")
        try await commitStart(group: group, topic: prefix + "tenant.lifecycle")
        let result = try await cli("lag", "--group", group)
        #expect(result.status == 0, "\(result.stderr)")
        let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix(group) })
        let columns = row.split(separator: " ", omittingEmptySubsequences: true)
        #expect(columns[1] == prefix + "tenant.lifecycle")
        #expect(columns[3] == "0")
        #expect(Int(columns[5]) ?? 0 >= 1)
    }
}

import Kafka

/// Commits offset 0 of partition 0 for `group`, as a consumer that has not read anything would.
func commitStart(group: String, topic: String) async throws {
    let consumer = try KafkaConsumer(
        configuration: TestEnvironment.kafka(),
        subscription: .assigned(groupID: group, partitions: [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.beginning)]),
        logger: TestEnvironment.logger)
    var first: KafkaMessage?
    _ = try await eventually(timeout: .seconds(10)) { first = try await consumer.poll(); return first != nil }
    // Mark the message before the first as processed: the committed offset is the first message's.
    if let first {
        var before = first
        before.offset = first.offset - 1
        consumer.markProcessed(before)
    }
    try await consumer.commit()
    await consumer.close()
}
