import Logging
import NIOPosix

/// Settings of a `PostgresClient`.
package struct PostgresConfiguration: Sendable {
    /// A libpq connection string or URI; multi-host with `target_session_attrs=read-write` for HA.
    package var conninfo: String
    package var maxConnections: Int = 8

    package init(conninfo: String, maxConnections: Int = 8) {
        self.conninfo = conninfo
        self.maxConnections = maxConnections
    }
}

/// A pool of libpq connections. Connections are leased only inside `withConnection` and
/// `withTransaction`; blocking libpq calls run on the client's own thread pool.
///
/// After a server restart, idle connections are dead: a lease whose first statement fails for that
/// reason is retried once on a fresh connection, so callers see no error for it.
package final class PostgresClient: Sendable {
    private let configuration: PostgresConfiguration
    private let pool: ConnectionPool
    private let threadPool: NIOThreadPool
    private let logger: Logger

    package init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.maxConnections))
        threadPool.start()
        self.threadPool = threadPool
        self.pool = ConnectionPool(maxConnections: configuration.maxConnections) {
            try await PostgresConnection.connect(conninfo: configuration.conninfo, threadPool: threadPool)
        }
    }

    /// Leases a connection for `body`. Connection failures before any statement succeeded are
    /// retried once on a new connection.
    package func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await pool.lease()
            connection.statementsInLease = 0
            do {
                let value = try await body(connection)
                await pool.release(connection)
                return value
            } catch let error as PostgresError where error.kind == .connection {
                let retry = attempt == 1 && connection.statementsInLease == 0
                connection.close()
                await pool.release(connection)
                if !retry { throw error }
                logger.info("postgres connection lost; retrying on a new connection", metadata: ["error": "\(error)"])
            } catch {
                await pool.release(connection)
                throw error
            }
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    package func withTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { try await $0.transaction(body) }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    package func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withConnection { try await $0.query(query) }
    }

    /// Whether the server answers (`SELECT 1`).
    package func ping() async -> Bool {
        (try? await query("SELECT 1")) != nil
    }

    /// Closes every connection and stops the thread pool.
    package func shutdown() async {
        await pool.closeAll()
        try? await threadPool.shutdownGracefully()
    }
}

/// Hands out at most `maxConnections` connections; tasks beyond that wait in order.
actor ConnectionPool {
    private let maxConnections: Int
    private let connect: @Sendable () async throws -> PostgresConnection
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    init(maxConnections: Int, connect: @escaping @Sendable () async throws -> PostgresConnection) {
        self.maxConnections = max(1, maxConnections)
        self.connect = connect
    }

    func lease() async throws -> PostgresConnection {
        while true {
            if closed { throw PostgresError(.shutdown, "the client was shut down") }
            while let connection = idle.popLast() {
                if connection.isHealthy { return connection }
                connection.close()
                open -= 1
            }
            if open < maxConnections {
                open += 1
                do {
                    return try await connect()
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    func release(_ connection: PostgresConnection) {
        if connection.isHealthy && !closed {
            idle.append(connection)
        } else {
            connection.close()
            open -= 1
        }
        wakeOne()
    }

    func closeAll() {
        closed = true
        idle.forEach { $0.close() }
        open -= idle.count
        idle.removeAll()
        let all = waiters
        waiters.removeAll()
        all.forEach { $0.resume() }
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}

extension PostgresConnection {
    /// Runs `body` in a transaction on this connection: committed when it returns, rolled back when it throws.
    package func transaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN")
        do {
            let value = try await body(self)
            try await query("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? await query("ROLLBACK") }
            throw error
        }
    }
}

/// What both a pooled client and one connection (inside a transaction) answer: code that only
/// reads can take either.
package protocol PostgresQuerying {
    func query(_ query: PostgresQuery) async throws -> [PostgresRow]
}

extension PostgresClient: PostgresQuerying {}
extension PostgresConnection: PostgresQuerying {}
