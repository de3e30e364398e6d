import ArgumentParser
import Tenancy

/// The demo tenant that `make run` seeds: tenant `demo`, SIP domain demo.localhost, users
/// 1001–1003 (1001 its admin), main number +3726001000 (to user 1001), and a demo operator
/// account. Idempotent.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed the demo tenant (idempotent).", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the demo tenant, users 1001–1003 and its main number.")

        static let operatorEmail = "operator@switchboard.localhost"
        static let operatorPassword = "operator-demo-password"

        func run() async throws {
            try await withCLI { cli in
                let provisioning = try cli.provisioning()
                if (try? await provisioning.tenant("demo")) == nil {
                    try await provisioning.createTenant(slug: "demo", name: "Demo OÜ", sipDomain: "demo.localhost")
                }
                // Alice is the tenant's admin in the console and API.
                for (ext, name, role) in [("1001", "Alice Tamm", "admin"), ("1002", "Bob Kask", "user"), ("1003", "Carol Saar", "user")] {
                    let email = "\(name.split(separator: " ")[0].lowercased())@demo.localhost"
                    do {
                        try await provisioning.createUser(tenant: "demo", extension: ext, name: name, password: "demo-\(ext)-secret",
                                                          email: email, role: role, consolePassword: "demo-\(ext)-console")
                    } catch TenancyError.conflict {
                        // A demo user from before console logins existed gets its login now.
                        if try await provisioning.user(tenant: "demo", extension: ext).email == nil {
                            _ = try await provisioning.updateUser(tenant: "demo", extension: ext, .init(
                                email: .some(email), role: role, consolePassword: "demo-\(ext)-console"))
                        }
                    }
                }
                do {
                    try await provisioning.createOperator(email: Self.operatorEmail, password: Self.operatorPassword)
                } catch TenancyError.conflict {}
                do {
                    try await provisioning.assignNumber(tenant: "demo", number: "+3726001000", userExtension: "1001")
                } catch TenancyError.conflict {}
                print("demo tenant: ready (demo.localhost, users 1001–1003, main number +3726001000); operator \(Self.operatorEmail)")
            }
        }
    }
}
