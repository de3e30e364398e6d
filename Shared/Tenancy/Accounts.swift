import Events
import Foundation
import Postgres

/// Who may log in to the console and API, and the user records behind them (shared by the CLI and
/// the API). Operators live in `platform.operators`; tenant admins and users are rows of their
/// tenant's `users` with an e-mail and a password hash.
extension Provisioning {
    // MARK: Operators

    /// Creates an operator account. - Throws: `.invalid`, `.conflict` when the e-mail is taken.
    package func createOperator(email rawEmail: String, password: String) async throws {
        let email = try Validation.email(rawEmail)
        let hash = try await PasswordHash.make(password)
        do {
            try await db.query("INSERT INTO platform.operators (email, password_hash) VALUES (\(email), \(hash))")
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenancyError.conflict("an operator \(email) already exists")
        }
    }

    /// The operator whose password this is, or nil. Costs one password hash whether or not the
    /// account exists, so the answer's timing does not tell.
    package func authenticateOperator(email rawEmail: String, password: String) async throws -> String? {
        let email = (try? Validation.email(rawEmail)) ?? ""
        let rows = try await db.query("SELECT email, password_hash FROM platform.operators WHERE email = \(email)")
        let stored: String = try rows.first?.decode("password_hash") ?? PasswordHash.unusable
        return await PasswordHash.verify(password, against: stored) && !rows.isEmpty ? email : nil
    }

    /// The tenant user whose e-mail and console password these are, or nil (same timing rule).
    /// Users of a tenant at contract end still log in: the export window is for them.
    package func authenticateUser(tenant rawSlug: String, email rawEmail: String, password: String) async throws -> User? {
        guard let slug = try? TenantSlug(rawSlug),
              try await db.query("SELECT 1 FROM platform.tenants WHERE slug = \(slug.value) AND status <> 'deleted'").count == 1
        else {
            _ = await PasswordHash.verify(password, against: PasswordHash.unusable)
            return nil
        }
        let email = (try? Validation.email(rawEmail)) ?? ""
        let rows = try await db.query("""
            SELECT \(unsafeSQL: Self.userColumns), password_hash FROM \(identifier: slug.schema).users WHERE lower(email) = \(email)
            """)
        let stored: String = try rows.first?.decode("password_hash", as: String?.self) ?? PasswordHash.unusable
        guard await PasswordHash.verify(password, against: stored), let row = rows.first else { return nil }
        return try Self.user(row)
    }

    // MARK: Users

    static let userColumns = "id, extension, name, email, mobile, role"

    static func user(_ row: PostgresRow) throws -> User {
        User(id: try row.decode("id"), extension_: try row.decode("extension"), name: try row.decode("name"),
             email: try row.decode("email"), mobile: try row.decode("mobile"), role: try row.decode("role"))
    }

    /// Users by extension, `limit` of them after the extension `after`.
    package func listUsers(tenant rawSlug: String, after: String?, limit: Int) async throws -> [User] {
        let slug = try TenantSlug(rawSlug)
        return try await db.query("""
            SELECT \(unsafeSQL: Self.userColumns) FROM \(identifier: slug.schema).users WHERE extension > \(after ?? "")
            ORDER BY extension LIMIT \(limit)
            """).map(Self.user)
    }

    /// - Throws: `.notFound`.
    package func user(tenant rawSlug: String, extension ext: String) async throws -> User {
        let slug = try TenantSlug(rawSlug)
        let rows = try await db.query("SELECT \(unsafeSQL: Self.userColumns) FROM \(identifier: slug.schema).users WHERE extension = \(ext)")
        guard let row = rows.first else { throw TenancyError.notFound("tenant \(slug) has no user \(ext)") }
        return try Self.user(row)
    }

    /// What an update changes; nil leaves a field as it is, `.some(nil)` clears an optional one.
    package struct UserChanges: Sendable {
        package var name: String?
        package var email: String??
        package var mobile: String??
        package var role: String?
        package var consolePassword: String?

        package init(name: String? = nil, email: String?? = nil, mobile: String?? = nil, role: String? = nil,
                     consolePassword: String? = nil) {
            self.name = name
            self.email = email
            self.mobile = mobile
            self.role = role
            self.consolePassword = consolePassword
        }
    }

