import Events
import Foundation
import Logging
import Messaging
import Metrics
import Postgres
import ServiceLifecycle
import Tenancy

/// Removes registration bindings whose expiry passed without a refresh, in every tenant, and
/// publishes each removal on `sip.registrations` (expires 0). `DELETE … RETURNING` makes each
/// removal happen once even when several edge instances sweep at the same time.
struct BindingSweeper: Service {
    let db: PostgresClient
    let publisher: EventPublisher
    let logger: Logger
    var interval: Duration = .seconds(30)

    func run() async throws {
        // Shutdown cancels the wait between passes, so the service stops at once.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await sweepOnce()
                    if removed > 0 { logger.info("expired registrations removed", metadata: ["count": "\(removed)"]) }
                } catch {
                    logger.warning("registration sweep failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One pass over every tenant; returns how many bindings were removed.
    func sweepOnce() async throws -> Int {
        let slugs = try await db.query("SELECT slug FROM platform.tenants WHERE status <> 'deleted'")
            .map { try TenantSlug(try $0.decode("slug", as: String.self)) }
        var removed = 0
        // Shutdown cancels this task: stop between tenants rather than after the last.
        for slug in slugs where !Task.isCancelled {
            let rows = try await db.query("""
                DELETE FROM \(identifier: slug.schema).registrations WHERE expires_at <= now()
                RETURNING aor, contact, user_agent, source, edge
                """)
            for row in rows {
                let aor: String = try row.decode("aor")
                let change = RegistrationChanged(aor: aor, contact: try row.decode("contact"), expires: 0,
                                                 userAgent: try row.decode("user_agent"), source: try row.decode("source"),
                                                 edge: try row.decode("edge"))
                try? await publisher.publish(Envelope(tenant: slug.value, data: change), key: "\(slug.value)/\(aor)")
            }
            removed += rows.count
        }
        SIPMetrics.expired.increment(by: removed)
        return removed
    }
}
