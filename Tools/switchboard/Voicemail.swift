import API
import ArgumentParser
import Foundation
import Tenancy

extension CLIContext {
    /// The voicemail store, for a tenant that exists.
    func voicemail(tenant: String) async throws -> Voicemail {
        _ = try await provisioning().tenant(tenant)
        return Voicemail(db: db, publisher: try publisher(), actor: "cli")
    }
}

extension GreetingKind: ExpressibleByArgument {}
extension VoicemailFolder: ExpressibleByArgument {}
extension VoicemailBox.GreetingMode: ExpressibleByArgument {}

/// Voicemail boxes in the database through the shared store; greetings' audio through `recording`
/// (SWITCHBOARD_RECORDING_URL), which alone writes the media store.
struct VoicemailCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voicemail",
        abstract: "Voicemail boxes (every user has one; groups may), their PINs, messages and greetings.",
        subcommands: [Boxes.self, PIN.self, Messages.self, Greetings.self])

    /// Which box a command is about.
    struct Box: ParsableArguments {
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Box number: a user's extension, or a group box's own number.") var box: String
    }

    struct Boxes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, show, create, delete and set boxes.", subcommands: [List.self, Show.self, CreateGroup.self, Delete.self, Change.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The tenant's boxes with their message counts.")
            @Option(help: "Tenant slug.") var tenant: String

            func run() async throws {
                try await withCLI { cli in
                    printTable(["NUMBER", "OF", "NEW", "OLD", "GREETINGS", "PIN"], try await cli.voicemail(tenant: tenant).boxes(tenant: tenant).map {
                        [$0.number, $0.owner.map { "user \($0)" } ?? $0.group.map { "group \($0)" } ?? "-", String($0.summary.new),
                         String($0.summary.old), $0.greetings.isEmpty ? "-" : $0.greetings.map(\.rawValue).joined(separator: ","),
                         $0.lockedUntil.map { "locked until \($0.formatted(.iso8601))" } ?? ($0.hasPIN ? "set" : "none")]
                    })
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A box's settings.")
            @OptionGroup var which: Box

            func run() async throws {
                try await withCLI { cli in
                    VoicemailCommands.report(try await cli.voicemail(tenant: which.tenant).box(tenant: which.tenant, number: which.box))
                }
            }
        }

        struct CreateGroup: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Give a group a box of its own (its overflow can then be voicemail:NUMBER); prints its PIN once.")
            @Option(help: "Tenant slug.") var tenant: String
            @Option(help: "Group name.") var group: String
            @Option(help: "The box's number: 2–6 digits, not a user's extension.") var number: String
            @Option(help: "Where new messages are mailed.") var email: String?

            func run() async throws {
                try await withCLI { cli in
                    let pin = try await cli.voicemail(tenant: tenant).createGroupBox(tenant: tenant, group: group, number: number, email: email)
                    print("group \(group): box \(number), PIN \(pin) (shown once)")
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a group's box with its messages (a user's box goes with the user).")
            @OptionGroup var which: Box

            func run() async throws {
                try await withCLI { cli in
                    try await cli.voicemail(tenant: which.tenant).deleteGroupBox(tenant: which.tenant, number: which.box)
                    print("deleted box \(which.box)")
                }
            }
        }

        struct Change: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "set", abstract: "Change a box's settings; what is not given stays.")
            @OptionGroup var which: Box
            @Option(help: "by-reason (busy greeting when busy) or unavailable (always that one).") var greetingMode: VoicemailBox.GreetingMode?
            @Option(help: "Longest message, seconds (10–600).") var maxSeconds: Int?
            @Option(help: "Shorter messages are not kept, milliseconds (0–10000).") var minMs: Int?
            @Option(help: "Messages the box holds at most (1–1000).") var quota: Int?
            @Option(help: "Mail new messages: true or false.") var emailNotify: Bool?
            @Option(help: "A group box's address (\"\" clears it).") var email: String?

            func run() async throws {
                let settings = Voicemail.Settings(greetingMode: greetingMode, maxSeconds: maxSeconds, minMs: minMs, quota: quota,
                                                  emailNotify: emailNotify, email: email.map { $0.isEmpty ? nil : $0 })
                try await withCLI { cli in
                    VoicemailCommands.report(try await cli.voicemail(tenant: which.tenant).update(tenant: which.tenant, box: which.box, settings))
                }
            }
        }
    }

    struct PIN: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pin", abstract: "Box PINs.", subcommands: [Reset.self])

        struct Reset: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Give a box a new random PIN (it also unlocks the box); prints it once.")
            @OptionGroup var which: Box

            func run() async throws {
                try await withCLI { cli in
                    let pin = try await cli.voicemail(tenant: which.tenant).resetPIN(tenant: which.tenant, box: which.box)
                    print("box \(which.box): PIN \(pin) (shown once)")
                }
            }
        }
    }

    struct Messages: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A box's messages.", subcommands: [List.self, Delete.self, Mark.self])

        /// Which message.
        struct Message: ParsableArguments {
            @OptionGroup var which: Box
            @Option(help: "The message's id.") var id: String

            func uuid() throws -> UUID {
                guard let id = UUID(uuidString: id) else { throw ValidationError("--id \(id) is not a message id (a UUID)") }
                return id
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "New messages first (urgent first), then heard and saved.")
            @OptionGroup var which: Box
            @Option(help: "new, heard or saved (default: all).") var folder: VoicemailFolder?

            func run() async throws {
                try await withCLI { cli in
                    let messages = try await cli.voicemail(tenant: which.tenant).messages(tenant: which.tenant, box: which.box, folder: folder)
                    printTable(["ID", "FOLDER", "RECEIVED", "CALLER", "LENGTH", "URGENT"], messages.map {
                        [$0.id.uuidString.lowercased(), $0.folder.rawValue, $0.receivedAt.formatted(.iso8601), $0.caller,
                         String(format: "%.1f s", Double($0.durationMs) / 1000), $0.urgent ? "yes" : "-"]
                    })
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a message.")
            @OptionGroup var message: Message

            func run() async throws {
                let id = try message.uuid()
                try await withCLI { cli in
                    let box = message.which
                    try await cli.voicemail(tenant: box.tenant).delete(tenant: box.tenant, box: box.box, id: id)
                    print("deleted message \(id.uuidString.lowercased())")
                }
            }
        }

        struct Mark: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Move a message to a folder (heard, saved, or back to new).")
            @OptionGroup var message: Message
            @Option(help: "new, heard or saved.") var folder: VoicemailFolder

            func run() async throws {
                let id = try message.uuid()
                try await withCLI { cli in
                    let box = message.which
                    try await cli.voicemail(tenant: box.tenant).move(tenant: box.tenant, box: box.box, id: id, to: folder)
                    print("message \(id.uuidString.lowercased()): \(folder.rawValue)")
                }
            }
        }
    }

    struct Greetings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A box's greetings: unavailable, busy, temporary (overrides the others until removed) and name.",
            subcommands: [Upload.self, Speak.self, Remove.self])

        struct Upload: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Set a greeting from a WAV, MP3 or OGG file (made 8 kHz mono).")
            @OptionGroup var which: Box
            @Option(help: "unavailable, busy, temporary or name.") var kind: GreetingKind
            @Option(help: "The audio file.") var file: String

            func run() async throws {
                guard let bytes = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                try await withCLI { cli in
                    let (media, slug) = try await cli.media(tenant: which.tenant)
                    VoicemailCommands.report(try await media.uploadGreeting(Array(bytes), kind: kind, box: which.box, tenant: slug, actor: "cli"),
                                             box: which.box)
                }
            }
        }

        struct Speak: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Set a greeting by text-to-speech (espeak-ng).")
            @OptionGroup var which: Box
            @Option(help: "unavailable, busy, temporary or name.") var kind: GreetingKind
            @Option(help: "et or en.") var language: Language
            @Option(help: "What it says.") var text: String

            func run() async throws {
                try await withCLI { cli in
                    let (media, slug) = try await cli.media(tenant: which.tenant)
                    VoicemailCommands.report(try await media.speakGreeting(text, language: language, kind: kind, box: which.box, tenant: slug,
                                                                           actor: "cli"), box: which.box)
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a greeting (callers hear the default one).")
            @OptionGroup var which: Box
            @Option(help: "unavailable, busy, temporary or name.") var kind: GreetingKind

            func run() async throws {
                try await withCLI { cli in
                    try await cli.voicemail(tenant: which.tenant).removeGreeting(tenant: which.tenant, box: which.box, kind: kind)
                    print("box \(which.box): \(kind.rawValue) greeting removed")
                }
            }
        }
    }

    static func report(_ box: VoicemailBox) {
        print("""
            box \(box.number) (\(box.owner.map { "user \($0)" } ?? box.group.map { "group \($0)" } ?? "-"))
              greeting mode  \(box.greetingMode.rawValue)
              greetings      \(box.greetings.isEmpty ? "none (the default)" : box.greetings.map(\.rawValue).joined(separator: ", "))
              messages       \(box.summary.new) new, \(box.summary.old) old (quota \(box.quota))
              length         \(box.minMs) ms – \(box.maxSeconds) s
              e-mail         \(box.emailNotify ? (box.email ?? "the user's") : "off")
              PIN            \(box.lockedUntil.map { "locked until \($0.formatted(.iso8601))" } ?? (box.hasPIN ? "set" : "none (reset one)"))
            """)
    }

    static func report(_ greeting: Voicemail.Greeting, box: String) {
        print("box \(box): \(greeting.kind.rawValue) greeting, \(greeting.source.rawValue), sha256 \(greeting.sha256)")
    }
}
