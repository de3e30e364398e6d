import SIP
import Testing

/// Drives a transaction along a timeline: timers are started with their due time and fired in order,
/// as a transport layer with an injected clock would.
struct TestClock {
    var now: Duration = .zero
    var pending: [SIPTimer: Duration] = [:]
    var sent: [Duration] = []

    mutating func apply(_ actions: [TransactionAction]) {
        for action in actions {
            switch action {
            case .start(let timer, let after): pending[timer] = now + after
            case .cancel(let timer): pending[timer] = nil
            case .send: sent.append(now)
            default: break
            }
        }
    }

    /// Advances to the next due timer and returns it.
    mutating func next() -> SIPTimer? {
        guard let (timer, due) = pending.min(by: { $0.value < $1.value }) else { return nil }
        now = due
        pending[timer] = nil
        return timer
    }
}

@Suite("RFC 3261 §17 transactions with a test clock")
struct TransactionTests {
    @Test("client INVITE over UDP: Timer A doubles from T1, Timer B gives up at 64·T1")
    func inviteTimeout() {
        var transaction = ClientTransaction(isInvite: true, reliable: false)
        var clock = TestClock()
        clock.apply(transaction.start())
        var timedOut = false
        while let timer = clock.next() {
            let actions = transaction.fire(timer)
            timedOut = timedOut || actions.contains(.timeout)
            clock.apply(actions)
        }
        #expect(timedOut)
        #expect(clock.now == .seconds(32))
        // Sent at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s (Timer A: 0.5, 1, 2, 4, 8, 16 s).
        #expect(clock.sent == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5].map { Duration.milliseconds(Int($0 * 1000)) })
        #expect(transaction.state == .terminated)
    }

    @Test("client non-INVITE over UDP: Timer E caps at T2, keeps T2 once proceeding, Timer F at 32 s")
    func nonInviteRetransmission() {
        var transaction = ClientTransaction(isInvite: false, reliable: false)
        var clock = TestClock()
        clock.apply(transaction.start())
        for _ in 0..<5 { clock.apply(transaction.fire(clock.next()!)) }
        // 0.5, 1, 2, 4 (capped), 4
        #expect(clock.sent == [0, 0.5, 1.5, 3.5, 7.5, 11.5].map { Duration.milliseconds(Int($0 * 1000)) })
        clock.apply(transaction.receive(status: 100))
        #expect(transaction.state == .proceeding)
        let timer = clock.next()
        #expect(timer == .e)
        clock.apply(transaction.fire(.e))
        #expect(clock.pending[.e] == clock.now + .seconds(4))
        let final = transaction.receive(status: 200)
        #expect(final.contains(.passUp(status: 200)) && final.contains(.start(.k, .seconds(5))))
        #expect(transaction.state == .completed)
        #expect(transaction.receive(status: 200).isEmpty, "a retransmitted final response is absorbed")
    }

    @Test("client INVITE: a failure response is ACKed by the transaction, and again for each retransmission")
    func inviteFailure() {
        var transaction = ClientTransaction(isInvite: true, reliable: false)
        _ = transaction.start()
        #expect(transaction.receive(status: 180) == [.cancel(.a), .passUp(status: 180)])
        let busy = transaction.receive(status: 486)
        #expect(busy.contains(.sendAck) && busy.contains(.passUp(status: 486)) && busy.contains(.start(.d, .seconds(32))))
        #expect(transaction.receive(status: 486) == [.sendAck])
        #expect(transaction.fire(.d) == [.terminate])
    }

    @Test("client INVITE: a 2xx ends the transaction at once (the dialog ACKs)")
    func inviteSuccess() {
        var transaction = ClientTransaction(isInvite: true, reliable: true)
        #expect(!transaction.start().contains(.start(.a, .milliseconds(500))), "no retransmission over TCP")
        #expect(transaction.receive(status: 200).contains(.terminate))
    }

    @Test("server INVITE over UDP: the final response is retransmitted by Timer G until the ACK; Timer H without one")
    func serverInvite() {
        var transaction = ServerTransaction(isInvite: true, reliable: false)
        var clock = TestClock()
        clock.apply(transaction.respond(status: 100))
        clock.apply(transaction.respond(status: 486))
        for _ in 0..<4 { clock.apply(transaction.fire(clock.next()!)) }
        #expect(clock.sent == [0, 0, 0.5, 1.5, 3.5, 7.5].map { Duration.milliseconds(Int($0 * 1000)) })
        let acked = transaction.ack()
        #expect(acked == [.cancel(.g), .cancel(.h), .start(.i, .seconds(5))])
        #expect(transaction.state == .confirmed)
        #expect(transaction.fire(.i) == [.terminate])

        var unacknowledged = ServerTransaction(isInvite: true, reliable: false)
        _ = unacknowledged.respond(status: 603)
        #expect(unacknowledged.fire(.h).contains(.timeout))
    }

    @Test("server non-INVITE: a retransmitted request gets the last response again until Timer J")
    func serverNonInvite() {
        var transaction = ServerTransaction(isInvite: false, reliable: false)
        #expect(transaction.retransmittedRequest().isEmpty, "nothing to resend before a response")
        #expect(transaction.respond(status: 200) == [.send, .start(.j, .seconds(32))])
        #expect(transaction.retransmittedRequest() == [.send])
        #expect(transaction.fire(.j) == [.terminate])
        var overTCP = ServerTransaction(isInvite: false, reliable: true)
        #expect(overTCP.respond(status: 200) == [.send, .start(.j, .zero)])
    }
}
