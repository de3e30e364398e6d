import Events
import Foundation
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
actor TenantDirectory {
    private let db: PostgresClient
    private var byDomain: [String: EdgeTenant] = [:]
    private var byNumber: [String: EdgeTenant] = [:]
    private var loadedAt: ContinuousClock.Instant?

    init(db: PostgresClient) { self.db = db }

    func tenant(domain: String) async throws -> EdgeTenant? {
        try await reloadIfStale()
        if let tenant = byDomain[domain.lowercased()] { return tenant }
        try await reloadAfterMiss()
        return byDomain[domain.lowercased()]
    }

    /// The tenant a DID (E.164) is assigned to.
    func tenant(number: String) async throws -> EdgeTenant? {
        try await reloadIfStale()
        if let tenant = byNumber[number] { return tenant }
        try await reloadAfterMiss()
        return byNumber[number]
    }

    func invalidate() { loadedAt = nil }

    /// The maps are reloaded after a control event dropped them, and every 30 s in any case.
    private func reloadIfStale() async throws {
        guard let loadedAt, ContinuousClock.now - loadedAt < .seconds(30) else { return try await reload() }
    }

    /// An unknown domain or number may be a tenant whose event has not arrived yet (the outbox sends
    /// it once the broker takes it): look again, at most once a second, so that a flood of unknown
    /// domains costs one query a second and not one each.
    private func reloadAfterMiss() async throws {
        guard let loadedAt, ContinuousClock.now - loadedAt >= .seconds(1) else { return }
        try await reload()
    }

    private func reload() async throws {
        let rows = try await db.query("SELECT slug, sip_domain, status FROM platform.tenants WHERE status IN ('active', 'suspended', 'terminating')")
        var map: [String: EdgeTenant] = [:]
        for row in rows {
            let slug = try TenantSlug(try row.decode("slug", as: String.self))
            let domain: String = try row.decode("sip_domain")
            map[domain] = EdgeTenant(slug: slug, sipDomain: domain, status: try row.decode("status"))
        }
        byDomain = map
        let bySlug = Dictionary(map.values.map { ($0.slug.value, $0) }, uniquingKeysWith: { first, _ in first })
        var numbers: [String: EdgeTenant] = [:]
        for row in try await db.query("SELECT e164, tenant FROM platform.numbers") {
            if let tenant = bySlug[try row.decode("tenant", as: String.self)] { numbers[try row.decode("e164")] = tenant }
        }
        byNumber = numbers
        loadedAt = .now
    }
}
