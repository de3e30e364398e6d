import Foundation
import Postgres
import SIP
import Tenancy
import Testing
import TestSupport

@testable import SipEdge

@Suite("Registration bindings written in batches", .timeLimit(.minutes(2)))
struct BindingWriterTests {
    private func tenant(_ db: PostgresClient) async throws -> SQLIdentifier {
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let slug = TestEnvironment.unique("batch")
        let schema = try SQLIdentifier("tenant_" + slug)
        try await db.query("CREATE SCHEMA \(identifier: schema)")
        try await db.query("""
            CREATE TABLE \(identifier: schema).registrations (aor text NOT NULL, contact text NOT NULL, device_id uuid, expires_at timestamptz NOT NULL,
                user_agent text, source text NOT NULL, transport text, edge integer NOT NULL, call_id text, cseq integer,
                updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (aor, contact))
            """)
        return schema
    }

    private func write(_ schema: SQLIdentifier, user: Int, contact: String? = nil, source: String = "10.0.0.1:5060", callID: String = "c",
                       cseq: Int = 1, expires: Int = 3600) -> BindingWriter.Write {
        BindingWriter.Write(schema: schema, aor: "sip:\(user)@x", contact: contact ?? "sip:\(user)@10.0.0.1", deviceID: nil, expires: expires,
                            userAgent: "test", source: source, transport: "UDP", callID: callID, cseq: cseq)
    }

    @Test("many REGISTERs at once share a few transactions; each learns what its own write did")
    func groupCommit() async throws {
        let db = TestEnvironment.postgres(maxConnections: 4)
        let schema = try await tenant(db)
        let writer = BindingWriter(db: db, edge: 0, concurrentBatches: 1)
        // 300 writes: 150 users, each twice (the second a retransmitted CSeq, so not stored), all at once.
        let outcomes = try await withThrowingTaskGroup(of: (Int, Int, BindingWriter.Outcome).self) { group in
            for user in 0..<150 {
                for copy in 0..<2 {
                    group.addTask { (user, copy, try await writer.write(write(schema, user: user))) }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 300)
        #expect(writer.batches < 30, "300 writes took \(writer.batches) transactions")
        for user in 0..<150 {
            let pair = outcomes.filter { $0.0 == user }.map(\.2)
            #expect(pair.filter(\.stored).count == 1, "one of the two copies is stored, the other is out of order")
            #expect(pair.first(where: \.stored)?.fresh == true)
            #expect(pair.first(where: \.stored)?.changed == true)
        }
        let rows = try await db.query("SELECT count(*) AS n FROM \(identifier: schema).registrations")
        #expect(try rows.first?.decode("n", as: Int.self) == 150)
        await db.shutdown()
    }

    @Test("a refresh is stored but is no change; another address or Call-ID is; the answer lists the AOR's live bindings")
    func refreshes() async throws {
        let db = TestEnvironment.postgres(maxConnections: 2)
        let schema = try await tenant(db)
        let writer = BindingWriter(db: db, edge: 0)
        let first = try await writer.write(write(schema, user: 1, callID: "boot-1", cseq: 1))
        #expect(first.stored && first.fresh && first.changed)
        let refresh = try await writer.write(write(schema, user: 1, callID: "boot-1", cseq: 2, expires: 1800))
        #expect(refresh.stored && !refresh.fresh && !refresh.changed, "same Call-ID, same place: only the expiry moved")
        let stale = try await writer.write(write(schema, user: 1, callID: "boot-1", cseq: 2))
        #expect(!stale.stored, "a repeated CSeq is out of order (RFC 3261 §10.3 step 7)")
        let moved = try await writer.write(write(schema, user: 1, source: "10.0.0.9:5060", callID: "boot-1", cseq: 3))
        #expect(moved.stored && !moved.fresh && moved.changed, "reached at another address")
        let rebooted = try await writer.write(write(schema, user: 1, source: "10.0.0.9:5060", callID: "boot-2", cseq: 1))
        #expect(rebooted.stored && rebooted.fresh && !rebooted.changed, "a new Call-ID: the device restarted")
        // A second contact of the same AOR: the answer holds both, in contact order, with their seconds.
        let second = try await writer.write(write(schema, user: 1, contact: "sip:1@10.0.0.0", callID: "other", expires: 600))
        #expect(second.bindings.map(\.contact) == ["sip:1@10.0.0.0", "sip:1@10.0.0.1"])
        #expect(second.bindings[0].remaining == 600)
        #expect((3590...3600).contains(second.bindings[1].remaining))
        await db.shutdown()
    }

    @Test("one write that fails (its tenant's schema is gone) does not fail the others of its batch")
    func failureIsolated() async throws {
        let db = TestEnvironment.postgres(maxConnections: 4)
        let schema = try await tenant(db)
        let gone = try SQLIdentifier("tenant_" + TestEnvironment.unique("gone"))
        let writer = BindingWriter(db: db, edge: 0, concurrentBatches: 1)
        let results = await withTaskGroup(of: Bool.self) { group in
            for user in 0..<40 {
                group.addTask { (try? await writer.write(write(user == 7 ? gone : schema, user: user))) != nil }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 39)
        await db.shutdown()
    }
}

@Suite("Overload: what a saturated edge refuses")
struct SIPLoadTests {
    private func request(_ method: String, toTag: Bool = false, authorization: Bool = false) throws -> SIPMessage {
        var text = "\(method) sip:1001@a.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        text += "From: <sip:1@a.example>;tag=1\r\nTo: <sip:1001@a.example>\(toTag ? ";tag=2" : "")\r\nCall-ID: x\r\nCSeq: 1 \(method)\r\n"
        if authorization { text += "Authorization: Digest username=\"1\", realm=\"a.example\", nonce=\"n\", uri=\"sip:a.example\", response=\"r\"\r\n" }
        return try SIPParser.parse(Array((text + "\r\n").utf8))
    }

    @Test("below half the limit nothing is refused; from half, new work without credentials; at the limit, authenticated work too")
    func thresholds() throws {
        let calm = SIPLoad(inFlight: 49, limit: 100)
        let busy = SIPLoad(inFlight: 50, limit: 100)
        let full = SIPLoad(inFlight: 100, limit: 100)
        #expect(!calm.refuses(try request("REGISTER")))
        #expect(busy.refuses(try request("REGISTER")))
        #expect(busy.refuses(try request("INVITE")))
        #expect(!busy.refuses(try request("REGISTER", authorization: true)), "the second half of a challenged registration completes")
        #expect(full.refuses(try request("REGISTER", authorization: true)))
    }

    @Test("ACK, BYE, CANCEL and requests within a dialog are never refused: they end or continue accepted work")
    func neverRefused() throws {
        let full = SIPLoad(inFlight: 1_000, limit: 100)
        for method in ["ACK", "BYE", "CANCEL", "INFO", "UPDATE", "NOTIFY", "PRACK"] {
            #expect(!full.refuses(try request(method)), "\(method)")
        }
        #expect(!full.refuses(try request("INVITE", toTag: true)), "a re-INVITE")
        #expect(!SIPLoad.idle.refuses(try request("REGISTER")))
    }
}
