import Foundation

/// One environment variable the services and the CLI read. `Settings.all` is the single list;
/// `docs/configuration.md` is generated from it (`switchboard config docs`) and a test keeps them equal.
package struct Setting: Sendable {
    package let name: String
    package let defaultValue: String
    package let summary: String
}

package enum Settings {
    package static let databaseURL = Setting(
        name: "SWITCHBOARD_DATABASE_URL",
        defaultValue: "postgresql://switchboard:switchboard@127.0.0.1:55432/switchboard?connect_timeout=5",
        summary: "libpq connection string or URI. Several hosts with `target_session_attrs=read-write` give failover on HA clusters.")
    package static let databasePoolSize = Setting(
        name: "SWITCHBOARD_DATABASE_POOL_SIZE", defaultValue: "16",
        summary: "Connections per process; each runs its blocking libpq calls on a thread of its own.")
    package static let kafkaBrokers = Setting(
        name: "SWITCHBOARD_KAFKA_BROKERS", defaultValue: "127.0.0.1:19092",
        summary: "Kafka bootstrap servers, `host:port[,host:port]`.")
    package static let topicPrefix = Setting(
        name: "SWITCHBOARD_TOPIC_PREFIX", defaultValue: "",
        summary: "Prefix for every topic name, so several deployments can share a cluster (e.g. `prod.`).")
    package static let kafkaFetchWaitMs = Setting(
        name: "SWITCHBOARD_KAFKA_FETCH_WAIT_MS", defaultValue: "2",
        summary: "`fetch.wait.max.ms` of consumers. 1–5 on the local broker, which holds every fetch this long (2 measured best for round trips); on real Kafka, which answers as soon as data arrives, 100 spares the brokers idle fetches.")
    package static let kafkaDozeMs = Setting(
        name: "SWITCHBOARD_KAFKA_DOZE_MS", defaultValue: "100",
        summary: "A call-path consumer that read nothing for a second pauses its partitions and looks for messages this often (0: never dozes). For brokers that hold every fetch for the whole wait, as the local one does; on real Kafka with a long fetch wait it changes little.")
    package static let kafkaSessionTimeoutMs = Setting(
        name: "SWITCHBOARD_KAFKA_SESSION_TIMEOUT_MS", defaultValue: "6000",
        summary: "Consumer-group session timeout; a group join on the local broker waits about this long.")
    package static let kafkaDeliveryTimeoutMs = Setting(
        name: "SWITCHBOARD_KAFKA_DELIVERY_TIMEOUT_MS", defaultValue: "10000",
        summary: "How long a produce may wait for the broker's acknowledgement before it fails.")
    package static let kafkaIdempotence = Setting(
        name: "SWITCHBOARD_KAFKA_IDEMPOTENCE", defaultValue: "true",
        summary: "Idempotent producers (`enable.idempotence`). The local broker cannot recover an idempotent producer after a timed-out request (no KIP-360 epoch bumps), so `scripts/infra env` sets `false` there; consumers deduplicate by envelope id (DESIGN §4).")
    package static let httpHost = Setting(
        name: "SWITCHBOARD_HTTP_HOST", defaultValue: "127.0.0.1",
        summary: "Address of each service's HTTP listener (health, metrics; the API and console for `api`). Use 0.0.0.0 in containers.")
    package static let httpPort = Setting(
        name: "SWITCHBOARD_HTTP_PORT", defaultValue: "per service",
        summary: "HTTP port. Defaults: api 8080, sip-edge 8081, routing 8082, ivr 8083, recording 8084, billing 8085.")
    package static let logLevel = Setting(
        name: "SWITCHBOARD_LOG_LEVEL", defaultValue: "info",
        summary: "trace, debug, info, notice, warning, error or critical.")
    package static let logFormat = Setting(
        name: "SWITCHBOARD_LOG_FORMAT", defaultValue: "json",
        summary: "`json` (one object per line, with tenant and call ids as fields) or `text` (for a terminal).")
    package static let edgeOrdinal = Setting(
        name: "SWITCHBOARD_EDGE_ORDINAL", defaultValue: "0",
        summary: "This sip-edge instance's stable ordinal (StatefulSet ordinal); it owns partition N of `call.commands`.")
    package static let sipHost = Setting(
        name: "SWITCHBOARD_SIP_HOST", defaultValue: "127.0.0.1",
        summary: "sip-edge: address the SIP listeners bind to (and put in Via and Contact).")
    package static let sipPort = Setting(
        name: "SWITCHBOARD_SIP_PORT", defaultValue: "5060",
        summary: "sip-edge: SIP port for UDP (and TCP; TLS takes the next port).")
    package static let sipSecret = Setting(
        name: "SWITCHBOARD_SIP_SECRET", defaultValue: "development-only-secret",
        summary: "sip-edge: key that signs digest nonces; the same on every edge instance, secret in production.")
    package static let sipDigestAlgorithms = Setting(
        name: "SWITCHBOARD_SIP_DIGEST_ALGORITHMS", defaultValue: "MD5",
        summary: "sip-edge: digest challenges offered, in order (MD5, SHA-256). MD5 alone by default: baresip 1.0 (libre 1.1) fails authentication outright when any challenge is not MD5, and SIPp 3.6 knows only MD5. Set `SHA-256,MD5` where every phone speaks RFC 8760.")
    package static let sipTLSCertificate = Setting(
        name: "SWITCHBOARD_SIP_TLS_CERTIFICATE", defaultValue: "",
        summary: "sip-edge: PEM certificate chain for SIP over TLS (on `SWITCHBOARD_SIP_TLS_PORT`). Empty: no TLS listener.")
    package static let sipTLSPort = Setting(
        name: "SWITCHBOARD_SIP_TLS_PORT", defaultValue: "SIP port + 1",
        summary: "sip-edge: TCP port of SIP over TLS.")
    package static let sipTLSKey = Setting(
        name: "SWITCHBOARD_SIP_TLS_KEY", defaultValue: "",
        summary: "sip-edge: PEM private key of that certificate.")
    package static let rtpPorts = Setting(
        name: "SWITCHBOARD_RTP_PORTS", defaultValue: "20000-29999",
        summary: "sip-edge: UDP port range of anchored media; each call takes two even ports.")
    package static let sipTrunk = Setting(
        name: "SWITCHBOARD_SIP_TRUNK", defaultValue: "",
        summary: "sip-edge: the operator's SIP trunks as `udp:host:port` (or `tcp:`), comma-separated in order of preference. INVITEs from their hosts (any port) are inbound calls to DIDs; external numbers go out through the first that is up. Empty: no trunk.")
    package static let sipTrunkOptionsSeconds = Setting(
        name: "SWITCHBOARD_SIP_TRUNK_OPTIONS_SECONDS", defaultValue: "10",
        summary: "sip-edge: how often each trunk is sent an OPTIONS keep-alive; one that answers nothing within 3 s is down (calls take the next) until it answers again. 0: no keep-alives.")
    package static let sipMaxInFlight = Setting(
        name: "SWITCHBOARD_SIP_MAX_IN_FLIGHT", defaultValue: "1024",
        summary: "sip-edge: SIP messages in progress at once before new work is refused with 503 and Retry-After (overload, RFC 3261 §21.5.4): new requests without credentials from half of it, authenticated ones (the second half of a registration or call already challenged) at it; responses and requests within dialogs are never refused.")
    package static let sipTrunkDiversion = Setting(
        name: "SWITCHBOARD_SIP_TRUNK_DIVERSION", defaultValue: "diversion",
        summary: "sip-edge: how a call sent out through the trunk on a user's or a group's behalf (forwarding to a mobile) names the tenant's number that diverted it: `diversion` (RFC 5806), `history-info` (RFC 7044), `both` or `none`, as the operator's network takes it.")
    package static let routeTimeoutMs = Setting(
        name: "SWITCHBOARD_ROUTE_TIMEOUT_MS", defaultValue: "3000",
        summary: "sip-edge: how long a new call waits for routing's decision before it is refused with 503 (and counted).")
    package static let outboxPollMs = Setting(
        name: "SWITCHBOARD_OUTBOX_POLL_MS", defaultValue: "500",
        summary: "every service: how often its outbox relay looks for events other processes committed (its own are sent at once).")
    package static let sipDrainSeconds = Setting(
        name: "SWITCHBOARD_SIP_DRAIN_SECONDS", defaultValue: "240",
        summary: "sip-edge: on SIGTERM, how long live calls may go on (new ones get 503) before the rest are ended with BYE; keep it under the pod's grace period.")
    package static let recordingURL = Setting(
        name: "SWITCHBOARD_RECORDING_URL", defaultValue: "http://127.0.0.1:8084",
        summary: "sip-edge, api and the CLI: where `recording`'s internal HTTP serves the media store (prompt audio by content hash, uploads, text-to-speech).")
    package static let internalToken = Setting(
        name: "SWITCHBOARD_INTERNAL_TOKEN", defaultValue: "",
        summary: "recording, and its clients sip-edge and api: a shared secret every request to `/internal/` must carry (`Authorization: Bearer …`); empty leaves the internal HTTP open, for one machine only — set it on a cluster.")
    package static let mediaDirectory = Setting(
        name: "SWITCHBOARD_MEDIA_DIR", defaultValue: ".local/media",
        summary: "recording: the folder of the file object store (prompts, recordings, voicemail audio).")
    package static let masterKey = Setting(
        name: "SWITCHBOARD_MASTER_KEY", defaultValue: "development-only-master-key",
        summary: "recording: the secret that wraps each tenant's data key, under which every media object is encrypted at rest (AES-256-GCM); a long random value (e.g. `openssl rand -base64 32`), the same on every recording instance. To rotate it, set the new one here and the old one in `SWITCHBOARD_MASTER_KEY_PREVIOUS`: recording rewraps every data key at start-up (objects are not rewritten), after which the old one can go.")
    package static let previousMasterKeys = Setting(
        name: "SWITCHBOARD_MASTER_KEY_PREVIOUS", defaultValue: "",
        summary: "recording: master keys being rotated out, comma-separated: data keys still wrapped by one of them are opened and rewrapped by `SWITCHBOARD_MASTER_KEY`; empty when no rotation is under way.")
    package static let mediaStore = Setting(
        name: "SWITCHBOARD_MEDIA_STORE", defaultValue: "file",
        summary: "recording: where media objects live: `file` (under `SWITCHBOARD_MEDIA_DIR`) or `s3` (an S3-compatible bucket, the `SWITCHBOARD_S3_*` settings).")
    package static let s3Endpoint = Setting(
        name: "SWITCHBOARD_S3_ENDPOINT", defaultValue: "",
        summary: "recording, with the s3 store: `http(s)://host[:port]` of the S3 API; objects are addressed path-style (`endpoint/bucket/prefix/owner/sha256`), which AWS, MinIO and Ceph all take.")
    package static let s3Bucket = Setting(
        name: "SWITCHBOARD_S3_BUCKET", defaultValue: "",
        summary: "recording, with the s3 store: the bucket (it must exist).")
    package static let s3Region = Setting(
        name: "SWITCHBOARD_S3_REGION", defaultValue: "us-east-1",
        summary: "recording, with the s3 store: the region requests are signed for (Signature Version 4).")
    package static let s3AccessKeyID = Setting(
        name: "SWITCHBOARD_S3_ACCESS_KEY_ID", defaultValue: "",
        summary: "recording, with the s3 store: the access key id.")
    package static let s3SecretAccessKey = Setting(
        name: "SWITCHBOARD_S3_SECRET_ACCESS_KEY", defaultValue: "",
        summary: "recording, with the s3 store: the secret access key; secret.")
    package static let s3Prefix = Setting(
        name: "SWITCHBOARD_S3_PREFIX", defaultValue: "",
        summary: "recording, with the s3 store: a folder inside the bucket for the objects (e.g. `prod/media`), so deployments can share a bucket. Empty: the bucket's top.")
    package static let smtpHost = Setting(
        name: "SWITCHBOARD_SMTP_HOST", defaultValue: "",
        summary: "recording: the SMTP relay that voicemail e-mails (with the message as a WAV attachment) go through, a host name or address. Empty: no e-mail.")
    package static let smtpPort = Setting(
        name: "SWITCHBOARD_SMTP_PORT", defaultValue: "587",
        summary: "recording: the relay's port: 587 (submission, with `starttls`), 465 (with `tls`), 25.")
    package static let smtpTLS = Setting(
        name: "SWITCHBOARD_SMTP_TLS", defaultValue: "starttls",
        summary: "recording: `starttls` (plain connection upgraded after EHLO; a relay that does not offer it is refused), `tls` (TLS from the first byte) or `none` (plain text, for a relay on the same host; no credentials then). The relay's certificate is verified against the system's roots and `SWITCHBOARD_SMTP_CA_FILE`.")
    package static let smtpUsername = Setting(
        name: "SWITCHBOARD_SMTP_USERNAME", defaultValue: "",
        summary: "recording: the user name for the relay's AUTH (PLAIN, or LOGIN where PLAIN is not offered). Empty: no authentication.")
    package static let smtpPassword = Setting(
        name: "SWITCHBOARD_SMTP_PASSWORD", defaultValue: "",
        summary: "recording: the password for that user name; secret.")
    package static let smtpFrom = Setting(
        name: "SWITCHBOARD_SMTP_FROM", defaultValue: "Switchboard <voicemail@localhost>",
        summary: "recording: the sender of voicemail e-mails, `Name <address>` or `address`; the address is also the envelope sender, where bounces go.")
    package static let smtpCAFile = Setting(
        name: "SWITCHBOARD_SMTP_CA_FILE", defaultValue: "",
        summary: "recording: a PEM file of further trust roots for the relay's certificate (a private CA), beside the system's.")
    package static let countryCode = Setting(
        name: "SWITCHBOARD_COUNTRY_CODE", defaultValue: "372",
        summary: "routing: country calling code that numbers dialled in national format get (`5551234` → `+3725551234`).")
    package static let apiTokenMinutes = Setting(
        name: "SWITCHBOARD_API_TOKEN_MINUTES", defaultValue: "720",
        summary: "api: how long a bearer token from `POST /v1/auth/token` is valid (it can be revoked earlier).")
    package static let apiLoginFailuresPerAddress = Setting(
        name: "SWITCHBOARD_API_LOGIN_FAILURES_PER_ADDRESS", defaultValue: "30",
        summary: "api: failed logins from one client address within five minutes before its logins get 429 (10 per e-mail).")
    package static let signedURLSecret = Setting(
        name: "SWITCHBOARD_SIGNED_URL_SECRET", defaultValue: "development-only-secret",
        summary: "api: key that signs the short-lived links to voicemail audio (`POST …/messages/{message}/audio-url`); the same on every api instance, secret in production.")
    package static let vatPercent = Setting(
        name: "SWITCHBOARD_VAT_PERCENT", defaultValue: "24",
        summary: "billing, api: VAT added on invoices, in percent (up to two decimals); catalogue prices exclude it.")
    package static let noticeDays = Setting(
        name: "SWITCHBOARD_NOTICE_DAYS", defaultValue: "30",
        summary: "api: days of service after a tenant is terminated (its notice period), unless the request names its own.")
    package static let exportDays = Setting(
        name: "SWITCHBOARD_EXPORT_DAYS", defaultValue: "30",
        summary: "api, billing: days after the notice period in which a terminated tenant's data can be exported; then it is deleted.")
    package static let instanceID = Setting(
        name: "SWITCHBOARD_INSTANCE_ID", defaultValue: "hostname",
        summary: "Names this process in consumer groups and logs; defaults to the host name.")

    package static let all: [Setting] = [
        databaseURL, databasePoolSize, kafkaBrokers, topicPrefix, kafkaFetchWaitMs, kafkaDozeMs, kafkaSessionTimeoutMs,
        kafkaDeliveryTimeoutMs, kafkaIdempotence, httpHost, httpPort, logLevel, logFormat, edgeOrdinal, sipHost, sipPort,
        sipSecret, sipDigestAlgorithms, sipTLSCertificate, sipTLSKey, sipTLSPort, rtpPorts, sipTrunk, sipTrunkDiversion, sipTrunkOptionsSeconds, sipMaxInFlight, routeTimeoutMs, sipDrainSeconds,
        recordingURL, internalToken, mediaDirectory, masterKey, previousMasterKeys, mediaStore, s3Endpoint, s3Bucket, s3Region, s3AccessKeyID, s3SecretAccessKey, s3Prefix,
        smtpHost, smtpPort, smtpTLS, smtpUsername, smtpPassword, smtpFrom, smtpCAFile,
        outboxPollMs, countryCode, apiTokenMinutes,
        apiLoginFailuresPerAddress, signedURLSecret, vatPercent, noticeDays, exportDays, instanceID,
    ]

    /// The Markdown of `docs/configuration.md`.
    package static func markdown() -> String {
        var out = """
            # Configuration

            Every service and the `switchboard` CLI read these environment variables (generated from
            `Shared/Runtime/Settings.swift` by `switchboard docs`). The defaults fit the local setup of
            `make run`.

            | Variable | Default | Meaning |
            |---|---|---|

            """
        for setting in all {
            let shown = setting.defaultValue.isEmpty ? "(empty)" : "`\(setting.defaultValue)`"
            out += "| `\(setting.name)` | \(shown) | \(setting.summary) |\n"
        }
        return out
    }
}

