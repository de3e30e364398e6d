import API
import ArgumentParser
import Foundation
import MediaClient
import Tenancy

extension CLIContext {
    /// The media store, for a tenant that exists.
    func media(tenant: String) async throws -> (MediaStoreClient, TenantSlug) {
        (media, try TenantSlug(try await provisioning().tenant(tenant).slug))
    }
}

/// Prompts live in the media store, which only `recording` writes: these commands go to its
/// internal HTTP at SWITCHBOARD_RECORDING_URL.
struct Prompts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A tenant's prompts: uploaded files (WAV, MP3, OGG; made 8 kHz mono) and text-to-speech (et, en).",
        subcommands: [List.self, Upload.self, Speak.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's prompts and the system prompts in its language.")
        @Option(help: "Tenant slug.") var tenant: String

        func run() async throws {
            try await withCLI { cli in
                let (media, slug) = try await cli.media(tenant: tenant)
                printTable(["NAME", "SOURCE", "LANGUAGE", "DURATION", "SHA-256", "TEXT"], try await media.prompts(tenant: slug).map {
                    [$0.name, $0.source.rawValue, $0.language?.rawValue ?? "-", "\($0.durationMs) ms", String($0.sha256.prefix(12)), $0.text ?? "-"]
                })
            }
        }
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store a WAV, MP3 or OGG file as a prompt (replacing one of that name).")
        @OptionGroup var which: Named
        @Option(help: "The audio file.") var file: String
        @Option(help: "The language spoken in it: et or en.") var language: Language?

        func run() async throws {
            guard let bytes = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            try await withCLI { cli in
                let (media, slug) = try await cli.media(tenant: which.tenant)
                Prompts.report(try await media.upload(Array(bytes), name: which.name, tenant: slug, language: language))
            }
        }
    }

    struct Speak: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a prompt by text-to-speech (espeak-ng).")
        @OptionGroup var which: Named
        @Option(help: "et or en.") var language: Language
        @Option(help: "What it says.") var text: String

        func run() async throws {
            try await withCLI { cli in
                let (media, slug) = try await cli.media(tenant: which.tenant)
                Prompts.report(try await media.speak(text, language: language, name: which.name, tenant: slug))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a prompt of the tenant (refused while an announcement or menu plays it; a system prompt of the name takes over).")
        @OptionGroup var which: Named

        func run() async throws {
            try await withCLI { cli in
                let (media, slug) = try await cli.media(tenant: which.tenant)
                try await media.delete(name: which.name, tenant: slug)
                print("deleted prompt \(which.name)")
            }
        }
    }

    static func report(_ prompt: PromptView) {
        print("prompt \(prompt.name): \(prompt.durationMs) ms, \(prompt.source.rawValue), sha256 \(prompt.sha256)")
    }
}

/// A prompt, announcement or menu of a tenant.
struct Named: ParsableArguments {
    @Option(help: "Tenant slug.") var tenant: String
    @Option(help: "Its name: a–z, 0–9, - and _.") var name: String
}

extension Language: ExpressibleByArgument {}

struct Announcements: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Voice messages: prompts played in order, then a destination or hang up.",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or change an announcement.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Announcement name: a–z, 0–9, - and _.") var name: String
        @Option(help: "Prompt names in the order played, e.g. welcome,closed.") var prompts: String
        @Option(help: "Where the call goes afterwards (none: hang up).") var next: String = "none"

        func run() async throws {
            let list = prompts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            try await withCLI { cli in
                try await cli.dialplan().createAnnouncement(tenant: tenant, AnnouncementView(name: name, prompts: list, next: next))
                print("announcement \(name): \(list.joined(separator: ", ")), then \(next)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's announcements.")
        @Option(help: "Tenant slug.") var tenant: String

        func run() async throws {
            try await withCLI { cli in
                printTable(["NAME", "PROMPTS", "NEXT"], try await cli.dialplan().announcements(tenant: tenant).map {
                    [$0.name, $0.prompts.joined(separator: ","), $0.next]
                })
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an announcement.")
        @OptionGroup var which: Named

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().deleteAnnouncement(tenant: which.tenant, name: which.name)
                print("deleted announcement \(which.name)")
            }
        }
    }
}

struct Menus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "IVR menus: a greeting, a choice per key, timeout and invalid-key branches (routing a number to one needs the ivr add-on).",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or change a menu.")
        /// The defaults of a menu, shown in --help.
        private static let defaults = MenuView(name: "", greeting: "", options: [:])

        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Menu name: a–z, 0–9, - and _.") var name: String
        @Option(help: "The prompt played first.") var greeting: String
        @Option(name: .customLong("option"), help: "KEY=CHOICE, e.g. 1=group:sales, 9=repeat, 0=hangup (repeatable).")
        var options: [String] = []
        @Option(help: "Seconds to wait for a key.") var timeout = defaults.timeoutSeconds
        @Option(help: "How often the menu is offered again after a timeout or a wrong key.") var retries = defaults.retries
        @Option(help: "The prompt after a key without a choice.") var invalidPrompt = defaults.invalidPrompt
        @Option(help: "The prompt after no key.") var timeoutPrompt = defaults.timeoutPrompt
        @Option(help: "After the retries: a destination or hangup.") var final = defaults.final
        @Flag(help: "The caller may also key an extension.") var directDial = false

        func run() async throws {
            var choices: [String: String] = [:]
            for option in options {
                let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--option \(option): KEY=CHOICE, e.g. 1=group:sales") }
                choices[parts[0]] = parts[1]
            }
            let menu = MenuView(name: name, greeting: greeting, timeoutSeconds: timeout, retries: retries, invalidPrompt: invalidPrompt,
                                timeoutPrompt: timeoutPrompt, final: final, directDial: directDial, options: choices)
            try await withCLI { cli in
                try await cli.dialplan().createMenu(tenant: tenant, menu)
                print("menu \(name): \(choices.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: ", "))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's menus.")
        @Option(help: "Tenant slug.") var tenant: String

        func run() async throws {
            try await withCLI { cli in
                printTable(["NAME", "GREETING", "OPTIONS", "TIMEOUT", "RETRIES", "FINAL"], try await cli.dialplan().menus(tenant: tenant).map {
                    [$0.name, $0.greeting, $0.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                     "\($0.timeoutSeconds) s", String($0.retries), $0.final]
                })
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a menu.")
        @OptionGroup var which: Named

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().deleteMenu(tenant: which.tenant, name: which.name)
                print("deleted menu \(which.name)")
            }
        }
    }
}
