import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import Postgres
import Tenancy

/// Who is calling, from their bearer token.
struct Principal: Sendable {
    enum Role: String, Codable, Sendable {
        /// Runs the platform: every tenant.
        case `operator`
        /// Manages one tenant.
        case admin
        /// An employee: their own settings.
        case user
    }

    let tokenID: UUID
    let role: Role
    /// The tenant of an admin or user; nil for an operator.
    let tenant: String?
    /// An operator's e-mail, or a user's extension.
    let subject: String

    /// How the audit log names this caller.
    var actor: String { tenant.map { "\(role.rawValue):\(subject)@\($0)" } ?? "\(role.rawValue):\(subject)" }

    /// Only operators. Others learn nothing about what exists: 403.
    func requireOperator() throws {
        guard role == .operator else { throw APIError.forbidden("only an operator may do this") }
    }

    /// Only operators, on a tenant's things: its admins and users get 403, other tenants' 404.
    func requireOperator(of tenant: String) throws {
        try requireMember(of: tenant)
        try requireOperator()
    }

    /// Operators, and admins and users of this tenant; anyone else gets 404, as if it did not exist.
    func requireMember(of tenant: String) throws {
        guard role == .operator || self.tenant == tenant else { throw APIError.notFound("no tenant \(tenant)") }
    }

    /// Operators and this tenant's admins (a user of the tenant: 403).
    func requireAdmin(of tenant: String) throws {
        try requireMember(of: tenant)
        guard role != .user else { throw APIError.forbidden("only a tenant admin may do this") }
    }

    /// Operators, this tenant's admins, and the user `ext` themself.
    func requireAdminOrSelf(of tenant: String, extension ext: String) throws {
        try requireMember(of: tenant)
        guard role != .user || subject == ext else { throw APIError.forbidden("users may only change their own settings") }
    }
}

/// Bearer tokens: 32 random bytes, stored only as a SHA-256 digest with the role, tenant, subject
/// and expiry; revocable.
struct Authenticator: Sendable {
    let db: PostgresClient
    let lifetime: Duration

    struct IssuedToken: Encodable {
        let token: String
        let expiresAt: Date
        let role: Principal.Role
        let tenant: String?
        let subject: String
    }

    func issue(role: Principal.Role, tenant: String?, subject: String) async throws -> IssuedToken {
        let token = Secrets.token()
        let expires = Date.now.addingTimeInterval(TimeInterval(lifetime.components.seconds))
        try await db.query("""
            INSERT INTO platform.api_tokens (token_hash, role, tenant, subject, expires_at)
            VALUES (\(Secrets.digest(token)), \(role.rawValue), \(tenant), \(subject), \(expires))
            """)
        return IssuedToken(token: token, expiresAt: expires, role: role, tenant: tenant, subject: subject)
    }

    /// The caller of `request`. - Throws: 401 without a valid, unexpired, unrevoked token.
    func principal(_ request: Request) async throws -> Principal {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthenticated("send Authorization: Bearer <token> (POST /v1/auth/token gives one)")
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard (20...100).contains(token.count) else { throw APIError.unauthenticated("the token is not valid") }
        let rows = try await db.query("""
            SELECT k.id, k.role, k.tenant, k.subject FROM platform.api_tokens k
            LEFT JOIN platform.tenants t ON t.slug = k.tenant
            WHERE k.token_hash = \(Secrets.digest(token)) AND k.revoked_at IS NULL AND k.expires_at > now()
              AND (k.tenant IS NULL OR t.status IN ('active', 'suspended', 'terminating', 'terminated'))
            """)
        guard let row = rows.first, let role = Principal.Role(rawValue: try row.decode("role")) else {
            throw APIError.unauthenticated("the token is not valid, has expired or was revoked")
        }
        return Principal(tokenID: try row.decode("id"), role: role, tenant: try row.decode("tenant"), subject: try row.decode("subject"))
    }

