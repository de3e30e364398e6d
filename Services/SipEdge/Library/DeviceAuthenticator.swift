import Foundation
import Logging
import NIOConcurrencyHelpers
import Postgres
import SIP

/// HA1 hashes of devices that authenticated lately, so a registration refresh or a call costs no
/// credential query. Dropped for a tenant when its configuration changes (`config.changes`) and
/// after a minute in any case; unknown usernames are never cached; a failed check re-reads.
final class CredentialCache: Sendable {
    private let entries = NIOLockedValueBox([String: (id: UUID, ha1: String, at: ContinuousClock.Instant)]())
    let lifetime: Duration = .seconds(60)

    func get(_ key: String) -> (id: UUID, ha1: String)? {
        entries.withLockedValue { entries in
            guard let entry = entries[key], ContinuousClock.now - entry.at < lifetime else { return nil }
            return (entry.id, entry.ha1)
        }
    }

    func set(_ key: String, id: UUID, ha1: String) {
        entries.withLockedValue { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = (id, ha1, .now)
        }
    }

    func invalidate(tenant: String) {
        entries.withLockedValue { entries in entries = entries.filter { !$0.key.hasPrefix(tenant + "|") } }
    }
}

/// Digest authentication of a tenant's device (RFC 3261 §22, RFC 8760): REGISTER is challenged
/// with 401/WWW-Authenticate, requests that start calls with 407/Proxy-Authenticate. A source that
/// keeps failing is blocked for a while (`AuthFailureGuard`).
struct DeviceAuthenticator: Sendable {
    let db: PostgresClient
    let digest: DigestAuthenticator
    let failures: AuthFailureGuard
    var cache = CredentialCache()
    let logger: Logger

    enum Outcome {
        case authenticated(deviceID: UUID, username: String)
        /// The response to send instead: a challenge or a refusal.
        case answer(SIPMessage)
    }

    func authenticate(_ request: SIPMessage, tenant: EdgeTenant, source: SIPSource, toTag: String, proxy: Bool) async -> Outcome {
        if failures.isBlocked(source.host) {
            SIPMetrics.authBlocked.increment()
            return .answer(request.response(403, "Too many failed attempts", toTag: toTag))
        }
        guard let credentials = request[proxy ? "Proxy-Authorization" : "Authorization"].flatMap(DigestCredentials.init) else {
            return .answer(challenge(request, realm: tenant.sipDomain, stale: false, toTag: toTag, proxy: proxy))
        }
        var device: (id: UUID, ha1: String)?
        let method = request.method ?? ""
        var outcome: DigestAuthenticator.Outcome
        do {
            device = try await storedDevice(tenant: tenant, username: credentials.username, algorithm: credentials.algorithm, cached: true)
            outcome = digest.check(authorization: credentials, method: method, realm: tenant.sipDomain, ha1: device?.ha1)
            // A cached HA1 that does not match may be an old password: check once more against the
            // stored one, so a changed password works at once even if its config.changes was missed.
            if case .invalid = outcome, device != nil {
                device = try await storedDevice(tenant: tenant, username: credentials.username, algorithm: credentials.algorithm, cached: false)
                outcome = digest.check(authorization: credentials, method: method, realm: tenant.sipDomain, ha1: device?.ha1)
            }
        } catch {
            logger.error("credential lookup failed", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
            return .answer(request.response(503, "Directory unavailable", toTag: toTag))
        }
        switch outcome {
        case .stale:
            return .answer(challenge(request, realm: tenant.sipDomain, stale: true, toTag: toTag, proxy: proxy))
        case .invalid(let reason):
            SIPMetrics.authFailures.increment()
            failures.recordFailure(source.host)
            logger.notice("authentication refused", metadata: ["tenant": "\(tenant.slug)", "user": "\(credentials.username)",
                                                              "method": "\(method)", "source": "\(source)", "reason": "\(reason)"])
            return .answer(request.response(403, "Forbidden", toTag: toTag))
        case .valid(let username):
            failures.recordSuccess(source.host)
            guard let device else { return .answer(request.response(403, "Forbidden", toTag: toTag)) }
            return .authenticated(deviceID: device.id, username: username)
        }
    }

    private func challenge(_ request: SIPMessage, realm: String, stale: Bool, toTag: String, proxy: Bool) -> SIPMessage {
        var response = request.response(proxy ? 407 : 401, toTag: toTag)
        for value in digest.challenges(realm: realm, stale: stale) {
            response.add(proxy ? "Proxy-Authenticate" : "WWW-Authenticate", value)
        }
        return response
    }

    /// The user a device belongs to: the identity it calls with and the box it shows message waiting for.
    /// - Throws: a 403 refusal when the device has no user, or the database's error.
    func user(of deviceID: UUID, tenant: EdgeTenant) async throws -> (extension: String, name: String) {
        let rows = try await db.query("""
            SELECT u.extension, u.name FROM \(identifier: tenant.slug.schema).devices d
            JOIN \(identifier: tenant.slug.schema).users u ON u.id = d.user_id WHERE d.id = \(deviceID)
            """)
        guard let row = rows.first else { throw SIPParseError(403, "device has no user") }
        return (try row.decode("extension"), try row.decode("name"))
    }

    /// The device with this username and its HA1 for the algorithm the client chose.
    private func storedDevice(tenant: EdgeTenant, username: String, algorithm: String, cached: Bool) async throws -> (id: UUID, ha1: String)? {
        let column = algorithm.uppercased() == "SHA-256" ? "ha1_sha256" : "ha1_md5"
        let key = "\(tenant.slug.value)|\(username)|\(column)"
        if cached, let entry = cache.get(key) { return entry }
        let rows = try await db.query("""
            SELECT id, \(unsafeSQL: column) AS ha1 FROM \(identifier: tenant.slug.schema).devices WHERE username = \(username)
            """)
        guard let row = rows.first else { return nil }
        let device: (id: UUID, ha1: String) = (try row.decode("id"), try row.decode("ha1"))
        cache.set(key, id: device.id, ha1: device.ha1)
        return device
    }
}
