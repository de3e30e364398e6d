import NIOConcurrencyHelpers

/// Per-tenant cached configuration. Services put what they read from a tenant schema here and the
/// control-plane listener drops a tenant's entries when `config.changes` or `tenant.lifecycle`
/// says they changed, so a change takes effect within one round trip of the broker.
package final class TenantCache: Sendable {
    private let entries = NIOLockedValueBox([String: [String: any Sendable]]())

    package init() {}

    /// The cached value for `key` of `tenant`, or the one `load` returns (then cached).
    package func value<T: Sendable>(tenant: String, key: String, load: () async throws -> T) async rethrows -> T {
        if let cached = entries.withLockedValue({ $0[tenant]?[key] }) as? T { return cached }
        let value = try await load()
        entries.withLockedValue { $0[tenant, default: [:]][key] = value }
        return value
    }

    /// Drops everything cached for `tenant`.
    package func invalidate(tenant: String) {
        entries.withLockedValue { _ = $0.removeValue(forKey: tenant) }
    }

    package var tenantCount: Int { entries.withLockedValue { $0.count } }
}