/// The configuration of one process, read from the environment in one place.
package struct RuntimeConfiguration: Sendable {
    package var databaseURL: String
    package var databasePoolSize: Int
    package var kafkaBrokers: String
    package var topicPrefix: String
    package var kafkaFetchWaitMs: Int
    package var kafkaDozeMs: Int
    package var kafkaSessionTimeoutMs: Int
    package var kafkaDeliveryTimeoutMs: Int
    package var kafkaIdempotence: Bool
    package var httpHost: String
    package var httpPort: Int
    package var logLevel: String
    package var logFormat: String
    package var edgeOrdinal: Int
    package var sipHost: String
    package var sipPort: Int
    package var sipSecret: String
    package var sipDigestAlgorithms: [String]
    package var sipTLSCertificate: String?
    package var sipTLSKey: String?
    package var sipTLSPort: Int
    package var rtpPorts: ClosedRange<Int>
    package var sipTrunk: String?
    package var sipTrunkDiversion: DiversionHeaders
    package var sipTrunkOptionsSeconds: Int
    package var sipMaxInFlight: Int
    package var routeTimeoutMs: Int
    package var sipDrainSeconds: Int
    package var recordingURL: String
    /// Empty: the internal HTTP takes requests without a token.
    package var internalToken: String
    package var masterKey: String
    /// Being rotated out; empty when no rotation is under way.
    package var previousMasterKeys: [String]
    package var mediaStore: MediaStoreConfiguration
    /// Nil: no relay is configured, and voicemail is not e-mailed.
    package var smtp: SMTPConfiguration?
    package var outboxPollMs: Int
    package var countryCode: String
    package var apiTokenMinutes: Int
    package var apiLoginFailuresPerAddress: Int
    package var signedURLSecret: String
    package var vatPercent: String
    package var noticeDays: Int
    package var exportDays: Int
    package var instanceID: String

    /// Reads every setting. - Throws: `ConfigurationError` naming the variable that is wrong.
    package static func fromEnvironment(defaultHTTPPort: Int = 8080,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> RuntimeConfiguration
    {
        func text(_ setting: Setting) -> String {
            environment[setting.name].flatMap { $0.isEmpty ? nil : $0 } ?? setting.defaultValue
        }
        func int(_ setting: Setting, default fallback: Int? = nil, range: ClosedRange<Int>) throws -> Int {
            let raw = environment[setting.name].flatMap { $0.isEmpty ? nil : $0 }
            guard let raw else { return fallback ?? Int(setting.defaultValue) ?? range.lowerBound }
            guard let value = Int(raw), range.contains(value) else {
                throw ConfigurationError(message: "\(setting.name)=\(raw) must be a whole number in \(range)")
            }
            return value
        }
        let level = text(Settings.logLevel)
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
            throw ConfigurationError(message: "\(Settings.logLevel.name)=\(level) is not a log level")
        }
        let idempotence = text(Settings.kafkaIdempotence)
        guard ["true", "false"].contains(idempotence) else {
            throw ConfigurationError(message: "\(Settings.kafkaIdempotence.name)=\(idempotence) must be true or false")
        }
        let format = text(Settings.logFormat)
        guard ["json", "text"].contains(format) else {
            throw ConfigurationError(message: "\(Settings.logFormat.name)=\(format) must be json or text")
        }
        return RuntimeConfiguration(
            databaseURL: text(Settings.databaseURL),
            databasePoolSize: try int(Settings.databasePoolSize, range: 1...200),
            kafkaBrokers: text(Settings.kafkaBrokers),
            topicPrefix: environment[Settings.topicPrefix.name] ?? "",
            kafkaFetchWaitMs: try int(Settings.kafkaFetchWaitMs, range: 0...10_000),
            kafkaDozeMs: try int(Settings.kafkaDozeMs, range: 0...60_000),
            kafkaSessionTimeoutMs: try int(Settings.kafkaSessionTimeoutMs, range: 1_000...300_000),
            kafkaDeliveryTimeoutMs: try int(Settings.kafkaDeliveryTimeoutMs, range: 100...600_000),
            kafkaIdempotence: idempotence == "true",
            httpHost: text(Settings.httpHost),
            httpPort: try int(Settings.httpPort, default: defaultHTTPPort, range: 1...65_535),
            logLevel: level,
            logFormat: format,
            edgeOrdinal: try int(Settings.edgeOrdinal, range: 0...1_023),
            sipHost: text(Settings.sipHost),
            sipPort: try int(Settings.sipPort, range: 1...65_534),
            sipSecret: text(Settings.sipSecret),
            sipDigestAlgorithms: try algorithms(text(Settings.sipDigestAlgorithms)),
            sipTLSCertificate: environment[Settings.sipTLSCertificate.name].flatMap { $0.isEmpty ? nil : $0 },
            sipTLSKey: environment[Settings.sipTLSKey.name].flatMap { $0.isEmpty ? nil : $0 },
            sipTLSPort: try int(Settings.sipTLSPort, default: try int(Settings.sipPort, range: 1...65_534) + 1, range: 1...65_535),
            rtpPorts: try portRange(text(Settings.rtpPorts)),
            sipTrunk: environment[Settings.sipTrunk.name].flatMap { $0.isEmpty ? nil : $0 },
            sipTrunkDiversion: try diversionHeaders(text(Settings.sipTrunkDiversion)),
            sipTrunkOptionsSeconds: try int(Settings.sipTrunkOptionsSeconds, range: 0...3_600),
            sipMaxInFlight: try int(Settings.sipMaxInFlight, range: 2...100_000),
            routeTimeoutMs: try int(Settings.routeTimeoutMs, range: 100...60_000),
            sipDrainSeconds: try int(Settings.sipDrainSeconds, range: 0...86_400),
            recordingURL: text(Settings.recordingURL),
            internalToken: text(Settings.internalToken),
            masterKey: text(Settings.masterKey),
            previousMasterKeys: text(Settings.previousMasterKeys).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            mediaStore: try objectStore(text),
            smtp: try mailRelay(text),
            outboxPollMs: try int(Settings.outboxPollMs, range: 10...60_000),
            countryCode: text(Settings.countryCode),
            apiTokenMinutes: try int(Settings.apiTokenMinutes, range: 1...43_200),
            apiLoginFailuresPerAddress: try int(Settings.apiLoginFailuresPerAddress, range: 1...1_000_000),
            signedURLSecret: text(Settings.signedURLSecret),
            vatPercent: text(Settings.vatPercent),
            noticeDays: try int(Settings.noticeDays, range: 0...3_650),
            exportDays: try int(Settings.exportDays, range: 0...3_650),
            instanceID: environment[Settings.instanceID.name].flatMap { $0.isEmpty ? nil : $0 }
                ?? ProcessInfo.processInfo.hostName)
    }

}

