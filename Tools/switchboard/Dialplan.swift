import ArgumentParser
import Tenancy

extension CLIContext {
    func dialplan() throws -> DialplanConfiguration { DialplanConfiguration(db: db, publisher: try publisher()) }
}

/// Destinations are written `user:EXT`, `group:NAME`, `schedule:NAME`, `external:+E164`,
/// `announcement:NAME`, `ivr:MENU`, `voicemail` or `none`.
struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call-sharing groups: members (users and external numbers), strategy, ring times, overflow.",
        subcommands: [Create.self, Delete.self, AddMember.self, RemoveMember.self, Login.self, Logout.self, Welcome.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or change a group.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Group name: a–z, 0–9, - and _.") var name: String
        @Option(help: "ring-all, linear, round-robin, least-recent, longest-idle or random.") var strategy: String = "ring-all"
        @Option(help: "How long each member rings (hunting strategies), seconds.") var memberSeconds: Int = 20
        @Option(help: "How long the whole group rings, seconds.") var totalSeconds: Int = 60
        @Option(help: "Where the call goes when nobody answers or nobody is available.") var overflow: String = "none"

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().createGroup(tenant: tenant, name: name, strategy: strategy, memberSeconds: memberSeconds,
                                                     totalSeconds: totalSeconds, overflow: overflow)
                print("group \(name): \(strategy), \(memberSeconds) s per member, \(totalSeconds) s in all, overflow \(overflow)")
            }
        }
    }

    /// Which member of which group a member command is about.
    struct Member: ParsableArguments {
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Group name.") var group: String
        @Option(help: "Extension or E.164 number.") var member: String
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a member (an extension, or a mobile as +E164) at the end of the group.")
        @OptionGroup var which: Member
        @Option(help: "This member's ring time, seconds (default: the group's).") var ringSeconds: Int?

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().addMember(tenant: which.tenant, group: which.group, member: which.member, ringSeconds: ringSeconds)
                print("\(which.member) is a member of \(which.group)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a group (numbers and rules that pointed to it go nowhere until changed).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Group name.") var name: String

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().deleteGroup(tenant: tenant, name: name)
                print("group \(name): deleted")
            }
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a member.")
        @OptionGroup var which: Member

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().removeMember(tenant: which.tenant, group: which.group, member: which.member)
                print("\(which.member) left \(which.group)")
            }
        }
    }

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A member takes the group's calls again.")
        @OptionGroup var which: Member

        func run() async throws { try await Groups.setLoggedIn(which, true) }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A member stops taking the group's calls (skipped until login).")
        @OptionGroup var which: Member

        func run() async throws { try await Groups.setLoggedIn(which, false) }
    }

    struct Welcome: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An announcement the caller hears before the group rings (--none removes it).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Group name.") var group: String
        @Option(help: "Announcement name.") var announcement: String?
        @Flag(help: "No welcome.") var none = false

        func validate() throws {
            guard (announcement == nil) == none else { throw ValidationError("give --announcement NAME or --none") }
        }

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().setWelcome(tenant: tenant, group: group, announcement: announcement)
                print(announcement.map { "\(group): welcome \($0)" } ?? "\(group): no welcome")
            }
        }
    }

    static func setLoggedIn(_ which: Member, _ loggedIn: Bool) async throws {
        try await withCLI { cli in
            try await cli.dialplan().setLoggedIn(tenant: which.tenant, group: which.group, member: which.member, loggedIn: loggedIn)
            print("\(which.member) logged \(loggedIn ? "in to" : "out of") \(which.group)")
        }
    }
}

