import Foundation
import NIOConcurrencyHelpers
import Postgres
import Tenancy

/// Writes the bindings of many REGISTERs in one transaction (group commit): while one batch
/// commits, the next gathers, so a busy edge pays one commit for many registrations and a quiet one
/// still answers after a single commit. Each caller returns only once its batch is committed, so a
/// binding answered 200 survives an edge crash.
final class BindingWriter: Sendable {
    /// One contact of one REGISTER to store (expires > 0). Encoded as a row of the upsert's JSON.
    struct Write: Sendable, Encodable {
        var schema: SQLIdentifier
        var aor: String
        var contact: String
        var deviceID: UUID?
        var expires: Int
        var userAgent: String?
        var source: String
        var transport: String
        var callID: String
        var cseq: Int

        enum CodingKeys: String, CodingKey {
            case aor, contact, deviceID = "device_id", expires, userAgent = "user_agent", source, transport, callID = "call_id", cseq
        }
    }

    /// What the write did, and the AOR's live bindings after it (for the 200's Contact list).
    struct Outcome: Sendable {
        /// false: the request's CSeq was not newer than the stored one of its Call-ID (RFC 3261 §10.3 step 7).
        var stored: Bool
        /// New, or stored by another Call-ID: the device (re)started and knows nothing of its message waiting.
        var fresh: Bool
        /// New, or now reached at another address or as another device: worth an event.
        var changed: Bool
        /// Every live binding of the AOR with its remaining seconds, this one included, in contact order.
        var bindings: [(contact: String, remaining: Int)]
    }

    private struct Pending {
        let write: Write
        let answer: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var committing = 0
        var batches = 0
    }

    private let db: PostgresClient
    private let edge: Int
    private let state = NIOLockedValueBox(State())
    /// Batches committing at once: one gathers while the other commits.
    let concurrentBatches: Int
    /// Writes per batch at most, so one statement stays small.
    let batchLimit: Int

    init(db: PostgresClient, edge: Int, concurrentBatches: Int = 2, batchLimit: Int = 256) {
        self.db = db
        self.edge = edge
        self.concurrentBatches = concurrentBatches
        self.batchLimit = batchLimit
    }

    /// Batches taken so far (each one transaction, retried writes aside).
    var batches: Int { state.withLockedValue { $0.batches } }

    func write(_ write: Write) async throws -> Outcome {
        try await withCheckedThrowingContinuation { answer in
            let startsBatch = state.withLockedValue { state in
                state.pending.append(Pending(write: write, answer: answer))
                guard state.committing < concurrentBatches else { return false }
                state.committing += 1
                return true
            }
            if startsBatch { Task { await commitWhilePending() } }
        }
    }

    private func commitWhilePending() async {
        while true {
            let batch: [Pending] = state.withLockedValue { state in
                guard !state.pending.isEmpty else {
                    state.committing -= 1
                    return []
                }
                let taken = Array(state.pending.prefix(batchLimit))
                state.pending.removeFirst(taken.count)
                state.batches += 1
                return taken
            }
            guard !batch.isEmpty else { return }
            SIPMetrics.bindingBatches.increment()
            SIPMetrics.bindingWrites.increment(by: batch.count)
            await commit(batch)
        }
    }

    private func commit(_ batch: [Pending]) async {
        do {
            let writes = batch.map(\.write)
            let statements = Self.statements(writes)
            let run: @Sendable (PostgresConnection) async throws -> [Outcome] = { connection in
                var outcomes = [Outcome?](repeating: nil, count: writes.count)
                for (schema, indices) in statements {
                    for (index, outcome) in zip(indices, try await self.upsert(indices.map { writes[$0] }, schema: schema, on: connection)) {
                        outcomes[index] = outcome
                    }
                }
                return outcomes.map { $0! }
            }
            // One statement (one tenant, each binding once: the usual batch) is atomic alone, so it
            // costs one round trip; more go in a transaction.
            let outcomes = try await statements.count == 1 ? db.withConnection(run) : db.withTransaction(run)
            for (pending, outcome) in zip(batch, outcomes) { pending.answer.resume(returning: outcome) }
        } catch where batch.count > 1 {
            // One bad write (a tenant being deleted) must not fail the others: each again on its own.
            for pending in batch { await commit([pending]) }
        } catch {
            batch[0].answer.resume(throwing: error)
        }
    }