/// Where `recording` keeps media objects (DESIGN §7).
package enum MediaStoreConfiguration: Sendable, Equatable {
    case file(directory: String)
    case s3(S3Configuration)
}

/// An S3-compatible bucket, addressed path-style: `endpoint/bucket/prefix/owner/sha256`.
package struct S3Configuration: Sendable, Equatable {
    /// `http(s)://host[:port]`, without a path.
    package var endpoint: String
    package var bucket: String
    package var region: String
    package var accessKeyID: String
    package var secretAccessKey: String
    /// Empty, or folders without a slash at either end (`prod/media`).
    package var prefix: String

    package init(endpoint: String, bucket: String, region: String = Settings.s3Region.defaultValue, accessKeyID: String,
                 secretAccessKey: String, prefix: String = "") {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.prefix = prefix
    }
}

/// The store from `SWITCHBOARD_MEDIA_STORE` and the settings it needs. Bucket and prefix are held to
/// characters that need no escaping in a URL path, so the path sent is the path signed.
private func objectStore(_ text: (Setting) -> String) throws -> MediaStoreConfiguration {
    let kind = text(Settings.mediaStore)
    switch kind {
    case "file":
        return .file(directory: text(Settings.mediaDirectory))
    case "s3":
        func required(_ setting: Setting) throws -> String {
            let value = text(setting)
            guard !value.isEmpty else {
                throw ConfigurationError(message: "\(setting.name) must be set when \(Settings.mediaStore.name)=s3")
            }
            return value
        }
        let endpoint = try required(Settings.s3Endpoint)
        let url = URLComponents(string: endpoint)
        guard let url, url.scheme == "http" || url.scheme == "https", url.host?.isEmpty == false,
              url.path.isEmpty || url.path == "/", url.query == nil, url.user == nil else {
            throw ConfigurationError(message: "\(Settings.s3Endpoint.name)=\(endpoint) must be http(s)://host[:port]")
        }
        let bucket = try required(Settings.s3Bucket)
        let bucketName = bucket.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }
            && (3...63).contains(bucket.count) && (bucket.first?.isLetter == true || bucket.first?.isNumber == true)
        guard bucketName else {
            throw ConfigurationError(
                message: "\(Settings.s3Bucket.name)=\(bucket) must be an S3 bucket name (3–63 of a–z, 0–9, . and -)")
        }
        let prefix = text(Settings.s3Prefix).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let folders = prefix.split(separator: "/", omittingEmptySubsequences: false)
        guard prefix.isEmpty || folders.allSatisfy({ folder in
            !folder.isEmpty && folder.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }) else {
            throw ConfigurationError(
                message: "\(Settings.s3Prefix.name)=\(prefix) must be folders of A–Z, a–z, 0–9, -, _ and . split by /")
        }
        return .s3(S3Configuration(
            endpoint: endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint, bucket: bucket,
            region: text(Settings.s3Region), accessKeyID: try required(Settings.s3AccessKeyID),
            secretAccessKey: try required(Settings.s3SecretAccessKey), prefix: prefix))
    default:
        throw ConfigurationError(message: "\(Settings.mediaStore.name)=\(kind) must be file or s3")
    }
}

