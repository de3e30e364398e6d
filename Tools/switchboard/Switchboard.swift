import API
import ArgumentParser
import Events
import Foundation
import Kafka
import Logging
import MediaClient
import Messaging
import Postgres
import Runtime
import Tenancy

/// The operator CLI. Connection settings come from the same environment variables as the services
/// (docs/configuration.md). Errors are one line on stderr and exit status 1.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Operate a Switchboard deployment: migrations, tenants, users, numbers, topics.",
        subcommands: [Migrate.self, Tenants.self, Users.self, Numbers.self, Groups.self, Schedules.self, Forwarding.self, CallerID.self,
                      Limits.self, Prompts.self, Announcements.self, Menus.self, VoicemailCommands.self, Recordings.self, Topics.self, Lag.self, Demo.self, Docs.self,
                      Operators.self, Subscriptions.self, Invoices.self, Lifecycle.self])
}

/// Clients for one CLI invocation, made on first use and closed at the end.
final class CLIContext: @unchecked Sendable {
    let configuration: RuntimeConfiguration
    let logger: Logger
    private var _db: PostgresClient?
    private var _publisher: EventPublisher?
    private var _media: MediaStoreClient?

    init() throws {
        configuration = try RuntimeConfiguration.fromEnvironment()
        LoggingSetup.bootstrap(level: ProcessInfo.processInfo.environment["SWITCHBOARD_LOG_LEVEL"] ?? "error", format: "text")
        logger = Logger(label: "switchboard")
        try KafkaLibrary.requireSupportedVersion()
    }

    var db: PostgresClient {
        if let _db { return _db }
        let db = PostgresClient(configuration: PostgresConfiguration(conninfo: configuration.databaseURL, maxConnections: 2),
                                logger: logger)
        _db = db
        return db
    }

    var kafka: KafkaConfiguration {
        var config = KafkaConfiguration(runtime: configuration, clientID: "switchboard-cli")
        // The CLI should give up quickly when the broker is away.
        config.deliveryTimeoutMilliseconds = min(config.deliveryTimeoutMilliseconds, 5_000)
        return config
    }

    func publisher() throws -> EventPublisher {
        if let _publisher { return _publisher }
        let publisher = EventPublisher(producer: try KafkaProducer(configuration: kafka, logger: logger),
                                       topicPrefix: configuration.topicPrefix)
        _publisher = publisher
        return publisher
    }

    /// `recording`'s internal HTTP (the media store).
    var media: MediaStoreClient {
        if let _media { return _media }
        let media = MediaStoreClient(baseURL: configuration.recordingURL, token: configuration.internalToken)
        _media = media
        return media
    }

    func provisioning() throws -> Provisioning {
        Provisioning(db: db, publisher: try publisher(), logger: logger)
    }

    func close() async {
        // What this command wrote to the outbox goes out before the CLI exits (a service's relay
        // would send it too, a moment later).
        if let _publisher, let _db { await Outbox(db: _db, publisher: _publisher).drain() }
        if let _publisher { await _publisher.producer.shutdown() }
        if let _db { await _db.shutdown() }
        try? await _media?.shutdown()
    }
}

