import Events
import Kafka
import Logging
import Metrics
import NIOConcurrencyHelpers
import Postgres

/// Events that must follow a database change (CDRs, configuration changes) are written to
/// `platform.outbox` in that change's own transaction and sent by a relay (`relay`), which deletes
/// a row only once the broker acknowledged it (DESIGN §4): a broker outage delays such an event and
/// loses nothing, and a change rolled back sends nothing. A row sent but not yet deleted when a
/// process dies is sent again: consumers deduplicate (at-least-once).
package final class Outbox: Sendable {
    package let db: PostgresClient
    package let publisher: EventPublisher
    /// The process's relay waiting for work (with the number of its wait), or a wake-up that came
    /// while it did not wait: one doorbell per process, so that any `Outbox` value wakes the relay.
    private struct Doorbell {
        /// Whether this process runs a relay (`OutboxRelay`, one per service process).
        var hasRelay = false
        var pending = false
        var waits: UInt64 = 0
        var waiter: (wait: UInt64, continuation: CheckedContinuation<Void, Never>)?
    }
    private static let doorbell = NIOLockedValueBox(Doorbell())

    package init(db: PostgresClient, publisher: EventPublisher) {
        self.db = db
        self.publisher = publisher
    }

    /// Adds `envelope` to the outbox as part of the transaction on `connection`. Call `committed()`
    /// once that transaction has committed, so the relay sends it at once.
    package func add<P: EventPayload>(_ envelope: Envelope<P>, key: String? = nil, partition: Int32? = nil,
                                      on connection: PostgresConnection) async throws {
        let record = try publisher.record(envelope, key: key, partition: partition)
        try await connection.query("""
            INSERT INTO platform.outbox (deployment, topic, partition, key, value, type, tenant)
            VALUES (\(publisher.topicPrefix), \(record.topic), \(record.partition.map(Int.init)),
                    \(record.key.map { String(decoding: $0, as: UTF8.self) }), \(record.value), \(envelope.type), \(envelope.tenant))
            """)
    }

    /// Rows were committed: wakes the process's relay, or, in a process without one (the CLI, a
    /// test), sends them now; what cannot be sent stays for a service's relay.
    package func committed() {
        let (waiter, hasRelay) = Self.doorbell.withLockedValue { bell -> (CheckedContinuation<Void, Never>?, Bool) in
            guard let waiter = bell.waiter else {
                bell.pending = true
                return (nil, bell.hasRelay)
            }
            bell.waiter = nil
            return (waiter.continuation, true)
        }
        if let waiter {
            waiter.resume()
        } else if !hasRelay {
            Task { await drain() }
        }
    }

    /// Marks this process as running the relay that `committed()` wakes.
    package func registerRelay() {
        Self.doorbell.withLockedValue { $0.hasRelay = true }
    }

    /// Returns when `committed()` is called (or was since the last wait) or after `timeout`.
    package func waitForWork(timeout: Duration) async {
        let wait = Self.doorbell.withLockedValue { bell -> UInt64 in
            bell.waits &+= 1
            return bell.waits
        }
        let timer = Task {
            // A cancelled timer (the wait ended first) must not wake the next wait.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            Self.wake(wait)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = Self.doorbell.withLockedValue { bell -> Bool in
                if bell.pending {
                    bell.pending = false
                    return true
                }
                bell.waiter = (wait, continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Ends wait number `wait` if it is still waiting.
    private static func wake(_ wait: UInt64) {
        let waiter = doorbell.withLockedValue { bell -> CheckedContinuation<Void, Never>? in
            guard let waiter = bell.waiter else {
                // The wait has not begun to wait yet: it returns at once when it does.
                if wait == bell.waits { bell.pending = true }
                return nil
            }
            guard waiter.wait == wait else { return nil }
            bell.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Relays until nothing is left or a relay fails (the rows then wait for the next try).
    package func drain() async {
        while let sent = try? await relay(limit: 1000), sent > 0 {}
    }

    /// Sends up to `limit` rows of this deployment, oldest first, and deletes them once the broker
    /// acknowledged each; rows another relay is sending are skipped. Returns how many were sent.
    /// - Throws: when the database or the broker is unavailable; the rows stay for the next try.
    @discardableResult
    package func relay(limit: Int = 100) async throws -> Int {
        let producer = publisher.producer
        let sent = try await db.withTransaction { connection -> Int in
            let rows = try await connection.query("""
                SELECT id, topic, partition, key, value, type, tenant FROM platform.outbox
                WHERE deployment = \(publisher.topicPrefix) ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """)
            guard !rows.isEmpty else { return 0 }
            var ids: [Int64] = []
            for row in rows {
                let record = ProducerRecord(
                    topic: try row.decode("topic"), partition: try row.decode("partition", as: Int?.self).map { Int32(truncatingIfNeeded: $0) },
                    key: try row.decode("key", as: String?.self), value: try row.decode("value"),
                    headers: [KafkaHeader("type", try row.decode("type")), KafkaHeader("tenant", try row.decode("tenant"))])
                // One after another: events of one key keep their order.
                try await producer.send(record)
                ids.append(try row.decode("id"))
            }
            let list = "{" + ids.map(String.init).joined(separator: ",") + "}"
            try await connection.query("DELETE FROM platform.outbox WHERE id = ANY(\(list)::bigint[])")
            return ids.count
        }
        if sent > 0 { Counter(label: "switchboard_outbox_relayed_total").increment(by: sent) }
        return sent
    }
}