    /// Changes a user's name, e-mail, mobile, role or console password. Publishes `config.changed`.
    package func updateUser(tenant rawSlug: String, extension ext: String, _ changes: UserChanges,
                            actor: String = "cli") async throws -> User {
        let slug = try TenantSlug(rawSlug)
        var user = try await user(tenant: rawSlug, extension: ext)
        if let name = changes.name { user.name = try Validation.name(name) }
        if let email = changes.email { user.email = try email.map(Validation.email) }
        if let mobile = changes.mobile {
            if let mobile, !Validation.isE164(mobile) { throw TenancyError.invalid("mobile must be an E.164 number like +37255512345") }
            user.mobile = mobile
        }
        if let role = changes.role {
            guard ["admin", "user"].contains(role) else { throw TenancyError.invalid("role must be admin or user") }
            user.role = role
        }
        var hash: String?
        if let password = changes.consolePassword { hash = try await PasswordHash.make(password) }
        if hash != nil, user.email == nil { throw TenancyError.invalid("a console password needs an e-mail to log in with") }
        do {
            try await db.withTransaction { connection in
                try await connection.query("""
                    UPDATE \(identifier: slug.schema).users SET name = \(user.name), email = \(user.email), mobile = \(user.mobile),
                        role = \(user.role), password_hash = COALESCE(\(hash), password_hash), updated_at = now()
                    WHERE extension = \(ext)
                    """)
                try await audit(connection, slug, actor: actor, action: "user.update", subject: ext)
                try await outbox.configChanged(slug, entity: "user", key: ext, action: "updated", on: connection)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenancyError.conflict("another user of tenant \(slug) has the e-mail \(user.email ?? "")")
        }
        outbox.committed()
        return user
    }

    /// Deletes a user with their devices, bindings and forwarding; numbers routed to them go nowhere
    /// until routed again. Publishes `config.changed`.
    package func deleteUser(tenant rawSlug: String, extension ext: String, actor: String = "cli") async throws {
        let slug = try TenantSlug(rawSlug)
        let deleted = try await db.withTransaction { connection in
            let rows = try await connection.query("DELETE FROM \(identifier: slug.schema).users WHERE extension = \(ext) RETURNING id")
            if !rows.isEmpty {
                try await connection.query("""
                    UPDATE \(identifier: slug.schema).numbers SET destination_kind = 'none', destination_ref = NULL
                    WHERE destination_kind = 'user' AND destination_ref = \(ext)
                    """)
                try await connection.query("DELETE FROM \(identifier: slug.schema).group_members WHERE member = \(ext)")
                try await audit(connection, slug, actor: actor, action: "user.delete", subject: ext)
                try await outbox.configChanged(slug, entity: "user", key: ext, action: "deleted", on: connection)
            }
            return !rows.isEmpty
        }
        guard deleted else { throw TenancyError.notFound("tenant \(slug) has no user \(ext)") }
        outbox.committed()
    }

    /// Sets a new SIP password for the user's device (generated when nil) and returns it: the only
    /// time it is shown. Registered phones keep working until their next REGISTER. Publishes `config.changed`.
    package func resetSIPPassword(tenant rawSlug: String, extension ext: String, password: String? = nil,
                                  actor: String = "cli") async throws -> String {
        let tenant = try await tenant(rawSlug)
        let slug = try TenantSlug(tenant.slug)
        let secret = password ?? Secrets.sipPassword()
        try Validation.sipPassword(secret)
        let ha1 = DigestCredentials.ha1(username: ext, realm: tenant.sipDomain, password: secret)
        let updated = try await db.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE \(identifier: slug.schema).devices SET ha1_md5 = \(ha1.md5), ha1_sha256 = \(ha1.sha256), realm = \(tenant.sipDomain)
                WHERE username = \(ext) RETURNING id
                """)
            if !rows.isEmpty {
                try await audit(connection, slug, actor: actor, action: "device.reset-password", subject: ext)
                try await outbox.configChanged(slug, entity: "device", key: ext, action: "updated", on: connection)
            }
            return !rows.isEmpty
        }
        guard updated else { throw TenancyError.notFound("tenant \(slug) has no user \(ext)") }
        outbox.committed()
        return secret
    }

    /// The user's SIP device and where it is registered now.
    package func device(tenant rawSlug: String, extension ext: String) async throws -> Device {
        let tenant = try await tenant(rawSlug)
        let slug = try TenantSlug(tenant.slug)
        let rows = try await db.query("""
            SELECT d.username, d.realm, r.contact, r.transport, r.user_agent, r.expires_at
            FROM \(identifier: slug.schema).devices d
            LEFT JOIN \(identifier: slug.schema).registrations r ON r.device_id = d.id AND r.expires_at > now()
            WHERE d.username = \(ext) ORDER BY r.expires_at
            """)
        guard let first = rows.first else { throw TenancyError.notFound("tenant \(slug) has no user \(ext)") }
        let bindings = try rows.compactMap { row -> Device.Binding? in
            guard let contact: String = try row.decode("contact") else { return nil }
            return Device.Binding(contact: contact, transport: try row.decode("transport"), userAgent: try row.decode("user_agent"),
                                  expiresAt: try row.decode("expires_at"))
        }
        return Device(username: try first.decode("username"), domain: try first.decode("realm"), registrations: bindings)
    }
}

/// A user's SIP device: what a phone is configured with (the password is never stored readable)
/// and its live registrations.
package struct Device: Sendable, Codable, Equatable {
    package struct Binding: Sendable, Codable, Equatable {
        package var contact: String
        package var transport: String
        package var userAgent: String?
        package var expiresAt: Date
    }
    package var username: String
    package var domain: String
    package var registrations: [Binding]
}
