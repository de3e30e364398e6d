import ArgumentParser
import Foundation
import Pricing
import Tenancy

/// The demo tenant that `make run` seeds: tenant `demo`, SIP domain demo.localhost, users
/// 1001–1003 (1001 its admin), main number +3726001000 (to user 1001), Bob's recorded number
/// +3726001002, and a demo operator account. Idempotent.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed the demo tenant (idempotent).", subcommands: [Seed.self, Menu.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the demo tenant, users 1001–1003 and its main number.")

        static let operatorEmail = "operator@switchboard.localhost"
        static let operatorPassword = "operator-demo-password"
        static let voicemailPIN = "135790"
        static let recordedNumber = "+3726001002"

        func run() async throws {
            try await withCLI { cli in
                var warnings: [String] = []
                /// The tenant is its admin's to change: a step that finds it changed (the e-mail
                /// taken, the user gone) is left out with a warning, and `make run` goes on.
                func step(_ what: String, _ body: () async throws -> Void) async throws {
                    do {
                        try await body()
                    } catch let refusal as TenancyError {
                        warnings.append("\(what): \(refusal)")
                    }
                }
                let provisioning = try cli.provisioning()
                if (try? await provisioning.tenant("demo")) == nil {
                    try await provisioning.createTenant(slug: "demo", name: "Demo OÜ", sipDomain: "demo.localhost")
                }
                let dialplan = try cli.dialplan()
                let voicemail = try await cli.voicemail(tenant: "demo")
                // Alice is the tenant's admin in the console and API. Only missing users are made:
                // one that exists is as its admin left it.
                for (ext, name, role) in [("1001", "Alice Tamm", "admin"), ("1002", "Bob Kask", "user"), ("1003", "Carol Saar", "user")]
                where (try? await provisioning.user(tenant: "demo", extension: ext)) == nil {
                    let email = "\(name.split(separator: " ")[0].lowercased())@demo.localhost"
                    try await step("user \(ext)") {
                        do {
                            try await provisioning.createUser(tenant: "demo", extension: ext, name: name, password: "demo-\(ext)-secret",
                                                              email: email, role: role, consolePassword: "demo-\(ext)-console")
                        } catch TenancyError.conflict(let reason) {
                            // Its e-mail is another user's now: the phone still registers.
                            try await provisioning.createUser(tenant: "demo", extension: ext, name: name, password: "demo-\(ext)-secret",
                                                              role: role)
                            warnings.append("user \(ext) made without a console login: \(reason)")
                        }
                        // Voicemail on busy, no answer (20 s) and unregistered, and a PIN the demo prints.
                        for condition in ["busy", "no-answer", "unregistered"] {
                            try await dialplan.setForwarding(tenant: "demo", extension: ext, when: condition, to: "voicemail",
                                                             noAnswerSeconds: condition == "no-answer" ? 20 : nil)
                        }
                        try await voicemail.changePIN(tenant: "demo", box: ext, pin: Self.voicemailPIN)
                    }
                }
                do {
                    try await provisioning.createOperator(email: Self.operatorEmail, password: Self.operatorPassword)
                } catch TenancyError.conflict {}
                // Numbers that are there already (to whoever the admin gave them) stay as they are.
                for (number, user) in [("+3726001000", "1001"), (Self.recordedNumber, "1002")] {
                    try await step("number \(number)") {
                        do {
                            try await provisioning.assignNumber(tenant: "demo", number: number, userExtension: user)
                        } catch TenancyError.conflict {}
                    }
                }
                // Bob's recorded number has the 10-day recording add-on (dial it from 1001).
                try await step("recording add-on of \(Self.recordedNumber)") {
                    let billing = try cli.billing()
                    if try await !billing.subscriptions(tenant: "demo").contains(where: {
                        $0.code == "recording-10d" && $0.number == Self.recordedNumber && $0.ends == nil
                    }) {
                        _ = try await billing.subscribe(tenant: "demo", code: "recording-10d", quantity: 1, number: Self.recordedNumber,
                                                        starts: Day.today(in: TimeZone(identifier: "UTC")!).description)
                    }
                }
                for warning in warnings { FileHandle.standardError.write(Data("demo seed: warning: \(warning)\n".utf8)) }
                print("demo tenant: ready (demo.localhost, users 1001–1003, main number +3726001000, recorded number \(Self.recordedNumber)); "
                      + "operator \(Self.operatorEmail)")
            }
        }
    }

    /// The demo's IVR, once `recording` runs (its prompts are text-to-speech): the add-on, an
    /// opening-hours announcement, and menu `main` on +3726001001 — 1 Bob, 2 Carol, 0 the hours,
    /// 9 again, or an extension dialled directly; after two misses, Alice.
    struct Menu: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give the demo tenant an IVR menu on +3726001001 (needs recording running).")

        static let number = "+3726001001"

        func run() async throws {
            try await withCLI { cli in
                let dialplan = try cli.dialplan()
                let (media, slug) = try await cli.media(tenant: "demo")
                let prompts = try await Set(media.prompts(tenant: slug).map(\.name))
                for (name, text) in [
                    ("demo-greeting", "Tere tulemast Demo OÜ-sse! Müügi jaoks vajutage üks, toe jaoks kaks, lahtiolekuaegade jaoks null. "
                        + "Kui teate numbrit, valige see kohe."),
                    ("demo-hours", "Oleme avatud esmaspäevast reedeni kella üheksast seitsmeteistkümneni. Head aega!"),
                ] where !prompts.contains(name) {
                    _ = try await media.speak(text, language: .estonian, name: name, tenant: slug)
                }
                let billing = try cli.billing()
                if try await !billing.subscriptions(tenant: "demo").contains(where: { $0.code == "ivr" && $0.ends == nil }) {
                    _ = try await billing.subscribe(tenant: "demo", code: "ivr", quantity: 1, number: nil,
                                                    starts: Day.today(in: TimeZone(identifier: "UTC")!).description)
                }
                try await dialplan.createAnnouncement(tenant: "demo", AnnouncementView(name: "hours", prompts: ["demo-hours"], next: "none"))
                try await dialplan.createMenu(tenant: "demo", MenuView(
                    name: "main", greeting: "demo-greeting", timeoutSeconds: 5, retries: 1, final: "user:1001", directDial: true,
                    options: ["1": "user:1002", "2": "user:1003", "0": "announcement:hours", "9": "repeat"]))
                do {
                    try await cli.provisioning().assignNumber(tenant: "demo", number: Self.number, userExtension: nil)
                } catch TenancyError.conflict {}
                try await dialplan.routeNumber(tenant: "demo", number: Self.number, to: "ivr:main")
                print("demo IVR: \(Self.number) → ivr:main (1 Bob, 2 Carol, 0 opening hours, 9 again, or an extension)")
            }
        }
    }
}