    /// The caller of the token `id` while it is still valid (unexpired, unrevoked): whom a signed
    /// link was made for, so that the link dies with the token.
    func principal(tokenID id: UUID) async throws -> Principal? {
        let rows = try await db.query("""
            SELECT k.id, k.role, k.tenant, k.subject FROM platform.api_tokens k
            LEFT JOIN platform.tenants t ON t.slug = k.tenant
            WHERE k.id = \(id) AND k.revoked_at IS NULL AND k.expires_at > now()
              AND (k.tenant IS NULL OR t.status IN ('active', 'suspended', 'terminating', 'terminated'))
            """)
        guard let row = rows.first, let role = Principal.Role(rawValue: try row.decode("role")) else { return nil }
        return Principal(tokenID: try row.decode("id"), role: role, tenant: try row.decode("tenant"), subject: try row.decode("subject"))
    }

    func revoke(_ principal: Principal) async throws {
        try await db.query("UPDATE platform.api_tokens SET revoked_at = now() WHERE id = \(principal.tokenID) AND revoked_at IS NULL")
    }

    /// Ends every token of a tenant user (on deletion or a password change).
    func revokeAll(tenant: String, subject: String) async throws {
        try await db.query("""
            UPDATE platform.api_tokens SET revoked_at = now() WHERE tenant = \(tenant) AND subject = \(subject) AND revoked_at IS NULL
            """)
    }
}

/// Slows down password guessing: after `perEmail` failed logins for one e-mail, or `perSource`
/// from one client address, within `window`, further logins of that e-mail or from that address
/// are refused (429) without hashing anything, until the window has passed. Keyed by address as
/// well, so that guesses spread over random e-mails are stopped too. In memory per process: a
/// guesser spread over instances gets the limits per instance, each try costing a PBKDF2 hash.
final class LoginThrottle: Sendable {
    let perEmail: FailureWindow
    let perSource: FailureWindow

    init(perEmail: Int = 10, perSource: Int = 30, window: Duration = .seconds(300)) {
        self.perEmail = FailureWindow(limit: perEmail, window: window)
        self.perSource = FailureWindow(limit: perSource, window: window)
    }

    /// - Throws: 429 while the e-mail or the address is locked out.
    func check(email: String, source: String) throws {
        if let wait = perSource.lockedFor(source) {
            throw APIError(status: .tooManyRequests, code: "too_many_attempts",
                           message: "too many failed logins from this address; try again in a few minutes",
                           retryAfterSeconds: Int(wait.components.seconds) + 1)
        }
        if let wait = perEmail.lockedFor(email.lowercased()) {
            throw APIError(status: .tooManyRequests, code: "too_many_attempts",
                           message: "too many failed logins for this e-mail; try again in a few minutes",
                           retryAfterSeconds: Int(wait.components.seconds) + 1)
        }
    }

    func failed(email: String, source: String) {
        perEmail.record(email.lowercased())
        perSource.record(source)
    }

    /// A good password clears its e-mail's count; the address keeps its own, so one known account
    /// does not reset a guesser's budget.
    func succeeded(email: String) {
        perEmail.clear(email.lowercased())
    }
}

/// Failures counted per key within a window from the first one.
final class FailureWindow: Sendable {
    private let failures = NIOLockedValueBox([String: (count: Int, since: ContinuousClock.Instant)]())
    let limit: Int
    let window: Duration

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// How long `key` stays locked, or nil when it may try.
    func lockedFor(_ key: String) -> Duration? {
        failures.withLockedValue { failures -> Duration? in
            guard let entry = failures[key] else { return nil }
            let elapsed = ContinuousClock.now - entry.since
            if elapsed > window {
                failures[key] = nil
                return nil
            }
            return entry.count >= limit ? window - elapsed : nil
        }
    }

    func record(_ key: String) {
        failures.withLockedValue { failures in
            if failures.count > 100_000 { failures = failures.filter { ContinuousClock.now - $0.value.since <= window } }
            if failures.count > 100_000 { failures.removeAll() }
            let entry = failures[key] ?? (0, .now)
            failures[key] = (entry.count + 1, entry.since)
        }
    }

    func clear(_ key: String) {
        _ = failures.withLockedValue { $0.removeValue(forKey: key) }
    }
}