/// Runs `body` with a context; any error becomes one line and exit status 1.
func withCLI(_ body: (CLIContext) async throws -> Void) async throws {
    let context: CLIContext
    do {
        context = try CLIContext()
    } catch {
        FileHandle.standardError.write(Data("switchboard: \(error)\n".utf8))
        throw ExitCode(1)
    }
    do {
        try await body(context)
        await context.close()
    } catch let exit as ExitCode {
        await context.close()
        throw exit
    } catch let error as PostgresError where error.sqlState == "42P01" || error.sqlState == "3F000" {
        await context.close()
        FileHandle.standardError.write(Data("switchboard: \(error) (is the database migrated? run `switchboard migrate`)\n".utf8))
        throw ExitCode(1)
    } catch {
        await context.close()
        FileHandle.standardError.write(Data("switchboard: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the platform and every tenant's pending migrations.")

    func run() async throws {
        try await withCLI { cli in
            let report = try await Migrator(db: cli.db, logger: cli.logger).migrateAll()
            if report.appliedCount == 0 {
                print("migrations: everything is up to date")
            } else {
                if !report.platformApplied.isEmpty { print("platform: applied \(report.platformApplied)") }
                for (tenant, versions) in report.tenantsApplied.sorted(by: { $0.key < $1.key }) {
                    print("tenant_\(tenant): applied \(versions)")
                }
            }
        }
    }
}

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and list tenants; set their language.",
                                                    subcommands: [Create.self, List.self, SetLanguage.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant with its schema; publishes tenant.created.")
        @Option(help: "Short name: a–z, 0–9 and _, starting with a letter; the schema is tenant_<slug>.") var slug: String
        @Option(help: "The company's name.") var name: String
        @Option(help: "The tenant's SIP domain, e.g. acme.example.com.") var domain: String
        @Option(help: "IANA time zone of working hours.") var timezone: String = "Europe/Tallinn"

        func run() async throws {
            try await withCLI { cli in
                let tenant = try await cli.provisioning().createTenant(slug: slug, name: name, sipDomain: domain, timeZone: timezone)
                print("created tenant \(tenant.slug) (\(tenant.name)), SIP domain \(tenant.sipDomain), schema tenant_\(tenant.slug)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        func run() async throws {
            try await withCLI { cli in
                let tenants = try await Provisioning(db: cli.db, publisher: try cli.publisher(), logger: cli.logger).listTenants()
                printTable(["SLUG", "NAME", "STATUS", "SIP DOMAIN", "TIME ZONE", "MAIN NUMBER"],
                           tenants.map { [$0.slug, $0.name, $0.status.rawValue, $0.sipDomain, $0.timeZone, $0.mainNumber ?? "-"] })
            }
        }
    }

    struct SetLanguage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "language", abstract: "The language of the tenant's system prompts.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "et or en.") var language: Language

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().setLanguage(tenant: tenant, language)
                print("tenant \(tenant): system prompts in \(language.rawValue)")
            }
        }
    }
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create users.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user and their SIP credentials (username = extension, in the tenant's SIP domain).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(name: .customLong("extension"), help: "2–6 digits.") var ext: String
        @Option(help: "The user's name.") var name: String
        @Option(help: "SIP password (at least 8 characters); only its digest hashes are stored.") var password: String
        @Option(help: "The user's mobile number in E.164, e.g. +37255512345.") var mobile: String?

        func run() async throws {
            try await withCLI { cli in
                let (user, _, pin) = try await cli.provisioning().createUser(tenant: tenant, extension: ext, name: name,
                                                                        password: password, mobile: mobile)
                print("created user \(user.extension_) (\(user.name)) in tenant \(tenant); voicemail PIN \(pin) (shown once)")
            }
        }
    }
}

struct Numbers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Assign numbers (DIDs) and say where their calls go.", subcommands: [Assign.self, Route.self])

    struct Route: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send calls to a number to a destination (user:EXT, group:NAME, schedule:NAME, voicemail, …).")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "E.164 number of the tenant.") var number: String
        @Option(help: "Destination.") var to: String

        func run() async throws {
            try await withCLI { cli in
                try await cli.dialplan().routeNumber(tenant: tenant, number: number, to: to)
                print("\(number) → \(to)")
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign a DID to a tenant; the tenant's first number is its main number.")
        @Option(help: "Tenant slug.") var tenant: String
        @Option(help: "E.164 number, e.g. +3726001000.") var number: String
        @Option(help: "Extension of the user whose calls it carries.") var user: String?

        func run() async throws {
            try await withCLI { cli in
                try await cli.provisioning().assignNumber(tenant: tenant, number: number, userExtension: user)
                print("assigned \(number) to tenant \(tenant)" + (user.map { " (user \($0))" } ?? ""))
            }
        }
    }
}

struct Docs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the generated documents: docs/events.md, docs/configuration.md and docs/openapi.yaml.")
    @Option(help: "The docs folder.") var output: String = "docs"

    func run() async throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try EventCatalogue.markdown().write(toFile: "\(output)/events.md", atomically: true, encoding: .utf8)
        try Settings.markdown().write(toFile: "\(output)/configuration.md", atomically: true, encoding: .utf8)
        try OpenAPIDocument.yaml.write(toFile: "\(output)/openapi.yaml", atomically: true, encoding: .utf8)
        print("wrote \(output)/events.md, \(output)/configuration.md and \(output)/openapi.yaml")
    }
}

/// Prints rows as aligned columns.
func printTable(_ header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
}
