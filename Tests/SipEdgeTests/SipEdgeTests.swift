import Foundation
import Kafka
import SIP
import Testing
import TestSupport

@testable import SipEdge

@Suite("sip-edge state")
struct SipEdgeTests {
    @Test("a source that keeps failing authentication is blocked for a while, then let in again")
    func authFailureGuard() {
        let guardian = AuthFailureGuard(limit: 3, window: .seconds(60), blockFor: .seconds(300))
        let start = ContinuousClock.now
        #expect(!guardian.recordFailure("10.0.0.1", now: start))
        #expect(!guardian.recordFailure("10.0.0.1", now: start + .seconds(1)))
        #expect(guardian.recordFailure("10.0.0.1", now: start + .seconds(2)))
        #expect(guardian.isBlocked("10.0.0.1", now: start + .seconds(10)))
        #expect(!guardian.isBlocked("10.0.0.2", now: start + .seconds(10)), "other sources are not affected")
        #expect(!guardian.isBlocked("10.0.0.1", now: start + .seconds(303)), "the block expires")
    }

    @Test("failures spread wider than the window do not block")
    func slowFailures() {
        let guardian = AuthFailureGuard(limit: 3, window: .seconds(60), blockFor: .seconds(300))
        let start = ContinuousClock.now
        for minute in 0..<10 {
            #expect(!guardian.recordFailure("10.0.0.3", now: start + .seconds(61 * minute)))
        }
    }

    @Test("a retransmitted request is absorbed while in progress and answered again once done")
    func retransmissions() throws {
        let transactions = ServerTransactions()
        let request = try SIPParser.parse(Array("""
            REGISTER sip:a.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK77\r\nFrom: <sip:1@a.example>;tag=1\r\n\
            To: <sip:1@a.example>\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n\r\n
            """.utf8))
        #expect(transactions.retransmission(of: request, source: "10.0.0.1:5060") == nil, "new: process it")
        let inProgress = transactions.retransmission(of: request, source: "10.0.0.1:5060")
        #expect(inProgress != nil && inProgress! == nil, "in progress: absorb")
        transactions.complete(request, source: "10.0.0.1:5060", response: [1, 2, 3])
        #expect(transactions.retransmission(of: request, source: "10.0.0.1:5060") == .some([1, 2, 3]), "done: send the same answer")
        #expect(transactions.retransmission(of: request, source: "10.0.0.9:5060") == nil, "another source is another transaction")
    }

    @Test("the command waker is told of every event of every call: a hundred thousand cost what one does (no closure re-wrapped per call)")
    func commandWakerStaysFlat() async throws {
        let topic = try await TestEnvironment.makeTopic("waker")
        var config = TestEnvironment.kafka()
        config.dozing = KafkaDozing()
        let consumer = try KafkaConsumer(configuration: config,
                                         subscription: .assigned(groupID: TestEnvironment.unique("waker"),
                                                                 partitions: [TopicPartitionOffset(topic: topic, partition: 0, offset: TopicPartitionOffset.end)]),
                                         logger: TestEnvironment.logger)
        let waker = CommandWaker()
        waker.attach(consumer)
        // A closure kept in a generic box gained two thunks per call; this many would overflow the stack.
        let start = ContinuousClock.now
        for _ in 0..<100_000 { waker.expectCommand() }
        #expect(ContinuousClock.now - start < .seconds(5))
        await consumer.close()
    }

    @Test("a completed transaction is held for Timer J (32 s), then forgotten without scanning the table")
    func transactionExpiry() throws {
        let transactions = ServerTransactions()
        func request(_ branch: Int) throws -> SIPMessage {
            try SIPParser.parse(Array("""
                REGISTER sip:a.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK\(branch)\r\nFrom: <sip:1@a.example>;tag=1\r\n\
                To: <sip:1@a.example>\r\nCall-ID: r\(branch)\r\nCSeq: 1 REGISTER\r\n\r\n
                """.utf8))
        }
        let start = ContinuousClock.now
        for branch in 0..<5_000 {
            let message = try request(branch)
            _ = transactions.retransmission(of: message, source: "s")
            transactions.complete(message, source: "s", response: [1], now: start + .milliseconds(branch))
        }
        #expect(transactions.count == 5_000)
        #expect(transactions.retransmission(of: try request(10), source: "s") == .some([1]), "still within Timer J")
        // One more completion 32 s after the 3,000th: the 3,001 oldest are gone, the rest kept.
        let late = try request(99_999)
        _ = transactions.retransmission(of: late, source: "s")
        transactions.complete(late, source: "s", response: [2], now: start + .seconds(32) + .milliseconds(3_000))
        #expect(transactions.count == 5_000 - 3_001 + 1)
        #expect(transactions.retransmission(of: try request(10), source: "s") == nil, "expired: a new transaction")
        #expect(transactions.retransmission(of: try request(4_000), source: "s") == .some([1]))
    }

    @Test("credential cache: hits within its lifetime, dropped per tenant on a configuration change")
    func credentialCache() {
        let cache = CredentialCache()
        let id = UUID()
        cache.set("acme|1001|ha1_md5", id: id, ha1: "abc")
        cache.set("acme_two|1001|ha1_md5", id: id, ha1: "def")
        #expect(cache.get("acme|1001|ha1_md5")?.ha1 == "abc")
        cache.invalidate(tenant: "acme")
        #expect(cache.get("acme|1001|ha1_md5") == nil, "the changed tenant's entries go")
        #expect(cache.get("acme_two|1001|ha1_md5")?.ha1 == "def", "a tenant whose slug starts the same keeps its own")
    }
}
