import Crypto
import Events
import Foundation
import Logging
import Messaging
import Postgres

/// A tenant as the platform knows it.
package struct Tenant: Sendable, Codable, Equatable {
    package var slug: String
    package var name: String
    package var status: TenantStatus
    package var sipDomain: String
    package var timeZone: String
    package var mainNumber: String?
    /// While terminating: the last day of service (YYYY-MM-DD).
    package var noticeEnds: String?
    /// After termination: the last day the data can be exported before it is deleted.
    package var exportEnds: String?
}

/// A user of a tenant: an employee with an extension, a SIP device and maybe a console login.
package struct User: Sendable, Codable, Equatable {
    package var id: UUID
    package var extension_: String
    package var name: String
    package var email: String?
    package var mobile: String?
    /// admin (manages the tenant) or user (their own settings).
    package var role: String

    enum CodingKeys: String, CodingKey {
        case id, extension_ = "extension", name, email, mobile, role
    }
}

/// The provisioning operations shared by the CLI and the API: every write validates its input,
/// runs in one transaction, and publishes its event once committed.
package struct Provisioning: Sendable {
    let db: PostgresClient
    let publisher: EventPublisher
    let logger: Logger

    package init(db: PostgresClient, publisher: EventPublisher, logger: Logger) {
        self.db = db
        self.publisher = publisher
        self.logger = logger
    }

    /// Where the events that must follow a change go, in the change's transaction.
    var outbox: Outbox { Outbox(db: db, publisher: publisher) }

    /// Creates a tenant, its schema (migrated) and publishes `tenant.created`.
    /// - Throws: `TenancyError.invalid` for bad input, `.conflict` when the slug or domain is taken.
    @discardableResult
    package func createTenant(slug rawSlug: String, name: String, sipDomain: String,
                              timeZone: String = "Europe/Tallinn", actor: String = "cli") async throws -> Tenant {
        let slug = try TenantSlug(rawSlug)
        let name = try Validation.name(name)
        // ASCII only before lower-casing: some letters lower-case into ASCII (the Kelvin sign into k).
        let domain = sipDomain.utf8.allSatisfy({ $0 < 0x80 }) ? sipDomain.lowercased() : sipDomain
        guard Validation.isDomain(domain) else { throw TenancyError.invalid("\(String(reflecting: sipDomain)) is not a valid SIP domain") }
        guard TimeZone(identifier: timeZone) != nil else { throw TenancyError.invalid("unknown time zone \(String(reflecting: timeZone))") }
        let migrator = Migrator(db: db, logger: logger)
        do {
            try await db.withTransaction { connection in
                try await connection.query("""
                    INSERT INTO platform.tenants (slug, name, sip_domain, time_zone) VALUES (\(slug.value), \(name), \(domain), \(timeZone))
                    """)
                _ = try await migrator.apply(TenantSchema.migrations, schema: slug.schema, on: connection, inTransaction: true)
                try await audit(connection, slug, actor: actor, action: "tenant.create", subject: slug.value)
                try await outbox.add(Envelope(tenant: slug.value, data: TenantCreated(
                    slug: slug.value, name: name, sipDomain: domain, timeZone: timeZone)), on: connection)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenancyError.conflict("a tenant with slug \(slug) or SIP domain \(domain) already exists")
        }
        outbox.committed()
        return Tenant(slug: slug.value, name: name, status: .active, sipDomain: domain, timeZone: timeZone, mainNumber: nil,
                      noticeEnds: nil, exportEnds: nil)
    }

    private static let tenantSelect = """
        SELECT t.slug, t.name, t.status, t.sip_domain, t.time_zone, n.e164 AS main_number,
               to_char(t.notice_ends, 'YYYY-MM-DD') AS notice_ends, to_char(t.export_ends, 'YYYY-MM-DD') AS export_ends
        FROM platform.tenants t LEFT JOIN platform.numbers n ON n.tenant = t.slug AND n.is_main
        """

    private static func tenant(_ row: PostgresRow) throws -> Tenant {
        Tenant(slug: try row.decode("slug"), name: try row.decode("name"), status: try row.decode("status"),
               sipDomain: try row.decode("sip_domain"), timeZone: try row.decode("time_zone"), mainNumber: try row.decode("main_number"),
               noticeEnds: try row.decode("notice_ends"), exportEnds: try row.decode("export_ends"))
    }

    /// Tenants by slug: `limit` of them after the slug `after`; deleted ones are not listed.
    package func listTenants(after: String? = nil, limit: Int = 100_000) async throws -> [Tenant] {
        try await db.query("""
            \(unsafeSQL: Self.tenantSelect) WHERE t.slug > \(after ?? "") AND t.status <> 'deleted' ORDER BY t.slug LIMIT \(limit)
            """).map(Self.tenant)
    }

    /// The tenant with this slug. - Throws: `.notFound` (also for a deleted one).
    package func tenant(_ rawSlug: String) async throws -> Tenant {
        let slug = try TenantSlug(rawSlug)
        let rows = try await db.query("\(unsafeSQL: Self.tenantSelect) WHERE t.slug = \(slug.value) AND t.status <> 'deleted'")
        guard let row = rows.first else { throw TenancyError.notFound("no tenant \(slug)") }
        return try Self.tenant(row)
    }

    /// Suspends (calls and registrations refused, data kept) or reactivates a tenant.
    /// Publishes `tenant.status-changed`. - Throws: `.notFound`, `.conflict` from any other status.
    @discardableResult
    package func setStatus(tenant rawSlug: String, to status: TenantStatus, actor: String = "cli") async throws -> Tenant {
        guard status.isOpen else { throw TenancyError.invalid("status must be active or suspended") }
        let current = try await tenant(rawSlug)
        let slug = try TenantSlug(current.slug)
        guard current.status.isOpen else {
            throw TenancyError.conflict("tenant \(slug) is \(current.status)")
        }
        guard current.status != status else { return current }
        try await db.withTransaction { connection in
            try await connection.query("UPDATE platform.tenants SET status = \(status), updated_at = now() WHERE slug = \(slug.value)")
            try await audit(connection, slug, actor: actor, action: "tenant.\(status == .active ? "resume" : "suspend")", subject: slug.value)
            try await outbox.add(Envelope(tenant: slug.value, data: TenantStatusChanged(
                slug: slug.value, status: status, previousStatus: current.status)), on: connection)
        }
        outbox.committed()
        var changed = current
        changed.status = status
        return changed
    }

    /// A number of the tenant and where its calls go.
    package struct NumberAssignment: Sendable, Codable, Equatable {
        package var number: String
        package var isMain: Bool
        /// A destination in the configuration syntax: user:1001, group:sales, voicemail, none, ...
        package var destination: String
    }

    /// The tenant's numbers, `limit` of them after `after`.
    package func listNumbers(tenant rawSlug: String, after: String? = nil, limit: Int = 100_000,
                             only number: String? = nil) async throws -> [NumberAssignment] {
        let slug = try TenantSlug(rawSlug)
        return try await db.query("""
            SELECT n.e164, p.is_main, n.destination_kind, n.destination_ref
            FROM \(identifier: slug.schema).numbers n JOIN platform.numbers p ON p.e164 = n.e164
            WHERE n.e164 > \(after ?? "") AND (\(number)::text IS NULL OR n.e164 = \(number)) ORDER BY n.e164 LIMIT \(limit)
            """).map { row in
            let kind: String = try row.decode("destination_kind")
            let ref: String? = try row.decode("destination_ref")
            return NumberAssignment(number: try row.decode("e164"), isMain: try row.decode("is_main"),
                                    destination: ref.map { "\(kind):\($0)" } ?? kind)
        }
    }

    /// Creates a user, the SIP credentials of their device and their voicemail box: username =
    /// extension, realm = the tenant's SIP domain, password kept only as HA1 hashes (generated when
    /// not given: the caller shows it once, with the box's random PIN). With an e-mail and a console password the user can log in to the API.
    /// Publishes `config.changed`.
    @discardableResult
    package func createUser(tenant rawSlug: String, extension ext: String, name: String, password: String? = nil,
                            mobile: String? = nil, email: String? = nil, role: String = "user", consolePassword: String? = nil,
                            actor: String = "cli") async throws -> (user: User, sipPassword: String, voicemailPIN: String) {
        let tenant = try await tenant(rawSlug)
        let slug = try TenantSlug(tenant.slug)
        guard Validation.isExtension(ext) else { throw TenancyError.invalid("extension must be 2–6 digits") }
        let name = try Validation.name(name)
        let sipPassword = password ?? Secrets.sipPassword()
        try Validation.sipPassword(sipPassword)
        if let mobile, !Validation.isE164(mobile) { throw TenancyError.invalid("mobile must be an E.164 number like +37255512345") }
        let email = try email.map(Validation.email)
        guard ["admin", "user"].contains(role) else { throw TenancyError.invalid("role must be admin or user") }
        var passwordHash: String?
        if let consolePassword { passwordHash = try await PasswordHash.make(consolePassword) }
        if passwordHash != nil, email == nil { throw TenancyError.invalid("a console password needs an e-mail to log in with") }
        let ha1 = DigestCredentials.ha1(username: ext, realm: tenant.sipDomain, password: sipPassword)
        let user: User
        let pin: String
        do {
            (user, pin) = try await db.withTransaction { connection in
                let rows = try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).users (extension, name, mobile, email, role, password_hash)
                    VALUES (\(ext), \(name), \(mobile), \(email), \(role), \(passwordHash)) RETURNING id
                    """)
                let id: UUID = try rows[0].decode("id")
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).devices (user_id, username, realm, ha1_md5, ha1_sha256)
                    VALUES (\(id), \(ext), \(tenant.sipDomain), \(ha1.md5), \(ha1.sha256))
                    """)
                // Their voicemail box, numbered by the extension (a group's box of that number is refused first).
                let pin = try await Voicemail.createUserBox(userID: id, extension: ext, slug: slug, on: connection)
                try await audit(connection, slug, actor: actor, action: "user.create", subject: ext)
                try await outbox.configChanged(slug, entity: "user", key: ext, action: "created", on: connection)
                return (User(id: id, extension_: ext, name: name, email: email, mobile: mobile, role: role), pin)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenancyError.conflict("tenant \(slug) already has extension \(ext), e-mail \(email ?? "") or a voicemail box \(ext)")
        }
        outbox.committed()
        return (user, sipPassword, pin)
    }

    /// Assigns a DID to the tenant. The first number of a tenant becomes its main number; with
    /// `userExtension` calls to it go to that user. Publishes `config.changed`.
    package func assignNumber(tenant rawSlug: String, number: String, userExtension: String? = nil,
                              actor: String = "cli") async throws {
        let tenant = try await tenant(rawSlug)
        let slug = try TenantSlug(tenant.slug)
        guard Validation.isE164(number) else { throw TenancyError.invalid("\(String(reflecting: number)) is not an E.164 number like +3726001000") }
        do {
            try await db.withTransaction { connection in
                var userID: UUID?
                if let userExtension {
                    let rows = try await connection.query("SELECT id FROM \(identifier: slug.schema).users WHERE extension = \(userExtension)")
                    guard let row = rows.first else { throw TenancyError.notFound("tenant \(slug) has no user \(userExtension)") }
                    userID = try row.decode("id")
                }
                try await connection.query("""
                    INSERT INTO platform.numbers (e164, tenant, is_main)
                    VALUES (\(number), \(slug.value), NOT EXISTS (SELECT 1 FROM platform.numbers WHERE tenant = \(slug.value) AND is_main))
                    """)
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).numbers (e164, user_id, destination_kind, destination_ref)
                    VALUES (\(number), \(userID), \(userID == nil ? "none" : "user"), \(userExtension))
                    """)
                try await audit(connection, slug, actor: actor, action: "number.assign", subject: number)
                try await outbox.configChanged(slug, entity: "number", key: number, action: "created", on: connection)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenancyError.conflict("\(number) is already assigned")
        }
        outbox.committed()
    }

    func audit(_ connection: PostgresConnection, _ slug: TenantSlug, actor: String, action: String,
                       subject: String) async throws {
        try await connection.query("""
            INSERT INTO \(identifier: slug.schema).audit_log (actor, action, subject) VALUES (\(actor), \(action), \(subject))
            """)
    }
}

/// Digest HA1 values: H(username:realm:password) with MD5 (RFC 2617) and SHA-256 (RFC 8760).
package enum DigestCredentials {
    package static func ha1(username: String, realm: String, password: String) -> (md5: String, sha256: String) {
        let input = Data("\(username):\(realm):\(password)".utf8)
        return (hex(Insecure.MD5.hash(data: input)), hex(SHA256.hash(data: input)))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// Input checks shared by the CLI and the API.
package enum Validation {
    /// A display name: trimmed, 1–200 characters (code points, as PostgreSQL counts).
    package static func name(_ text: String) throws -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.unicodeScalars.count) else { throw TenancyError.invalid("name must be 1–200 characters") }
        return name
    }

    /// An e-mail address, lower-cased; only its shape is checked.
    package static func email(_ text: String) throws -> String {
        let email = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.unicodeScalars.count <= 254, email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil else {
            throw TenancyError.invalid("\(String(reflecting: text)) is not an e-mail address")
        }
        return email
    }

    /// SIP passwords: long enough to survive online guessing, printable ASCII so any phone can take them.
    package static func sipPassword(_ text: String) throws {
        guard (8...128).contains(text.utf8.count), text.utf8.allSatisfy({ (33..<127).contains($0) }) else {
            throw TenancyError.invalid("the SIP password must have 8–128 printable ASCII characters")
        }
    }

    package static func isE164(_ text: String) -> Bool { matches(text, /\+[1-9][0-9]{5,14}/) }

    package static func isExtension(_ text: String) -> Bool { matches(text, /[0-9]{2,6}/) }

    /// The name of a group or schedule, as the tenant schema's CHECK has it.
    package static func isDialplanName(_ text: String) -> Bool { matches(text, /[a-z0-9][a-z0-9_-]{0,39}/) }

    package static func isDomain(_ text: String) -> Bool {
        text.utf8.count <= 253 && matches(text, /(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?/)
    }

    /// A time of day HH:MM; `endOfDay` also takes 24:00.
    package static func isTime(_ text: String, endOfDay: Bool = false) -> Bool {
        matches(text, /(?:[01][0-9]|2[0-3]):[0-5][0-9]/) || (endOfDay && text == "24:00")
    }

    /// Whole-text match of ASCII text only: Swift's regexes match grapheme clusters, so a combining
    /// mark can hide inside a matched character.
    static func matches<Output>(_ text: String, _ regex: Regex<Output>) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 } && text.wholeMatch(of: regex) != nil
    }

    /// A number of seconds, users, calls... within its documented range.
    package static func range(_ value: Int?, _ bounds: ClosedRange<Int>, field: String) throws {
        if let value, !bounds.contains(value) {
            throw TenancyError.invalid("\(field) must be \(bounds.lowerBound)–\(bounds.upperBound)")
        }
    }
}
