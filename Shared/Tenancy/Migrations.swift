import Logging
import Postgres

/// One versioned step of a schema. Tenant steps write `{schema}` where the tenant's schema goes.
package struct Migration: Sendable {
    package let version: Int
    package let name: String
    package let sql: String
}

/// Applies the platform migrations and the tenant migrations to every tenant schema. Serialised
/// across processes by an advisory lock; each step runs in its own transaction together with its
/// row in the schema's `schema_migrations`, so a run repeated or interrupted is safe.
package struct Migrator: Sendable {
    /// pg_advisory_lock key: "SWBD" in ASCII.
    package static let lockKey = 0x5357_4244
    let db: PostgresClient
    let logger: Logger

    package init(db: PostgresClient, logger: Logger) {
        self.db = db
        self.logger = logger
    }

    package struct Report: Sendable, Equatable {
        package var platformApplied: [Int] = []
        /// Tenant slug → versions applied now.
        package var tenantsApplied: [String: [Int]] = [:]
        package var appliedCount: Int { platformApplied.count + tenantsApplied.values.map(\.count).reduce(0, +) }
    }

    /// Brings the platform schema and every tenant schema up to date.
    package func migrateAll() async throws -> Report {
        try await db.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            do {
                let report = try await migrateLocked(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                return report
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                throw error
            }
        }
    }

    private func migrateLocked(on connection: PostgresConnection) async throws -> Report {
            var report = Report()
            report.platformApplied = try await apply(PlatformSchema.migrations, schema: try SQLIdentifier("platform"),
                                                     on: connection)
            let slugs = try await connection.query("SELECT slug FROM platform.tenants WHERE status <> 'deleted' ORDER BY slug")
                .map { try TenantSlug(try $0.decode("slug", as: String.self)) }
            for slug in slugs {
                let applied = try await apply(TenantSchema.migrations, schema: slug.schema, on: connection)
                if !applied.isEmpty { report.tenantsApplied[slug.value] = applied }
            }
            return report
    }

    /// Applies the pending steps of `migrations` to `schema` on `connection` (which holds the lock
    /// or is inside the transaction creating a tenant).
    func apply(_ migrations: [Migration], schema: SQLIdentifier, on connection: PostgresConnection,
               inTransaction: Bool = false) async throws -> [Int] {
        try await connection.query("CREATE SCHEMA IF NOT EXISTS \(identifier: schema)")
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS \(identifier: schema).schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let done = Set(try await connection.query("SELECT version FROM \(identifier: schema).schema_migrations")
            .map { try $0.decode("version", as: Int.self) })
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
            let sql = migration.sql.replacingOccurrences(of: "{schema}", with: schema.quoted)
            let step: (PostgresConnection) async throws -> Void = { connection in
                try await connection.execute(script: sql)
                try await connection.query("""
                    INSERT INTO \(identifier: schema).schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))
                    """)
            }
            if inTransaction {
                try await step(connection)
            } else {
                try await connection.transaction { try await step($0) }
            }
            logger.info("migration applied", metadata: ["schema": "\(schema)", "version": "\(migration.version)",
                                                        "name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }
}
