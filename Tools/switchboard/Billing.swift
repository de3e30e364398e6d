import ArgumentParser
import Foundation
import Pricing
import Tenancy

extension CLIContext {
    func billing() throws -> BillingStore {
        guard let vat = Percent(configuration.vatPercent), vat <= Percent(basisPoints: 10_000) else {
            throw ValidationError("SWITCHBOARD_VAT_PERCENT \(configuration.vatPercent) is not a percentage")
        }
        return BillingStore(db: db, publisher: try publisher(), vatRate: vat, countryCode: configuration.countryCode)
    }

    func lifecycle() throws -> TenantLifecycle {
        TenantLifecycle(db: db, publisher: try publisher(), logger: logger)
    }
}

/// A tenant's subscriptions to plans and add-ons of the catalogue.
struct Subscriptions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Subscriptions to plans and add-ons.",
                                                    subcommands: [List.self, Add.self, End.self, Change.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's subscriptions.")
        @Option(help: "Tenant slug.") var tenant: String

        func run() async throws {
            try await withCLI { cli in
                let subscriptions = try await cli.billing().subscriptions(tenant: tenant)
                printTable(["ID", "CODE", "QUANTITY", "NUMBER", "STARTS", "ENDS"],
                           subscriptions.map { [$0.id.uuidString.lowercased(), $0.code, String($0.quantity), $0.number ?? "-", $0.starts, $0.ends ?? "-"] })
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a tenant to a plan (per user) or an add-on (ivr, recording-10d --number, intl-200 …).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Catalogue code, e.g. mobile-unlimited.") var code: String
        @Option(help: "Users, for a per-user plan.") var quantity: Int = 1
        @Option(help: "The number a per-number add-on (recording) covers.") var number: String?
        @Option(help: "First active day, YYYY-MM-DD (default today).") var starts: String?

        func run() async throws {
            try await withCLI { cli in
                let subscription = try await cli.billing().subscribe(
                    tenant: tenant, code: code, quantity: quantity, number: number,
                    starts: starts ?? Day.today(in: TimeZone(identifier: "UTC")!).description)
                print("subscribed \(tenant) to \(code) from \(subscription.starts): \(subscription.id.uuidString.lowercased())")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a subscription after its last active (charged) day.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Subscription id.") var id: String
        @Option(name: .customLong("last-day"), help: "YYYY-MM-DD.") var lastDay: String

        func run() async throws {
            guard let uuid = UUID(uuidString: id) else { throw ValidationError("\(id) is not a subscription id") }
            try await withCLI { cli in
                _ = try await cli.billing().end(tenant: tenant, subscription: uuid, lastDay: lastDay)
                print("subscription \(id) ends after \(lastDay)")
            }
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change plan from a day: the old one ends the day before.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Subscription id.") var id: String
        @Option(help: "The new catalogue code.") var code: String
        @Option(help: "Users (default: as before).") var quantity: Int?
        @Option(help: "First day of the new plan, YYYY-MM-DD.") var from: String

        func run() async throws {
            guard let uuid = UUID(uuidString: id) else { throw ValidationError("\(id) is not a subscription id") }
            try await withCLI { cli in
                let new = try await cli.billing().change(tenant: tenant, subscription: uuid, to: code, quantity: quantity, from: from)
                print("\(tenant) is on \(code) from \(from): \(new.id.uuidString.lowercased())")
            }
        }
    }
}

/// Monthly invoices: preview, issue (the billing service also issues them once a month has ended), list.
struct Invoices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Preview, issue and list invoices.", subcommands: [Preview.self, Issue.self, List.self])

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a month's invoice as it would be issued now (JSON).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Month, YYYY-MM.") var period: String

        func run() async throws {
            guard let month = BillingPeriod(period) else { throw ValidationError("period must be YYYY-MM") }
            try await withCLI { cli in
                let draft = try await cli.billing().preview(tenant: tenant, period: month)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(draft), as: UTF8.self))
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a month's invoice (the month must have ended; issuing again shows the same one).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "Month, YYYY-MM.") var period: String

        func run() async throws {
            guard let month = BillingPeriod(period) else { throw ValidationError("period must be YYYY-MM") }
            try await withCLI { cli in
                let invoice = try await cli.billing().issue(tenant: tenant, period: month, today: Day.today(in: TimeZone(identifier: "UTC")!))
                print("invoice \(invoice.number) for \(tenant) \(period): total \(invoice.invoice.total) EUR (VAT \(invoice.invoice.vat))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's issued invoices.")
        @Option(help: "Tenant slug.") var tenant: String

        func run() async throws {
            try await withCLI { cli in
                let invoices = try await cli.billing().invoices(tenant: tenant)
                printTable(["NUMBER", "PERIOD", "SUBTOTAL", "VAT", "TOTAL"], invoices.map {
                    [$0.number, $0.invoice.period.description, $0.invoice.subtotal.description, $0.invoice.vat.description, $0.invoice.total.description]
                })
            }
        }
    }
}

/// Contract end: notice, export window, deletion.
struct Lifecycle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Terminate tenants and move them through contract end.",
                                                    subcommands: [Terminate.self, Advance.self])

    struct Terminate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give notice: service for the notice period, then the export window, then deletion.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(name: .customLong("notice-days"), help: "Days of service left (default SWITCHBOARD_NOTICE_DAYS).") var noticeDays: Int?

        func run() async throws {
            try await withCLI { cli in
                let ended = try await cli.lifecycle().terminate(
                    tenant: tenant, today: Day.today(in: TimeZone(identifier: "UTC")!), noticeDays: noticeDays ?? cli.configuration.noticeDays,
                    exportDays: cli.configuration.exportDays, actor: "cli")
                print("\(tenant) is terminating: service until \(ended.noticeEnds ?? "?"), data export until \(ended.exportEnds ?? "?")")
            }
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move tenants whose notice or export window has passed on (billing does this hourly).")
        @Option(help: "The day to act as if it were, YYYY-MM-DD (default today).") var today: String?
        @Option(help: "Only this tenant (default all).") var tenant: String?

        func run() async throws {
            let day = try today.map { text -> Day in
                guard let day = Day(text) else { throw ValidationError("today must be YYYY-MM-DD") }
                return day
            } ?? Day.today(in: TimeZone(identifier: "UTC")!)
            try await withCLI { cli in
                let moved = try await cli.lifecycle().advance(today: day, only: tenant)
                print(moved.isEmpty ? "nothing to do" : moved.map { "\($0.tenant): \($0.status)" }.joined(separator: "\n"))
            }
        }
    }
}
