import ArgumentParser
import Tenancy

/// The demo tenant that `make run` seeds: tenant `demo`, SIP domain demo.localhost, users
/// 1001–1003, main number +3726001000 (to user 1001). Idempotent.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed the demo tenant (idempotent).", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the demo tenant, users 1001–1003 and its main number.")

        func run() async throws {
            try await withCLI { cli in
                let provisioning = try cli.provisioning()
                if (try? await provisioning.tenant("demo")) == nil {
                    try await provisioning.createTenant(slug: "demo", name: "Demo OÜ", sipDomain: "demo.localhost")
                }
                for (ext, name) in [("1001", "Alice Tamm"), ("1002", "Bob Kask"), ("1003", "Carol Saar")] {
                    do {
                        try await provisioning.createUser(tenant: "demo", extension: ext, name: name,
                                                          password: "demo-\(ext)-secret", mobile: nil)
                    } catch TenancyError.conflict {}
                }
                do {
                    try await provisioning.assignNumber(tenant: "demo", number: "+3726001000", userExtension: "1001")
                } catch TenancyError.conflict {}
                print("demo tenant: ready (demo.localhost, users 1001–1003, main number +3726001000)")
            }
        }
    }
}
