import Foundation
import Runtime
import Testing

@Suite("Runtime configuration")
struct RuntimeTests {
    @Test("defaults fit the local setup")
    func defaults() throws {
        let config = try RuntimeConfiguration.fromEnvironment(defaultHTTPPort: 8082, environment: [:])
        #expect(config.httpPort == 8082)
        #expect(config.kafkaBrokers == "127.0.0.1:19092")
        #expect(config.databaseURL.contains("55432"))
        #expect(config.topicPrefix == "")
        #expect(config.logFormat == "json")
        #expect(config.edgeOrdinal == 0)
    }

    @Test("environment values override the defaults")
    func overrides() throws {
        let config = try RuntimeConfiguration.fromEnvironment(environment: [
            "SWITCHBOARD_HTTP_PORT": "9000", "SWITCHBOARD_TOPIC_PREFIX": "prod.", "SWITCHBOARD_EDGE_ORDINAL": "3",
            "SWITCHBOARD_LOG_LEVEL": "debug",
        ])
        #expect(config.httpPort == 9000)
        #expect(config.topicPrefix == "prod.")
        #expect(config.edgeOrdinal == 3)
        #expect(config.logLevel == "debug")
    }

    @Test("a wrong value names the variable", arguments: [
        ("SWITCHBOARD_HTTP_PORT", "eighty"), ("SWITCHBOARD_HTTP_PORT", "70000"), ("SWITCHBOARD_LOG_LEVEL", "loud"),
        ("SWITCHBOARD_LOG_FORMAT", "xml"), ("SWITCHBOARD_DATABASE_POOL_SIZE", "0"),
    ])
    func invalid(name: String, value: String) {
        #expect {
            try RuntimeConfiguration.fromEnvironment(environment: [name: value])
        } throws: { error in
            "\(error)".contains(name)
        }
    }

    @Test("docs/configuration.md lists every setting")
    func configurationDocsAreCurrent() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/configuration.md").path
        let onDisk = try String(contentsOfFile: path, encoding: .utf8)
        #expect(onDisk == Settings.markdown(), "run `make docs` and commit docs/configuration.md")
    }

    @Test("the tenant cache drops a tenant's entries on invalidation, and only that tenant's")
    func tenantCache() async {
        let cache = TenantCache()
        let loads = LoadCounter()
        for _ in 0..<3 {
            _ = await cache.value(tenant: "a", key: "users") { await loads.load("a") }
            _ = await cache.value(tenant: "b", key: "users") { await loads.load("b") }
        }
        #expect(await loads.count == 2)
        cache.invalidate(tenant: "a")
        let a = await cache.value(tenant: "a", key: "users") { await loads.load("a") }
        let b = await cache.value(tenant: "b", key: "users") { await loads.load("b") }
        #expect(a == "a#3")
        #expect(b == "b#2")
    }
}

actor LoadCounter {
    var count = 0
    func load(_ tenant: String) -> String {
        count += 1
        return "\(tenant)#\(count)"
    }
}
