import ArgumentParser
import Events
import Foundation
import Tenancy

extension RecordingPolicy: ExpressibleByArgument {}
extension CallDirection: ExpressibleByArgument {
    /// What help offers: internal calls are never recorded.
    package static var allValueStrings: [String] { [CallDirection.inbound, .outbound].map(\.rawValue) }
}

extension CLIContext {
    /// The tenant's call recordings, audited as the CLI, for a tenant that exists.
    func recordings(tenant: String) async throws -> CallRecordingArchive {
        try await requireTenant(tenant)
        return CallRecordingArchive(db: db, actor: "cli", address: nil)
    }

    /// This deployment's media exports (`recording` of the same topic prefix builds them).
    var exports: MediaExports { MediaExports(db: db, deployment: configuration.topicPrefix) }

    /// Checked first, so that a wrong slug is said as such, not as a missing schema.
    func requireTenant(_ tenant: String) async throws {
        _ = try await provisioning().tenant(tenant)
    }
}

/// Call recording (DESIGN §7) through the shared code the API uses: the policies of numbers and
/// users, the recordings, legal holds and deletion, and the tenant's audit log.
struct Recordings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call recording: number and user policies, the recordings, legal holds and deletion, the audit log.",
        subcommands: [Policy.self, SetPolicy.self, List.self, Hold.self, Release.self, Delete.self, Audit.self, Export.self, Exports.self,
                      Download.self])

    /// Whose policy a command is about: a number's or a user's.
    struct Owner: ParsableArguments {
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "The tenant's number, E.164.") var number: String?
        @Option(help: "A user's extension.") var user: String?

        func validate() throws {
            guard (number == nil) != (user == nil) else { throw ValidationError("give --number N or --user EXT") }
        }
    }

    /// Asks for an export of the tenant's media; `recording` builds it in the background.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask for an archive of the recordings (all, or these filters') and the voicemail messages; recording builds it.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Recorded for this number of the tenant.") var number: String?
        @Option(help: "Calls of this user (extension).") var user: String?
        @Option(help: "Calls to the tenant (inbound) or out (outbound).") var direction: CallDirection?
        @Option(help: "Started at or after, ISO 8601.") var from: String?
        @Option(help: "Started before, ISO 8601.") var to: String?
        @Flag(inversion: .prefixedNo, help: "Include the voicemail messages.") var voicemail = true

        func run() async throws {
            let filter = CallRecordingFilter(number: number, user: user, direction: direction, from: try List.time(from, "--from"),
                                             to: try List.time(to, "--to"))
            try await withCLI { cli in
                try await cli.requireTenant(tenant)
                let export = try await cli.exports
                    .request(tenant: tenant, filter: filter, voicemail: voicemail, by: "cli", from: nil)
                print("export \(export.id.uuidString.lowercased()): \(export.status.rawValue); `switchboard recordings exports --tenant \(tenant)` shows when it is ready")
            }
        }
    }

    struct Exports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's exports, newest first.")
        @Option(help: "Tenant slug.") var tenant: String

        func run() async throws {
            try await withCLI { cli in
                try await cli.requireTenant(tenant)
                let formatter = ISO8601DateFormatter()
                let exports = try await cli.exports.list(tenant: tenant)
                printTable(["ID", "REASON", "STATUS", "FILES", "BYTES", "UNTIL"], exports.map {
                    [$0.id.uuidString.lowercased(), $0.reason.rawValue, $0.status.rawValue, $0.items.map(String.init) ?? "-",
                     $0.sizeBytes.map(String.init) ?? "-", $0.expiresAt.map(formatter.string(from:)) ?? "-"]
                })
            }
        }
    }

    /// The archive from the media store (recording's internal HTTP), to a file.
    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save a ready export's ZIP file.")
        @Option(help: "Tenant slug.") var tenant: String
        @Argument(help: "The export's id.") var id: String
        @Option(help: "Where to write the ZIP file.") var out: String

        func run() async throws {
            guard let uuid = UUID(uuidString: id) else { throw ValidationError("\(id) is not an export's id") }
            try await withCLI { cli in
                let (media, slug) = try await cli.media(tenant: tenant)
                let export = try await cli.exports.export(tenant: tenant, id: uuid)
                guard export.isDownloadable(), let sha = export.sha256 else { throw ValidationError("export \(id) is \(export.status.rawValue), not ready") }
                // Written as it comes: an export may be gigabytes.
                let download = try await media.download(sha256: sha, tenant: slug, range: nil)
                guard FileManager.default.createFile(atPath: out, contents: nil), let file = FileHandle(forWritingAtPath: out) else {
                    throw ValidationError("cannot write \(out)")
                }
                defer { try? file.close() }
                var size = 0
                for try await buffer in download.body {
                    try file.write(contentsOf: buffer.readableBytesView)
                    size += buffer.readableBytes
                }
                guard size == download.length ?? size else { throw ValidationError("the download stopped after \(size) bytes; try again") }
                try await cli.exports.downloaded(tenant: tenant, id: uuid, by: "cli", from: nil)
                print("\(out): \(size) bytes, \(export.items ?? 0) files and index.csv, index.json")
            }
        }
    }

    /// Which recording a command is about.
    struct Recording: ParsableArguments {
        @Option(help: "Tenant slug.") var tenant: String
        @Argument(help: "The recording's id.") var id: String
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What a number's or a user's calls record.")
        @OptionGroup var owner: Owner

        func run() async throws {
            try await withCLI { cli in
                try await cli.requireTenant(owner.tenant)
                try await Recordings.report(owner, cli)
            }
        }
    }

    struct SetPolicy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a number's policy, or a user's whole policy.",
            discussion: """
                For a user, what is not given follows the number (the policy, the notice) or is off (--visible). \
                A change applies to calls that start after it and is written to the audit log.
                """)
        @OptionGroup var owner: Owner
        @Option(help: "What is recorded; a number needs it.") var policy: RecordingPolicy?
        @Flag(help: "A user follows the number's policy (as without --policy).") var inherit = false
        @Flag(inversion: .prefixedNo, help: "Whether the parties hear the recording notice (a number: on unless --no-notice).")
        var notice: Bool?
        @Flag(help: "The user may list and hear the recordings of their own calls.") var visible = false

        func validate() throws {
            if owner.number != nil {
                guard policy != nil else { throw ValidationError("a number needs --policy") }
                guard !inherit, !visible else { throw ValidationError("--inherit and --visible are for a user") }
            }
            guard policy == nil || !inherit else { throw ValidationError("give --policy or --inherit, not both") }
        }

        func run() async throws {
            try await withCLI { cli in
                try await cli.requireTenant(owner.tenant)
                let dialplan = try cli.dialplan()
                if let number = owner.number, let policy {
                    try await dialplan.setNumberRecordingPolicy(tenant: owner.tenant, number: number, policy: policy,
                                                                notice: notice ?? true)
                } else if let user = owner.user {
                    try await dialplan.setUserRecordingPolicy(
                        tenant: owner.tenant, UserRecordingPolicy(extension: user, policy: policy, notice: notice, visible: visible))
                }
                try await Recordings.report(owner, cli)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's recordings, newest first; every filter given must hold.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Recorded for this number of the tenant.") var number: String?
        @Option(help: "Calls of this user (extension).") var user: String?
        @Option(help: "Calls to the tenant (inbound) or out (outbound).") var direction: CallDirection?
        @Option(help: "Started at or after, ISO 8601 (2026-12-01T00:00:00Z).") var from: String?
        @Option(help: "Started before, ISO 8601.") var to: String?
        @Option(help: "At most this many (1–1000).") var limit: Int = 100

        func validate() throws {
            guard direction != .internal else {
                throw ValidationError("--direction is inbound or outbound: internal calls are never recorded")
            }
            _ = try Self.time(from, "--from")
            _ = try Self.time(to, "--to")
        }

        static func time(_ text: String?, _ name: String) throws -> Date? {
            guard let text else { return nil }
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw ValidationError("\(name) \(text): an ISO 8601 time, like 2026-12-01T00:00:00Z")
            }
            return date
        }

        func run() async throws {
            let filter = CallRecordingFilter(number: number, user: user, direction: direction, from: try Self.time(from, "--from"),
                                             to: try Self.time(to, "--to"), limit: limit)
            try await withCLI { cli in
                let found = try await cli.recordings(tenant: tenant).list(tenant: tenant, filter, visibleTo: nil)
                printTable(["ID", "STARTED", "DIRECTION", "NUMBER", "USER", "CALLER", "CALLEE", "LENGTH", "STATUS", "KEPT"], found.map {
                    [$0.id, $0.startedAt.formatted(.iso8601), $0.direction.rawValue, $0.number, $0.user ?? "-", $0.caller, $0.callee,
                     $0.durationMs.map { String(format: "%.1f s", Double($0) / 1000) } ?? "-", $0.status.rawValue,
                     $0.legalHold ? "on hold" : "until \($0.deleteAfter.formatted(.iso8601))"]
                })
            }
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a recording on legal hold: kept past its retention until released.")
        @OptionGroup var recording: Recording

        func run() async throws {
            try await withCLI { cli in
                let held = try await cli.recordings(tenant: recording.tenant).setHold(true, tenant: recording.tenant, id: recording.id)
                print("recording \(held.id): on legal hold until released")
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release a recording's legal hold (past its deadline, the retention sweeper then deletes it).")
        @OptionGroup var recording: Recording

        func run() async throws {
            try await withCLI { cli in
                let released = try await cli.recordings(tenant: recording.tenant).setHold(false, tenant: recording.tenant, id: recording.id)
                print("recording \(released.id): released; kept until \(released.deleteAfter.formatted(.iso8601))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a recording now (refused while on legal hold or still being recorded); its audio leaves at the next sweep.")
        @OptionGroup var recording: Recording

        func run() async throws {
            try await withCLI { cli in
                try await cli.recordings(tenant: recording.tenant).delete(tenant: recording.tenant, id: recording.id)
                print("deleted recording \(recording.id)")
            }
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's audit log, oldest first.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Only actions starting with this (recording. for all of recordings').") var action: String?
        @Option(help: "Entries after this id (the last one of the previous page).") var after: Int?
        @Option(help: "At most this many (1–500).") var limit: Int = 100

        func run() async throws {
            try await withCLI { cli in
                try await cli.requireTenant(tenant)
                let filter = AuditLog.Filter(action: action, after: after, limit: limit)
                let entries = try await AuditLog.entries(tenant: tenant, filter, db: cli.db)
                printTable(["ID", "AT", "ACTOR", "ACTION", "SUBJECT", "FROM"], entries.map {
                    [String($0.id), $0.at.formatted(.iso8601), $0.actor, $0.action, $0.subject, $0.from ?? "-"]
                })
            }
        }
    }

    /// Prints the policy of the number or user `owner` names.
    static func report(_ owner: Owner, _ cli: CLIContext) async throws {
        let dialplan = try cli.dialplan()
        if let number = owner.number {
            guard let policy = try await dialplan.numberRecordingPolicies(tenant: owner.tenant).first(where: { $0.number == number }) else {
                throw TenancyError.notFound("tenant \(owner.tenant) has no number \(number)")
            }
            let kept = policy.retentionDays.map { "recordings kept \($0) days" } ?? "no recording add-on: nothing is recorded"
            print("number \(number): \(policy.policy.rawValue), notice \(policy.notice ? "on" : "off"), \(kept)")
        } else if let user = owner.user {
            let policy = try await dialplan.userRecordingPolicy(tenant: owner.tenant, extension: user)
            let recorded = policy.policy?.rawValue ?? "the number's policy"
            let notice = policy.notice.map { $0 ? "on" : "off" } ?? "as the number's"
            print("user \(user): \(recorded), notice \(notice), recordings \(policy.visible ? "visible" : "not visible") to the user")
        }
    }
}
