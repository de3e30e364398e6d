import Foundation
import CLibPQ
import NIOPosix

/// One libpq connection. It is leased to one task at a time by `PostgresClient`, so it is never
/// used concurrently; every blocking libpq call runs on the client's thread pool.
package final class PostgresConnection: @unchecked Sendable {
    // Invariant: `conn` is a live PGconn from PQconnectdb until close(); only the task holding the
    // lease calls into it.
    private var conn: OpaquePointer?
    private let threadPool: NIOThreadPool
    /// Statements that completed on this connection during the current lease (see PostgresClient).
    var statementsInLease = 0

    private init(conn: OpaquePointer, threadPool: NIOThreadPool) {
        self.conn = conn
        self.threadPool = threadPool
    }

    /// Connects (blocking, on the thread pool) and sets the session to UTC and ISO dates.
    static func connect(conninfo: String, threadPool: NIOThreadPool) async throws -> PostgresConnection {
        let box = try await threadPool.runIfActive { () throws -> UnsafeConn in
            guard let conn = PQconnectdb(conninfo) else {
                throw PostgresError(.connection, "PQconnectdb returned no connection (out of memory)")
            }
            guard PQstatus(conn) == CONNECTION_OK else {
                let message = trimmed(PQerrorMessage(conn))
                PQfinish(conn)
                throw PostgresError(.connection, message)
            }
            // Server notices ("already exists, skipping") are not errors; keep them off stderr.
            PQsetNoticeProcessor(conn, { _, _ in }, nil)
            return UnsafeConn(conn: conn)
        }
        let connection = PostgresConnection(conn: box.conn, threadPool: threadPool)
        _ = try await connection.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'")
        connection.statementsInLease = 0
        return connection
    }

    /// Whether libpq still considers the connection usable.
    var isHealthy: Bool {
        guard let conn else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// Runs one statement with its parameters bound (text format) and returns every row.
    /// - Throws: `PostgresError` `.server` with the SQLSTATE, or `.connection` when the connection broke.
    @discardableResult
    package func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        guard let conn else { throw PostgresError(.connection, "connection is closed") }
        let box = UnsafeConn(conn: conn)
        let rows = try await threadPool.runIfActive { try Self.execute(box.conn, query) }
        statementsInLease += 1
        return rows
    }

    /// Runs a script of several statements without parameters (migrations).
    package func execute(script: String) async throws {
        try await query(PostgresQuery(unsafeSQL: script))
    }

    func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    deinit { close() }

    private static func execute(_ conn: OpaquePointer, _ query: PostgresQuery) throws -> [PostgresRow] {
        // Parameters travel as C strings: a NUL would silently cut the value short.
        if query.binds.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(.server, "a text value contains a NUL character, which PostgreSQL cannot store", sqlState: "22021")
        }
        let result: OpaquePointer? =
            if query.binds.isEmpty {
                // PQexec allows several statements in one string (scripts, migrations).
                PQexec(conn, query.sql)
            } else {
                withCStrings(query.binds) { values in
                    PQexecParams(conn, query.sql, Int32(values.count), nil, values, nil, nil, 0)
                }
            }
        guard let result else {
            throw PostgresError(.connection, trimmed(PQerrorMessage(conn)))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return rows(of: result)
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            return []
        case PGRES_BAD_RESPONSE, PGRES_NONFATAL_ERROR, PGRES_FATAL_ERROR, PGRES_PIPELINE_SYNC, PGRES_PIPELINE_ABORTED:
            func field(_ code: Character) -> String? {
                PQresultErrorField(result, Int32(code.asciiValue ?? 0)).map { String(cString: $0) }
            }
            let sqlState = field("C")
            // One line: the primary message, then detail and hint when the server gave them.
            let message = [field("M"), field("D"), field("H")].compactMap { $0 }.joined(separator: "; ")
            if PQstatus(conn) != CONNECTION_OK || sqlState == nil || sqlState?.hasPrefix("08") == true
                || sqlState == "57P01"
            {
                throw PostgresError(.connection, message.isEmpty ? trimmed(PQerrorMessage(conn)) : message, sqlState: sqlState)
            }
            throw PostgresError(.server, message, sqlState: sqlState)
        default:
            throw PostgresError(.server, "unexpected result status \(PQresultStatus(result).rawValue)")
        }
    }

    private static func rows(of result: OpaquePointer) -> [PostgresRow] {
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        return (0..<PQntuples(result)).map { row in
            let values: [String?] = (0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
            return PostgresRow(columns: columns, values: values)
        }
    }
}

/// Carries a PGconn pointer onto the thread pool; see PostgresConnection's invariant.
private struct UnsafeConn: @unchecked Sendable {
    let conn: OpaquePointer
}

private func trimmed(_ text: UnsafePointer<CChar>?) -> String {
    guard let text else { return "" }
    return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Keeps C copies of optional strings alive for `body`; nil stays a NULL pointer (SQL NULL).
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
