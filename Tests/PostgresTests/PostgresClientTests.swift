import Foundation
import Postgres
import Testing
import TestSupport

@Suite("PostgreSQL client against the local server", .timeLimit(.minutes(2)))
struct PostgresClientTests {
    let db = TestEnvironment.postgres()

    @Test("quotes, unicode, SQL-looking text and NULL travel as bound parameters, unchanged")
    func parameters() async throws {
        let tricky = ["O'Brien", "Robert'); DROP TABLE students;--", "Jüri Õunapuu 🎧", "back\\slash", "$1", ""]
        for text in tricky {
            let rows = try await db.query("SELECT \(text)::text AS value, \(Optional<String>.none)::text AS missing")
            #expect(try rows[0].decode("value", as: String.self) == text)
            #expect(try rows[0].decode("missing", as: String?.self) == nil)
        }
    }

    @Test("text with a NUL is refused with a data-exception error, never cut short at the NUL")
    func nulIsRefused() async throws {
        await #expect {
            try await db.query("SELECT \("cut\u{0}here")::text AS value")
        } throws: { error in
            (error as? PostgresError)?.sqlState == "22021"
        }
    }

    @Test("typed decoding of integers, booleans, UUIDs, decimals, times and bytes")
    func typedDecoding() async throws {
        let id = UUID()
        let time = Date(timeIntervalSince1970: 1_795_000_000.123)
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff]
        let row = try #require(try await db.query("""
            SELECT \(42)::int AS i, \(true)::bool AS b, \(id)::uuid AS u, \(Decimal(string: "12.78")!)::numeric AS d,
                   \(time)::timestamptz AS t, \(bytes)::bytea AS bytes, NULL::int AS n
            """).first)
        #expect(try row.decode("i", as: Int.self) == 42)
        #expect(try row.decode("b", as: Bool.self))
        #expect(try row.decode("u", as: UUID.self) == id)
        #expect(try row.decode("d", as: Decimal.self) == Decimal(string: "12.78"))
        #expect(abs(try row.decode("t", as: Date.self).timeIntervalSince(time)) < 0.001)
        #expect(try row.decode("bytes", as: [UInt8].self) == bytes)
        #expect(try row.decode("n", as: Int?.self) == nil)
        #expect(throws: PostgresError.self) { try row.decode("n", as: Int.self) }
        #expect(throws: PostgresError.self) { try row.decode("nope", as: Int.self) }
    }

    @Test("server errors carry their SQLSTATE")
    func sqlState() async throws {
        do {
            try await db.query("SELECT * FROM no_such_table")
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.kind == .server)
            #expect(error.sqlState == "42P01")
        }
        do {
            try await db.query("SELECT 1/0")
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.sqlState == "22012")
        }
    }

    @Test("a failed transaction rolls back everything it did")
    func rollback() async throws {
        let table = try SQLIdentifier(TestEnvironment.unique("rollback"))
        try await db.query("CREATE TABLE \(identifier: table) (id int PRIMARY KEY)")
        await #expect(throws: PostgresError.self) {
            try await db.withTransaction { connection in
                try await connection.query("INSERT INTO \(identifier: table) VALUES (1)")
                try await connection.query("INSERT INTO \(identifier: table) VALUES (1)")  // unique violation
            }
        }
        let afterFailure = try await db.query("SELECT count(*) AS n FROM \(identifier: table)")
        #expect(try afterFailure[0].decode("n", as: Int.self) == 0)

        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await db.withTransaction { connection in
                try await connection.query("INSERT INTO \(identifier: table) VALUES (2)")
                throw Abort()
            }
        }
        try await db.withTransaction { _ = try await $0.query("INSERT INTO \(identifier: table) VALUES (3)") }
        let ids = try await db.query("SELECT id FROM \(identifier: table) ORDER BY id").map { try $0.decode("id", as: Int.self) }
        #expect(ids == [3])
        try await db.query("DROP TABLE \(identifier: table)")
    }

    @Test("more concurrent work than connections waits for a lease instead of failing")
    func poolLimits() async throws {
        let small = TestEnvironment.postgres(maxConnections: 2)
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<20 {
                group.addTask { try await small.query("SELECT \(i)::int AS i, pg_sleep(0.01)")[0].decode("i", as: Int.self) }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.sorted() == Array(0..<20))
        let connections = try await db.query("""
            SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = ''
            """)
        #expect(try connections[0].decode("n", as: Int.self) >= 1)
        await small.shutdown()
    }

    @Test("identifiers that could carry SQL are refused")
    func identifiers() {
        #expect(throws: PostgresError.self) { try SQLIdentifier("tenant_a\"; DROP SCHEMA platform; --") }
        #expect(throws: PostgresError.self) { try SQLIdentifier("Tenant") }
        #expect(throws: PostgresError.self) { try SQLIdentifier("") }
        #expect(throws: PostgresError.self) { try SQLIdentifier(String(repeating: "a", count: 64)) }
        #expect((try? SQLIdentifier("tenant_demo"))?.quoted == "\"tenant_demo\"")
    }
}

@Suite("PostgreSQL client across a server restart", .timeLimit(.minutes(2)))
struct PostgresRestartTests {
    @Test("queries succeed again after the server restarts, without a new client")
    func recoversAfterRestart() async throws {
        let cluster = try TestPostgresCluster()
        defer { cluster.destroy() }
        try cluster.start()
        let db = PostgresClient(configuration: PostgresConfiguration(conninfo: cluster.url, maxConnections: 2),
                                logger: TestEnvironment.logger)
        try await db.query("CREATE TABLE kept (v text)")
        try await db.query("INSERT INTO kept VALUES (\("before restart"))")

        try cluster.stop()
        await #expect(throws: PostgresError.self) { try await db.query("SELECT 1") }
        #expect(await db.ping() == false)

        try cluster.start()
        let rows = try await db.query("SELECT v FROM kept")
        #expect(try rows.map { try $0.decode("v", as: String.self) } == ["before restart"])
        #expect(await db.ping())
        await db.shutdown()
    }
}
