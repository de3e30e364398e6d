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

    static let s3: [String: String] = [
        "SWITCHBOARD_MEDIA_STORE": "s3", "SWITCHBOARD_S3_ENDPOINT": "http://127.0.0.1:9000/", "SWITCHBOARD_S3_BUCKET": "media",
        "SWITCHBOARD_S3_ACCESS_KEY_ID": "AKIA1", "SWITCHBOARD_S3_SECRET_ACCESS_KEY": "secret", "SWITCHBOARD_S3_PREFIX": "/prod/media/",
    ]

    @Test("the media store is the folder by default, or the bucket the S3 settings name")
    func mediaStore() throws {
        #expect(try RuntimeConfiguration.fromEnvironment(environment: [:]).mediaStore == .file(directory: ".local/media"))
        let s3 = try RuntimeConfiguration.fromEnvironment(environment: Self.s3).mediaStore
        #expect(s3 == .s3(S3Configuration(endpoint: "http://127.0.0.1:9000", bucket: "media", region: "us-east-1", accessKeyID: "AKIA1",
                                          secretAccessKey: "secret", prefix: "prod/media")))
    }

    @Test("an S3 store without what it needs, or with a bad value, names the setting", arguments: [
        ("SWITCHBOARD_S3_ENDPOINT", ""), ("SWITCHBOARD_S3_BUCKET", ""), ("SWITCHBOARD_S3_ACCESS_KEY_ID", ""),
        ("SWITCHBOARD_S3_SECRET_ACCESS_KEY", ""), ("SWITCHBOARD_S3_ENDPOINT", "127.0.0.1:9000"),
        ("SWITCHBOARD_S3_ENDPOINT", "http://host/path"), ("SWITCHBOARD_S3_BUCKET", "Media_Bucket"),
        ("SWITCHBOARD_S3_PREFIX", "a//b"), ("SWITCHBOARD_S3_PREFIX", "a b"), ("SWITCHBOARD_MEDIA_STORE", "ftp"),
    ])
    func invalidS3(name: String, value: String) {
        #expect {
            try RuntimeConfiguration.fromEnvironment(environment: Self.s3.merging([name: value]) { $1 })
        } throws: { error in
            "\(error)".hasPrefix(name)
        }
    }

    static let smtp: [String: String] = [
        "SWITCHBOARD_SMTP_HOST": "smtp.example.ee", "SWITCHBOARD_SMTP_PORT": "465", "SWITCHBOARD_SMTP_TLS": "tls",
        "SWITCHBOARD_SMTP_USERNAME": "pbx", "SWITCHBOARD_SMTP_PASSWORD": "secret",
        "SWITCHBOARD_SMTP_FROM": "Kõnepost <voicemail@pbx.example.ee>", "SWITCHBOARD_SMTP_CA_FILE": "/etc/pbx/ca.pem",
    ]

    @Test("no SMTP host: no e-mail; with one, the relay from the settings, STARTTLS on 587 by default")
    func smtp() throws {
        #expect(try RuntimeConfiguration.fromEnvironment(environment: [:]).smtp == nil)
        let relay = try RuntimeConfiguration.fromEnvironment(environment: Self.smtp).smtp
        let from = try #require(MailAddress(displayName: "Kõnepost", address: "voicemail@pbx.example.ee"))
        #expect(relay == SMTPConfiguration(
            host: "smtp.example.ee", port: 465, security: .tls, credentials: .init(username: "pbx", password: "secret"),
            from: from, caFile: "/etc/pbx/ca.pem"))
        let defaults = try #require(try RuntimeConfiguration.fromEnvironment(environment: ["SWITCHBOARD_SMTP_HOST": "[::1]"]).smtp)
        #expect(defaults.host == "::1" && defaults.port == 587 && defaults.security == .startTLS)
        #expect(defaults.credentials == nil && defaults.caFile == nil)
        #expect(defaults.from == MailAddress(displayName: "Switchboard", address: "voicemail@localhost"))
        #expect(relay?.credentials?.description == "pbx (password hidden)", "a logged configuration hides the password")
    }

    @Test("an SMTP relay with a bad value, or a user without a password, names the setting", arguments: [
        ("SWITCHBOARD_SMTP_PORT", "0"), ("SWITCHBOARD_SMTP_PORT", "smtp"), ("SWITCHBOARD_SMTP_TLS", "ssl"),
        ("SWITCHBOARD_SMTP_HOST", "smtp://relay"), ("SWITCHBOARD_SMTP_HOST", "relay example"),
        ("SWITCHBOARD_SMTP_PASSWORD", ""), ("SWITCHBOARD_SMTP_FROM", "voicemail"),
        ("SWITCHBOARD_SMTP_FROM", "Kõnepost <kõne@pbx.ee>"),
    ])
    func invalidSMTP(name: String, value: String) {
        #expect {
            try RuntimeConfiguration.fromEnvironment(environment: Self.smtp.merging([name: value]) { $1 })
        } throws: { error in
            "\(error)".hasPrefix(name)
        }
    }

    @Test("credentials are refused in clear text and without the other half")
    func smtpCredentials() {
        for (change, named) in [(["SWITCHBOARD_SMTP_TLS": "none"], "SWITCHBOARD_SMTP_PASSWORD"),
                                (["SWITCHBOARD_SMTP_USERNAME": ""], "SWITCHBOARD_SMTP_USERNAME")] {
            #expect {
                try RuntimeConfiguration.fromEnvironment(environment: Self.smtp.merging(change) { $1 })
            } throws: { error in
                "\(error)".hasPrefix(named)
            }
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
