import Events
import Foundation
import NIOConcurrencyHelpers
import Postgres
import Runtime
import Tenancy

/// A tenant as the edge needs it: found by SIP domain.
struct EdgeTenant: Sendable {
    let slug: TenantSlug
    let sipDomain: String
    let status: TenantStatus

    var inService: Bool { status.inService }
}

/// SIP domain → tenant, cached per domain; `config.changes`/`tenant.lifecycle` drop the cache
/// through the runtime's TenantCache (keyed by slug, so the domain map is reloaded as a whole).
/// Every REGISTER and call asks it, so a lookup in fresh maps takes a lock, not an actor hop.
final class TenantDirectory: Sendable {
    private struct Maps {
        var byDomain: [String: EdgeTenant] = [:]
        var byNumber: [String: EdgeTenant] = [:]
        var loadedAt: ContinuousClock.Instant?

        /// The maps are reloaded after a control event dropped them, and every 30 s in any case.
        func isFresh(now: ContinuousClock.Instant) -> Bool { loadedAt.map { now - $0 < .seconds(30) } ?? false }

        /// An unknown domain or number may be a tenant whose event has not arrived yet (the outbox
        /// sends it once the broker takes it): look again, at most once a second, so that a flood of
        /// unknown domains costs one query a second and not one each.
        func mayReloadAfterMiss(now: ContinuousClock.Instant) -> Bool { loadedAt.map { now - $0 >= .seconds(1) } ?? true }
    }

    private let db: PostgresClient
    private let maps = NIOLockedValueBox(Maps())

    init(db: PostgresClient) { self.db = db }

    func tenant(domain: String) async throws -> EdgeTenant? {
        try await lookup { $0.byDomain[domain.lowercased()] }
    }

    /// The tenant a DID (E.164) is assigned to.
    func tenant(number: String) async throws -> EdgeTenant? {
        try await lookup { $0.byNumber[number] }
    }

    func invalidate() { maps.withLockedValue { $0.loadedAt = nil } }

    private func lookup(_ find: @Sendable (Maps) -> EdgeTenant?) async throws -> EdgeTenant? {
        let now = ContinuousClock.now
        let (fresh, found, retry) = maps.withLockedValue { ($0.isFresh(now: now), find($0), $0.mayReloadAfterMiss(now: now)) }
        if fresh, let found { return found }
        if fresh, !retry { return nil }
        try await reload()
        return maps.withLockedValue { find($0) }
    }

    private func reload() async throws {
        let rows = try await db.query("SELECT slug, sip_domain, status FROM platform.tenants WHERE status IN ('active', 'suspended', 'terminating')")
        var map: [String: EdgeTenant] = [:]
        for row in rows {
            let slug = try TenantSlug(try row.decode("slug", as: String.self))
            let domain: String = try row.decode("sip_domain")
            map[domain] = EdgeTenant(slug: slug, sipDomain: domain, status: try row.decode("status"))
        }
        let bySlug = Dictionary(map.values.map { ($0.slug.value, $0) }, uniquingKeysWith: { first, _ in first })
        var numbers: [String: EdgeTenant] = [:]
        for row in try await db.query("SELECT e164, tenant FROM platform.numbers") {
            if let tenant = bySlug[try row.decode("tenant", as: String.self)] { numbers[try row.decode("e164")] = tenant }
        }
        let loaded = Maps(byDomain: map, byNumber: numbers, loadedAt: .now)
        maps.withLockedValue { $0 = loaded }
    }
}
