import Foundation
import Logging
import Postgres
import SIP

/// Digest authentication of a tenant's device (RFC 3261 §22, RFC 8760): REGISTER is challenged
/// with 401/WWW-Authenticate, requests that start calls with 407/Proxy-Authenticate. A source that
/// keeps failing is blocked for a while (`AuthFailureGuard`).
struct DeviceAuthenticator: Sendable {
    let db: PostgresClient
    let digest: DigestAuthenticator
    let failures: AuthFailureGuard
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
        let device: (id: UUID, ha1: String)?
        do {
            device = try await storedDevice(tenant: tenant, username: credentials.username, algorithm: credentials.algorithm)
        } catch {
            logger.error("credential lookup failed", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
            return .answer(request.response(503, "Directory unavailable", toTag: toTag))
        }
        let method = request.method ?? ""
        switch digest.check(authorization: credentials, method: method, realm: tenant.sipDomain, ha1: device?.ha1) {
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

    /// The device with this username and its HA1 for the algorithm the client chose.
    private func storedDevice(tenant: EdgeTenant, username: String, algorithm: String) async throws -> (id: UUID, ha1: String)? {
        let column = algorithm.uppercased() == "SHA-256" ? "ha1_sha256" : "ha1_md5"
        let rows = try await db.query("""
            SELECT id, \(unsafeSQL: column) AS ha1 FROM \(identifier: tenant.slug.schema).devices WHERE username = \(username)
            """)
        guard let row = rows.first else { return nil }
        return (try row.decode("id"), try row.decode("ha1"))
    }
}