private func algorithms(_ text: String) throws -> [String] {
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
    guard !names.isEmpty, names.allSatisfy({ $0 == "MD5" || $0 == "SHA-256" }) else {
        throw ConfigurationError(message: "\(Settings.sipDigestAlgorithms.name)=\(text) must list MD5 and/or SHA-256")
    }
    return names
}

/// The headers a diverted call out through the trunk carries (`SWITCHBOARD_SIP_TRUNK_DIVERSION`).
package enum DiversionHeaders: String, Sendable {
    case diversion
    case historyInfo = "history-info"
    case both
    case none

    package var diversion: Bool { self == .diversion || self == .both }
    package var historyInfo: Bool { self == .historyInfo || self == .both }
}

private func diversionHeaders(_ text: String) throws -> DiversionHeaders {
    guard let headers = DiversionHeaders(rawValue: text) else {
        throw ConfigurationError(message: "\(Settings.sipTrunkDiversion.name)=\(text) must be diversion, history-info, both or none")
    }
    return headers
}

private func portRange(_ text: String) throws -> ClosedRange<Int> {
    let bounds = text.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard bounds.count == 2, 1_024 <= bounds[0], bounds[1] <= 65_535, bounds[1] - bounds[0] >= 2 else {
        throw ConfigurationError(message: "\(Settings.rtpPorts.name)=\(text) must be a range like 20000-29999 above 1023")
    }
    return bounds[0]...bounds[1]
}

package struct ConfigurationError: Error, CustomStringConvertible {
    package let message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}
