import Events
import Messaging
import Postgres

extension Outbox {
    /// The `config.changes` event of a change made in the transaction on `connection`: it follows
    /// the change, or neither happens (DESIGN §4). Call `committed()` after the transaction.
    package func configChanged(_ slug: TenantSlug, entity: String, key: String, action: String,
                               on connection: PostgresConnection) async throws {
        try await add(Envelope(tenant: slug.value, data: ConfigChanged(entity: entity, key: key, action: action)), on: connection)
    }
}
