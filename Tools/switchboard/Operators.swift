import ArgumentParser
import Tenancy

/// Operator accounts: the people who run the platform and provision tenants through the API.
struct Operators: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Operator accounts of the API and console.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an operator account (all tenants).")
        @Option(help: "E-mail to log in with.") var email: String
        @Option(help: "Password, 10–200 characters; stored as a PBKDF2 hash.") var password: String

        func run() async throws {
            try await withCLI { cli in
                try await cli.provisioning().createOperator(email: email, password: password)
                print("created operator \(email)")
            }
        }
    }
}