struct Schedules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Working hours: weekly open periods and exception days in the tenant's time zone.",
        subcommands: [Create.self, Hours.self, RemoveHours.self, Exception.self, RemoveException.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or change a schedule and where calls go when open and closed.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Schedule name.") var name: String
        @Option(help: "Destination while open.") var open: String
        @Option(help: "Destination while closed.") var closed: String

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().createSchedule(tenant: tenant, name: name, open: open, closed: closed)
                print("schedule \(name): open → \(open), closed → \(closed)")
            }
        }
    }

    struct Hours: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add open hours on some weekdays (1 = Monday … 7 = Sunday).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Schedule name.") var schedule: String
        @Option(help: "Weekdays, e.g. 1-5 or 6 or 1,3,5.") var days: String
        @Option(help: "HH:MM.") var opens: String
        @Option(help: "HH:MM.") var closes: String

        func run() async throws {
            let list = try Self.weekdays(days)
            try await withCLI { cli in
                try await cli.dialplan().addPeriod(tenant: tenant, schedule: schedule, days: list, opens: opens, closes: closes)
                print("schedule \(schedule): open \(opens)–\(closes) on days \(list.map(String.init).joined(separator: ","))")
            }
        }

        static func weekdays(_ text: String) throws -> [Int] {
            var days: [Int] = []
            for part in text.split(separator: ",") {
                let bounds = part.split(separator: "-").compactMap { Int($0) }
                guard let first = bounds.first, let last = bounds.last, bounds.count <= 2, first <= last, (1...7).contains(first),
                      (1...7).contains(last)
                else {
                    throw ValidationError("days \(text): like 1-5 or 6,7")
                }
                days += Array(first...last)
            }
            return days
        }
    }

    struct RemoveHours: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the open hours that start at --opens on some weekdays.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Schedule name.") var schedule: String
        @Option(help: "Weekdays, e.g. 1-5 or 6 or 1,3,5.") var days: String
        @Option(help: "HH:MM: when the hours to remove open.") var opens: String

        func run() async throws {
            let list = try Hours.weekdays(days)
            try await withCLI { cli in
                try await cli.dialplan().removePeriod(tenant: tenant, schedule: schedule, days: list, opens: opens)
                print("schedule \(schedule): no longer opens at \(opens) on days \(list.map(String.init).joined(separator: ","))")
            }
        }
    }

    struct RemoveException: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a date's holiday or special opening: the weekly hours apply again.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Schedule name.") var schedule: String
        @Option(help: "YYYY-MM-DD.") var date: String

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().removeException(tenant: tenant, schedule: schedule, day: date)
                print("schedule \(schedule): \(date) follows the weekly hours")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a schedule (numbers routed to it go nowhere until routed again).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Schedule name.") var name: String

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().deleteSchedule(tenant: tenant, name: name)
                print("schedule \(name): deleted")
            }
        }
    }

    struct Exception: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A holiday (closed all day) or, with --opens and --closes, a special opening on one date.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Schedule name.") var schedule: String
        @Option(help: "YYYY-MM-DD.") var date: String
        @Option(help: "HH:MM (special opening).") var opens: String?
        @Option(help: "HH:MM (special opening).") var closes: String?
        @Option(help: "What the day is, e.g. Christmas Eve.") var label: String?

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().addException(tenant: tenant, schedule: schedule, day: date, opens: opens, closes: closes, label: label)
                print("schedule \(schedule): \(date) \(opens.map { "open \($0)–\(closes ?? "")" } ?? "closed")")
            }
        }
    }
}

struct Forwarding: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Forward a user's calls: always, when busy, on no answer, when unregistered.")
    @Option(help: "Tenant slug.") var tenant: String
    @Option(name: .customLong("extension"), help: "The user's extension.") var ext: String
    @Option(help: "always, busy, no-answer or unregistered.") var when: String
    @Option(help: "Destination; leave out to clear the rule.") var to: String?
    @Option(help: "For no-answer: after how many seconds.") var seconds: Int?

    func run() async throws {
        try await withCLI { cli in
            try await cli.dialplan().setForwarding(tenant: tenant, extension: ext, when: when, to: to, noAnswerSeconds: seconds)
            print(to.map { "\(ext): forward \(when) to \($0)" } ?? "\(ext): no forwarding \(when)")
        }
    }
}

struct CallerID: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caller-id",
        abstract: "What a user's outbound calls present (main, own, anonymous) and their default class (business, private). Per call: dial *31# (anonymous), *32# (own number), *33# (the main number), *7# (private) or *8# (business) first.")
    @Option(help: "Tenant slug.") var tenant: String
    @Option(name: .customLong("extension"), help: "The user's extension.") var ext: String
    @Option(help: "main, own or anonymous.") var present: String?
    @Option(name: .customLong("class"), help: "business or private.") var classification: String?

    func run() async throws {
        try await withCLI { cli in
            try await cli.dialplan().setOutboundIdentity(tenant: tenant, extension: ext, callerID: present, defaultClass: classification)
            print("\(ext): presents \(present ?? "(unchanged)"), class \(classification ?? "(unchanged)")")
        }
    }
}

struct Limits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-tenant caps on concurrent calls and concurrent international calls.",
        discussion: "Each is changed alone: a limit left out stays as it is; --no-concurrent or --no-international removes one (no cap).")
    @Option(help: "Tenant slug.") var tenant: String
    @Option(help: "Most calls at once.") var concurrent: Int?
    @Flag(name: .customLong("no-concurrent"), help: "No cap on calls at once.") var noConcurrent = false
    @Option(help: "Most international calls at once.") var international: Int?
    @Flag(name: .customLong("no-international"), help: "No cap on international calls at once.") var noInternational = false

    func validate() throws {
        if concurrent != nil && noConcurrent { throw ValidationError("--concurrent and --no-concurrent contradict each other") }
        if international != nil && noInternational { throw ValidationError("--international and --no-international contradict each other") }
    }

    func run() async throws {
        try await withCLI { cli in
            let dialplan = try cli.dialplan()
            /// nil: as it is; `.some(nil)`: no cap.
            func change(_ value: Int?, removed: Bool) -> Int?? { removed ? .some(nil) : value.map { .some($0) } }
            try await dialplan.setLimits(tenant: tenant, concurrentCalls: change(concurrent, removed: noConcurrent),
                                         internationalCalls: change(international, removed: noInternational))
            let limits = try await dialplan.limits(tenant: tenant)
            print("limits of \(tenant): concurrent \(limits.concurrentCalls.map(String.init) ?? "none"), "
                  + "international \(limits.internationalCalls.map(String.init) ?? "none")")
        }
    }
}