    /// The upserts a batch takes, in order: one per tenant schema and round, a round holding each
    /// (AOR, contact) once, since one upsert cannot touch a row twice. Schemas go in name order and
    /// rows in (AOR, contact) order, so two batches committing at once never deadlock.
    static func statements(_ writes: [Write]) -> [(schema: SQLIdentifier, indices: [Int])] {
        var statements: [(schema: SQLIdentifier, indices: [Int])] = []
        var remaining = Array(writes.indices)
        while !remaining.isEmpty {
            var seen = Set<String>()
            var round: [SQLIdentifier: [Int]] = [:]
            var later: [Int] = []
            for index in remaining {
                let write = writes[index]
                if seen.insert("\(write.schema.name)\n\(write.aor)\n\(write.contact)").inserted {
                    round[write.schema, default: []].append(index)
                } else {
                    later.append(index)
                }
            }
            statements += round.sorted { $0.key.name < $1.key.name }.map { ($0.key, $0.value) }
            remaining = later
        }
        return statements
    }

    private func upsert(_ writes: [Write], schema: SQLIdentifier, on connection: PostgresConnection) async throws -> [Outcome] {
        let input = try PostgresJSON(writes)
        // The final SELECT sees the table as it was before the upsert: the other bindings of each AOR
        // come from there, this one from the input.
        let rows = try await connection.query("""
            WITH input AS (
                SELECT * FROM ROWS FROM (jsonb_to_recordset(\(input)::jsonb) AS (aor text, contact text, device_id uuid, expires int,
                    user_agent text, source text, transport text, call_id text, cseq int)) WITH ORDINALITY AS t(aor, contact, device_id,
                    expires, user_agent, source, transport, call_id, cseq, n)
            ), previous AS (
                SELECT r.aor, r.contact, r.call_id, r.source, r.transport, r.device_id
                FROM \(identifier: schema).registrations r JOIN input USING (aor, contact)
            ), stored AS (
                INSERT INTO \(identifier: schema).registrations AS r (aor, contact, device_id, expires_at, user_agent, source, transport, edge, call_id, cseq, updated_at)
                SELECT aor, contact, device_id, now() + make_interval(secs => expires), user_agent, source, transport, \(edge), call_id, cseq, now()
                FROM input ORDER BY aor, contact
                ON CONFLICT (aor, contact) DO UPDATE SET device_id = EXCLUDED.device_id, expires_at = EXCLUDED.expires_at,
                    user_agent = EXCLUDED.user_agent, source = EXCLUDED.source, transport = EXCLUDED.transport, edge = EXCLUDED.edge,
                    call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq, updated_at = now()
                WHERE r.call_id IS DISTINCT FROM EXCLUDED.call_id OR r.cseq < EXCLUDED.cseq
                RETURNING aor, contact
            )
            SELECT i.n, s.aor IS NOT NULL AS stored,
                p.aor IS NULL OR p.call_id IS DISTINCT FROM i.call_id AS fresh,
                p.aor IS NULL OR p.source <> i.source OR p.transport IS DISTINCT FROM i.transport
                    OR p.device_id IS DISTINCT FROM i.device_id AS changed,
                (SELECT string_agg(o.contact || E'\\t' || GREATEST(1, EXTRACT(EPOCH FROM o.expires_at - now())::int), E'\\n')
                 FROM \(identifier: schema).registrations o
                 WHERE o.aor = i.aor AND o.contact <> i.contact AND o.expires_at > now()) AS others
            FROM input i LEFT JOIN stored s USING (aor, contact) LEFT JOIN previous p USING (aor, contact)
            ORDER BY i.n
            """)
        guard rows.count == writes.count else { throw PostgresError(.server, "binding upsert returned \(rows.count) rows for \(writes.count)") }
        return try zip(writes, rows).map { write, row in
            var bindings: [(contact: String, remaining: Int)] = [(write.contact, write.expires)]
            if let others = try row.decode("others", as: String?.self) {
                for line in others.split(separator: "\n") {
                    let parts = line.split(separator: "\t")
                    if parts.count == 2, let seconds = Int(parts[1]) { bindings.append((String(parts[0]), seconds)) }
                }
            }
            bindings.sort { $0.contact < $1.contact }
            return Outcome(stored: try row.decode("stored"), fresh: try row.decode("fresh"), changed: try row.decode("changed"), bindings: bindings)
        }
    }
}
