import Events
import Foundation
import Media
import SIP
import Tenancy
import Testing

@testable import SipEdge

/// The call state machine without sockets: each test feeds it inputs on a timeline of its own and
/// checks the actions it returns.
@Suite("call state machine")
struct CallMachineTests {
    // MARK: Forking and answers

    @Test("ring-all: every branch's INVITE goes out in one step; the first 2xx is bridged, the ringing branch is cancelled")
    func forkingFirstAnswerWins() throws {
        var call = try CallHarness()
        let ringing = call.step(.route(CallHarness.route(["1002a", "1002b", "1002c"])))
        #expect(ringing.requests.map(\.message.method) == ["INVITE", "INVITE", "INVITE"], "all branches start together")
        #expect(ringing.requests.map(\.replies) == [.branch(0), .branch(1), .branch(2)])
        #expect(ringing.timers.contains(.stageTimeout))

        let progress = call.step(.branch(0, .response(call.response(180, toBranch: 0))))
        #expect(progress.toCaller == [180])
        #expect(progress.states == [.ringing])
        #expect(call.step(.branch(0, .response(call.response(180, toBranch: 0)))).toCaller.isEmpty, "180 is relayed once")

        let answered = call.step(.branch(1, .response(call.answer(fromBranch: 1))), after: 3)
        #expect(answered.acks.map(\.callID) == [call.branchCallID(1)], "the winner is ACKed")
        #expect(answered.requests.map(\.message.method) == ["CANCEL"], "only the branch that rang is cancelled now")
        #expect(answered.requests.first?.message["Call-ID"] == call.branchCallID(0))
        #expect(answered.toCaller == [200])
        #expect(answered.states == [.answered])
        #expect(answered.journal.contains { if case .answered = $0 { true } else { false } })
        #expect(answered.timers.contains(.answerRetransmit) && answered.cancelled.contains(.stageTimeout))

        // Branch 2 never answered provisionally: its CANCEL waits for its first provisional (§9.1).
        let trying = call.step(.branch(2, .response(call.response(100, toBranch: 2))))
        #expect(trying.requests.map(\.message.method) == ["CANCEL"])
        let late = call.step(.branch(2, .response(call.response(180, toBranch: 2))))
        #expect(late.requests.isEmpty, "cancelled once")
        #expect(late.toCaller.isEmpty, "a cancelled branch's ringing is not relayed")
        _ = call.step(.branch(0, .response(call.response(487, toBranch: 0))))
        _ = call.step(.branch(2, .response(call.response(487, toBranch: 2))))

        let ack = call.step(.request(call.callerRequest("ACK", cseq: 1), from: .caller, source: CallHarness.callerSource))
        #expect(ack.cancelled.contains(.answerRetransmit))
        let bye = call.step(.request(call.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource), after: 60)
        #expect(bye.responses.map(\.status) == [200])
        #expect(bye.requests.map(\.message.method) == ["BYE"] && bye.requests.first?.message["Call-ID"] == call.branchCallID(1))
        #expect(bye.states == [.ended])
        let record = try #require(bye.record)
        #expect(record.cause == "normal" && record.billableSeconds == 60 && record.answer != nil)
        #expect(record.direction == .internal && record.from == "1001" && record.to == "1002")
        #expect(bye.contains { if case .closeMedia = $0 { true } else { false } })
        #expect(call.machine.isFinished)
    }

    @Test("a second 2xx (another branch, or a fork beyond a branch) is ACKed and released with a BYE")
    func secondAnswerReleased() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.route(["1002a", "1002b"])))
        _ = call.step(.branch(0, .response(call.response(180, toBranch: 0))))
        _ = call.step(.branch(1, .response(call.response(180, toBranch: 1))))
        _ = call.step(.branch(0, .response(call.answer(fromBranch: 0))))
        // Branch 1 answered as its CANCEL crossed it.
        let crossed = call.step(.branch(1, .response(call.answer(fromBranch: 1))))
        #expect(crossed.acks.map(\.callID) == [call.branchCallID(1)])
        #expect(crossed.requests.map(\.message.method) == ["BYE"])
        #expect(crossed.toCaller.isEmpty && crossed.states.isEmpty, "the call is not answered twice")
        // The winner's 2xx again (our ACK was lost): ACK again, nothing else.
        let again = call.step(.lateSuccess(call.answer(fromBranch: 0)))
        #expect(again.acks.count == 1 && again.requests.isEmpty)
        // A fork beyond branch 0 answers with another To-tag: that dialog is released.
        let fork = call.step(.lateSuccess(call.answer(fromBranch: 0, toTag: "forked")))
        #expect(fork.acks.count == 1 && fork.requests.map(\.message.method) == ["BYE"])
        #expect(fork.requests.first?.message["To"]?.contains("tag=forked") == true)
        #expect(call.machine.branches[0].state == .answered, "the bridged branch is untouched")
    }

    // MARK: CANCEL races

    @Test("CANCEL from the caller before any branch answered provisionally: 487, and each CANCEL waits for its branch's 1xx")
    func cancelBeforeProvisional() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.route(["1002"])))
        let cancel = call.step(.request(call.callerRequest("CANCEL", cseq: 1, toTag: false), from: .caller, source: CallHarness.callerSource))
        #expect(cancel.responses.map(\.status) == [200])
        #expect(cancel.toCaller == [487])
        #expect(cancel.requests.isEmpty, "no CANCEL before a provisional response")
        #expect(try #require(cancel.record).cause == "cancelled")
        #expect(!call.machine.isFinished, "the caller has not ACKed and the branch is unsettled")
        let provisional = call.step(.branch(0, .response(call.response(180, toBranch: 0))))
        #expect(provisional.requests.map(\.message.method) == ["CANCEL"])
        #expect(provisional.toCaller.isEmpty)
        // The callee answered anyway: a late 2xx after CANCEL is ACKed and sent BYE.
        let late = call.step(.branch(0, .response(call.answer(fromBranch: 0))))
        #expect(late.acks.count == 1 && late.requests.map(\.message.method) == ["BYE"])
        #expect(late.toCaller.isEmpty && late.record == nil, "the call stays cancelled, one CDR")
        _ = call.step(.request(call.callerRequest("ACK", cseq: 1), from: .caller, source: CallHarness.callerSource))
        let confirmed = call.step(.timer(.caller(.i)))
        #expect(confirmed.isEmpty)
        #expect(call.machine.isFinished)
    }

    @Test("the caller's CANCEL and the callee's 200 cross: the 200 wins only if it came first")
    func cancelCrossesAnswer() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.route(["1002"])))
        _ = call.step(.branch(0, .response(call.response(180, toBranch: 0))))
        _ = call.step(.branch(0, .response(call.answer(fromBranch: 0))))
        let cancel = call.step(.request(call.callerRequest("CANCEL", cseq: 1, toTag: false), from: .caller, source: CallHarness.callerSource))
        #expect(cancel.responses.map(\.status) == [200])
        #expect(cancel.toCaller.isEmpty && cancel.record == nil, "a CANCEL after the 2xx does nothing (§9.2)")
        #expect(call.isAnswered)
    }

    // MARK: BYE and re-INVITE

    @Test("BYE from the callee: answered 200, BYE to the caller, one CDR; a BYE that crosses ours gets 200")
    func byeFromCallee() throws {
        var call = try CallHarness()
        try call.answered()
        let bye = call.step(.request(call.calleeRequest("BYE", cseq: 2), from: .callee, source: CallHarness.calleeSource), after: 10)
        #expect(bye.responses.map(\.status) == [200])
        #expect(bye.requests.map(\.message.method) == ["BYE"] && bye.requests.first?.message["Call-ID"] == "caller-call")
        #expect(try #require(bye.record).billableSeconds == 10)
        let crossed = call.step(.request(call.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource))
        #expect(crossed.responses.map(\.status) == [200] && crossed.record == nil)
    }

    @Test("a BYE or re-INVITE from a branch that lost gets 481; a BYE out of CSeq order gets 500")
    func requestsOutsideTheBridge() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.route(["1002a", "1002b"])))
        _ = call.step(.branch(0, .response(call.answer(fromBranch: 0))))
        let stray = call.step(.request(call.calleeRequest("BYE", cseq: 2, branch: 1), from: .callee, source: CallHarness.calleeSource))
        #expect(stray.responses.map(\.status) == [481] && stray.record == nil)
        _ = call.step(.request(call.callerRequest("BYE", cseq: 5), from: .caller, source: CallHarness.callerSource))
        var again = try CallHarness()
        try again.answered()
        #expect(again.step(.request(again.callerRequest("INFO", cseq: 5), from: .caller, source: CallHarness.callerSource))
            .responses.map(\.status) == [200])
        let old = again.step(.request(again.callerRequest("BYE", cseq: 3), from: .caller, source: CallHarness.callerSource))
        #expect(old.responses.map(\.status) == [500] && old.record == nil)
    }

    @Test("re-INVITE from the caller (hold): answered at once, the callee gets a re-INVITE of the edge, held event; resume likewise")
    func reInviteFromCaller() throws {
        var call = try CallHarness()
        try call.answered()
        let hold = call.step(.request(call.callerRequest("INVITE", cseq: 2, body: CallHarness.sdp(direction: "sendonly")),
                                      from: .caller, source: CallHarness.callerSource))
        let ok = try #require(hold.responses.first)
        #expect(ok.status == 200 && String(decoding: ok.body, as: UTF8.self).contains("a=recvonly"))
        let toCallee = try #require(hold.requests.first)
        #expect(toCallee.message.method == "INVITE" && toCallee.replies == .inDialog(.callee, method: "INVITE"))
        #expect(toCallee.message["Call-ID"] == call.branchCallID(0) && toCallee.message["CSeq"] == "2 INVITE")
        #expect(String(decoding: toCallee.message.body, as: UTF8.self).contains("a=sendonly"))
        #expect(hold.states == [.held])
        #expect(hold.media.map(\.0) == [.caller])
        // The callee's 200 to the edge's re-INVITE is ACKed.
        let answer = call.step(.inDialog(.callee, method: "INVITE", .response(call.answer(to: toCallee.message))))
        #expect(answer.acks.map(\.callID) == [call.branchCallID(0)])
        let resume = call.step(.request(call.callerRequest("INVITE", cseq: 3, body: CallHarness.sdp(direction: "sendrecv")),
                                        from: .caller, source: CallHarness.callerSource))
        #expect(resume.states == [.resumed] && resume.requests.first?.message["CSeq"] == "3 INVITE")
        // A session refresh that changes nothing is answered and goes no further.
        let refresh = call.step(.request(call.callerRequest("INVITE", cseq: 4, body: CallHarness.sdp(direction: "sendrecv")),
                                         from: .caller, source: CallHarness.callerSource))
        #expect(refresh.responses.map(\.status) == [200] && refresh.requests.isEmpty && refresh.states.isEmpty)
    }

    @Test("re-INVITE from the callee reaches the caller; a caller's re-INVITE while the edge's own is pending gets 491 (glare)")
    func reInviteFromCalleeAndGlare() throws {
        var call = try CallHarness()
        try call.answered()
        let hold = call.step(.request(call.calleeRequest("INVITE", cseq: 2, body: CallHarness.sdp(direction: "sendonly")),
                                      from: .callee, source: CallHarness.calleeSource))
        #expect(hold.responses.map(\.status) == [200])
        let toCaller = try #require(hold.requests.first)
        #expect(toCaller.message["Call-ID"] == "caller-call" && toCaller.replies == .inDialog(.caller, method: "INVITE"))
        #expect(toCaller.message["To"]?.contains("tag=alice") == true)
        let glare = call.step(.request(call.callerRequest("INVITE", cseq: 2, body: CallHarness.sdp(direction: "sendrecv")),
                                       from: .caller, source: CallHarness.callerSource))
        #expect(glare.responses.map(\.status) == [491] && glare.requests.isEmpty)
        let ok = call.step(.inDialog(.caller, method: "INVITE", .response(call.answer(to: toCaller.message))))
        #expect(ok.acks.map(\.callID) == ["caller-call"])
        let after = call.step(.request(call.callerRequest("INVITE", cseq: 3, body: CallHarness.sdp(direction: "sendrecv")),
                                       from: .caller, source: CallHarness.callerSource))
        #expect(after.responses.map(\.status) == [200], "once answered, the caller may change the session again")
    }

    // MARK: Timeouts

    @Test("no routing decision in time: 503; the decision that comes later is ignored")
    func lateRoute() throws {
        var call = try CallHarness()
        let deadline = call.step(.timer(.routeDeadline), after: 2)
        #expect(deadline.toCaller == [503])
        #expect(try #require(deadline.record).cause == "503 no routing decision")
        let late = call.step(.route(CallHarness.route(["1002"])))
        #expect(late.isEmpty, "nothing is rung for a call that is over")
    }

    @Test("sequential plan: a stage rings for its time, is cancelled, the next rings; the plan's total time ends it with its context")
    func stagesAndPlanTimeout() throws {
        var call = try CallHarness()
        var route = CallHarness.route(["1002a", "1002b", "1003"], stages: [0, 0, 1])
        route.strategy = .sequential
        route.totalSeconds = 40
        route.context = "group:sales|"
        let first = call.step(.route(route))
        #expect(first.requests.count == 2, "one user's two devices ring together")
        #expect(first.timers.contains(.planTimeout) && first.timers.contains(.stageTimeout))
        _ = call.step(.branch(0, .response(call.response(180, toBranch: 0))))
        let next = call.step(.timer(.stageTimeout), after: 30)
        #expect(next.requests.map(\.message.method) == ["CANCEL", "INVITE"], "1002a is cancelled, 1003 rings; 1002b waits for a 1xx")
        #expect(next.requests.last?.message["Call-ID"] == call.branchCallID(2))
        _ = call.step(.branch(2, .response(call.response(180, toBranch: 2))))
        let over = call.step(.timer(.planTimeout), after: 10)
        #expect(over.requests.map(\.message.method) == ["CANCEL"])
        #expect(over.toCaller.isEmpty, "the caller waits for routing's next plan")
        let failed = try #require(over.planFailures.first)
        #expect(failed.cause == .noAnswer && failed.context == "group:sales|")
        #expect(over.timers.contains(.routeDeadline))
        // Routing's next plan: the overflow.
        let overflow = call.step(.route(CallHarness.route(["1004"])))
        #expect(overflow.requests.map(\.message.method) == ["INVITE"])
        #expect(overflow.requests.first?.replies == .branch(3))
    }

    @Test("a busy branch makes the plan fail as busy; without a context the caller gets 486")
    func busy() throws {
        var withContext = try CallHarness()
        var route = CallHarness.route(["1002"])
        route.context = "user:1002|"
        _ = withContext.step(.route(route))
        let busy = withContext.step(.branch(0, .response(withContext.response(486, toBranch: 0))))
        #expect(busy.planFailures.map(\.cause) == [.busy] && busy.toCaller.isEmpty)

        var plain = try CallHarness()
        _ = plain.step(.route(CallHarness.route(["1002a", "1002b"])))
        _ = plain.step(.branch(0, .response(plain.response(486, toBranch: 0))))
        #expect(plain.step(.branch(1, .timeout)).toCaller == [486], "busy beats a timeout")
    }

    @Test("a failure is retransmitted over UDP until the caller ACKs it (Timer G), and given up on at Timer H")
    func failureRetransmission() throws {
        var call = try CallHarness()
        let refused = call.step(.route(CallHarness.rejected(404, "Not Found")))
        #expect(refused.toCaller == [404])
        #expect(refused.timers.contains(.caller(.g)) && refused.timers.contains(.caller(.h)))
        #expect(call.step(.timer(.caller(.g)), after: 0.5).toCaller == [404])
        // The INVITE again gets the same answer.
        #expect(call.step(.request(call.setupInvite, from: .caller, source: CallHarness.callerSource)).toCaller == [404])
        #expect(!call.machine.isFinished)
        _ = call.step(.timer(.caller(.h)), after: 32)
        #expect(call.machine.isFinished)
    }

    @Test("a call out refused for a limit is recorded as outbound, to the number in E.164 routing names, not as dialled")
    func refusedCallOut() throws {
        var call = try CallHarness()
        var refusal = CallHarness.rejected(403, "International call limit reached")
        refusal.reject?.direction = .outbound
        refusal.reject?.number = "+4420794600"
        let refused = call.step(.route(refusal))
        #expect(refused.toCaller == [403])
        #expect(refused.record?.direction == .outbound && refused.record?.to == "+4420794600", "\(String(describing: refused.record))")
        var inside = try CallHarness()
        let refusedInside = inside.step(.route(CallHarness.rejected(404, "Not Found")))
        #expect(refusedInside.record?.direction == .internal, "a refused call inside stays internal")
    }

    @Test("a trunk that answers nothing in 5 s is taken for down: the call rings through the next trunk; with none left, the caller gets 503 at once, not at Timer B")
    func silentTrunk() throws {
        let second = SIPTarget(transport: "UDP", host: "127.0.0.3", port: 5060)
        let out = CallRoute(targets: [RouteTarget(uri: "sip:+3725550123@trunk", ringSeconds: 120, via: .trunk)],
                            strategy: .parallel, presentedNumber: "+3726001000", classification: .business, reject: nil)
        var call = try CallHarness(trunks: [CallHarness.trunk, second])
        let routed = call.step(.route(out))
        #expect(routed.requests.first?.target == CallHarness.trunk)
        #expect(routed.startedTimers.contains { $0.0 == .trunkSilent(branch: 0) && $0.1 == .seconds(5) })
        let retried = call.step(.timer(.trunkSilent(branch: 0)), after: 5)
        #expect(retried.requests.map(\.target) == [second], "the next trunk")
        #expect(retried.toCaller.isEmpty, "the caller waits on")
        _ = call.step(.branch(1, .response(call.response(180, toBranch: 1))))
        #expect(call.step(.timer(.trunkSilent(branch: 1)), after: 5).requests.isEmpty, "a trunk that answered is not silent")

        // The only trunk is silent, and then down for the next call too.
        var lone = try CallHarness()
        _ = lone.step(.route(out))
        #expect(lone.step(.timer(.trunkSilent(branch: 0)), after: 5).toCaller == [503])
    }

    @Test("over TCP a failure is not retransmitted, and the call is done once the ACK comes")
    func failureOverTCP() throws {
        var call = try CallHarness(transport: "TCP")
        let refused = call.step(.route(CallHarness.rejected(404, "Not Found")))
        #expect(!refused.timers.contains(.caller(.g)))
        let ack = call.step(.request(call.callerRequest("ACK", cseq: 1), from: .caller, source: CallHarness.callerSource))
        #expect(ack.timers == [.caller(.i)])
        _ = call.step(.timer(.caller(.i)))
        #expect(call.machine.isFinished)
    }

    @Test("the 2xx is sent again at T1 doubling to T2 until the ACK; with no ACK for 64·T1 the call is hung up")
    func answerWithoutAck() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.route(["1002"])))
        _ = call.step(.branch(0, .response(call.answer(fromBranch: 0))))
        var intervals: [Duration] = []
        var ended: [CallAction] = []
        for _ in 0..<20 {
            let step = call.step(.timer(.answerRetransmit))
            if step.record != nil {
                ended = step
                break
            }
            #expect(step.toCaller == [200])
            intervals += step.startedTimers.compactMap { $0.0 == .answerRetransmit ? $0.1 : nil }
        }
        #expect(intervals.prefix(4) == [.seconds(1), .seconds(2), .seconds(4), .seconds(4)])
        #expect(ended.requests.map(\.message.method) == ["BYE", "BYE"])
        #expect(ended.record?.cause == "no ACK")
        #expect(call.machine.isFinished)
    }

    @Test("no media from either side for the media timeout: the edge hangs up; while on hold it does not check")
    func mediaTimeout() throws {
        var call = try CallHarness()
        try call.answered()
        let early = call.step(.timer(.mediaCheck), after: 10)
        #expect(!early.contains { if case .probeMedia = $0 { true } else { false } }, "not before the timeout has passed")
        let late = call.step(.timer(.mediaCheck), after: 60)
        #expect(late.contains { if case .probeMedia(let quiet) = $0 { quiet == .seconds(60) } else { false } })
        #expect(late.timers.contains(.mediaCheck))
        let quiet = call.step(.mediaQuiet)
        #expect(quiet.requests.map(\.message.method) == ["BYE", "BYE"] && quiet.record?.cause == "media timeout")
    }

    @Test("drain: a call still ringing is refused 503, an answered one is hung up on both legs")
    func terminate() throws {
        var ringing = try CallHarness()
        _ = ringing.step(.route(CallHarness.route(["1002"])))
        _ = ringing.step(.branch(0, .response(ringing.response(180, toBranch: 0))))
        let refused = ringing.step(.terminate(reason: "edge shutdown"))
        #expect(refused.toCaller == [503] && refused.requests.map(\.message.method) == ["CANCEL"])
        #expect(refused.record?.cause == "edge shutdown")
        var answered = try CallHarness()
        try answered.answered()
        let hungUp = answered.step(.terminate(reason: "edge shutdown"))
        #expect(hungUp.requests.map(\.message.method) == ["BYE", "BYE"] && hungUp.record?.cause == "edge shutdown")
        #expect(answered.step(.terminate(reason: "edge shutdown")).isEmpty, "once")
    }

    // MARK: Targets and identities

    @Test("a device whose TCP flow is gone is reached at its Contact; an outbound call through the trunk presents the number")
    func targets() throws {
        var call = try CallHarness(connected: false)
        let route = CallRoute(targets: [RouteTarget(uri: "sip:1002@10.0.0.9:5080;transport=tcp", ringSeconds: 30,
                                                    via: .address("tcp:127.0.0.1:40001"))],
                              strategy: .parallel, presentedNumber: nil, classification: .business, reject: nil)
        let invite = try #require(call.step(.route(route)).requests.first)
        #expect(invite.target.host == "10.0.0.9" && invite.target.port == 5080 && invite.target.transport == "TCP")

        var outbound = try CallHarness()
        let trunkRoute = CallRoute(targets: [RouteTarget(uri: "sip:+3725550123@trunk", ringSeconds: 120, via: .trunk)],
                                   strategy: .parallel, presentedNumber: "+3726001000", classification: .private, reject: nil)
        let out = try #require(outbound.step(.route(trunkRoute)).requests.first)
        #expect(out.target == CallHarness.trunk)
        #expect(out.message.requestURI == "sip:+3725550123@127.0.0.2:5060")
        #expect(out.message["P-Asserted-Identity"] == "<sip:+3726001000@127.0.0.2>")
        #expect(out.message["From"]?.contains("sip:+3726001000@127.0.0.2") == true)
        _ = outbound.step(.branch(0, .response(outbound.answer(fromBranch: 0))))
        let bye = outbound.step(.request(outbound.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource))
        let record = try #require(bye.record)
        #expect(record.direction == .outbound && record.classification == .private)
        #expect(record.from == "+3726001000" && record.to == "+3725550123")
    }

    @Test("the first steps: 100 Trying, the offer and the offered state, the live-call row, the routing deadline")
    func start() throws {
        var call = try CallHarness()
        let first = call.started
        #expect(first.toCaller == [100])
        #expect(first.states == [.offered])
        #expect(first.contains { if case .publish(.offered(let offer)) = $0 { offer.origin == .device && offer.dialled == "1002" } else { false } })
        #expect(first.contains { if case .journal(.started(.internal, _)) = $0 { true } else { false } })
        #expect(first.timers == [.routeDeadline])
        // The caller's INVITE again while routing decides: 100 again.
        #expect(call.step(.request(call.setupInvite, from: .caller, source: CallHarness.callerSource)).toCaller == [100])
    }

    // MARK: Applications

    @Test("a route into an application: the edge answers itself, listens for keys, and says app-started")
    func answerIntoApplication() throws {
        var call = try CallHarness()
        let started = call.step(.route(CallHarness.application("ivr", "main")), after: 1)
        #expect(started.toCaller == [200] && started.requests.isEmpty)
        #expect(started.contains { if case .listenForKeys = $0 { true } else { false } })
        #expect(started.contains { if case .publish(.applicationStarted(let app)) = $0 { app.application.description == "ivr:main" } else { false } })
        #expect(started.states == [.answered])
        let bye = call.step(.request(call.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource), after: 30)
        #expect(bye.responses.map(\.status) == [200])
        #expect(bye.record?.billableSeconds == 30 && bye.record?.cause == "normal")
    }

    @Test("play with barge-in, then collect: a key stops the prompt, is reported with its source, and completes the collection")
    func playAndCollect() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("ivr", "main")))
        let play = call.step(.application(.play(CallPlay(operation: "greeting", items: [.beep], loop: false, bargeIn: true))))
        guard case .startPlayback(let items, false, let number)? = play.first else {
            Issue.record("no playback: \(play)")
            return
        }
        #expect(items == [.beep])
        let collect = call.step(.application(.collect(CallCollect(operation: "choice", maxDigits: 2, firstDigitTimeoutMs: 5000,
                                                                 interDigitTimeoutMs: 2000, terminators: "#"))))
        #expect(collect.startedTimers.isEmpty, "the first-key time starts when the prompt ends")
        let first = call.step(.key(.one, .rfc4733))
        #expect(first.keys == [CallDTMF(key: "1", source: .rfc4733)])
        #expect(first.contains { if case .stopPlayback = $0 { true } else { false } })
        #expect(first.playFinished.map(\.reason) == [.bargeIn])
        #expect(first.startedTimers.first { $0.0 == .collectTimeout }?.1 == .seconds(2), "now the inter-digit timeout")
        // The playback's own end after it was interrupted is not taken for anything.
        #expect(call.step(.playbackEnded(number)).isEmpty)
        let second = call.step(.key(.two, .inband))
        #expect(second.collectFinished == [CallCollectFinished(operation: "choice", digits: "12", reason: .maxDigits)])
        #expect(second.cancelled.contains(.collectTimeout))
    }

    @Test("played and collected together, the caller has the first-key time after the prompt: the timer starts when it ends or is stopped")
    func firstKeyTimeAfterThePrompt() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("ivr", "main")))
        let play = call.step(.application(.play(CallPlay(operation: "menu", items: [.beep], loop: false, bargeIn: true))))
        guard case .startPlayback(_, _, let number)? = play.first else {
            Issue.record("no playback: \(play)")
            return
        }
        let collect = CallCollect(operation: "menu", maxDigits: 1, firstDigitTimeoutMs: 4000, interDigitTimeoutMs: 2000, terminators: "")
        #expect(call.step(.application(.collect(collect))).startedTimers.isEmpty)
        let ended = call.step(.playbackEnded(number), after: 3)
        #expect(ended.playFinished.map(\.reason) == [.completed])
        #expect(ended.startedTimers.map(\.1) == [.seconds(4)], "the menu's time counts from the end of the prompt")
        #expect(call.step(.timer(.collectTimeout), after: 4).collectFinished.map(\.reason) == [.noInput])

        _ = call.step(.application(.play(CallPlay(operation: "again", items: [.beep], loop: true, bargeIn: true))))
        _ = call.step(.application(.collect(collect)))
        #expect(call.step(.application(.stop)).collectFinished.map(\.reason) == [.stopped])
    }

    @Test("collect ends on a terminator, on no input, and on an inter-digit timeout; keys also come as SIP INFO")
    func collectEndings() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("ivr", "main")))
        let collect = CallCollect(operation: "pin", maxDigits: 6, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 2000, terminators: "#")
        _ = call.step(.application(.collect(collect)))
        var info = call.callerRequest("INFO", cseq: 2, body: "Signal=4\r\nDuration=160\r\n")
        info.set("Content-Type", "application/dtmf-relay")
        let viaInfo = call.step(.request(info, from: .caller, source: CallHarness.callerSource))
        #expect(viaInfo.responses.map(\.status) == [200] && viaInfo.keys == [CallDTMF(key: "4", source: .info)])
        let ended = call.step(.key(.pound, .rfc4733))
        #expect(ended.collectFinished == [CallCollectFinished(operation: "pin", digits: "4", reason: .terminator)])

        _ = call.step(.application(.collect(collect)))
        #expect(call.step(.timer(.collectTimeout), after: 5).collectFinished.map(\.reason) == [.noInput])
        _ = call.step(.application(.collect(collect)))
        _ = call.step(.key(.nine, .inband))
        #expect(call.step(.timer(.collectTimeout), after: 2).collectFinished == [CallCollectFinished(operation: "pin", digits: "9", reason: .interDigitTimeout)])
    }

    @Test("keys typed between two collections go to the next one, and stop its prompt; keys a recording took or a prompt stopped for are not kept")
    func typeAhead() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("voicemail", "")))
        let pin = CallCollect(operation: "pin", maxDigits: 6, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 2000, terminators: "#")
        _ = call.step(.application(.collect(pin)))
        #expect(call.step(.key(.one, .rfc4733)).collectFinished.isEmpty)
        #expect(call.step(.key(.pound, .rfc4733)).collectFinished.map(\.digits) == ["1"])
        // The caller goes on before the application asks again: the keys are reported and kept.
        for key in [DTMFKey.four, .two, .pound, .nine] {
            #expect(call.step(.key(key, .rfc4733)).keys == [CallDTMF(key: String(key.character), source: .rfc4733)])
        }
        _ = call.step(.application(.play(CallPlay(operation: "again", items: [.beep], loop: false, bargeIn: true))))
        let asked = call.step(.application(.collect(pin)))
        #expect(asked.playFinished.map(\.reason) == [.bargeIn], "a typed-ahead key stops the prompt as a key pressed during it would")
        #expect(asked.collectFinished == [CallCollectFinished(operation: "pin", digits: "42", reason: .terminator)])
        let next = call.step(.application(.collect(pin)))
        #expect(next.collectFinished.isEmpty, "the 9 after the # is the next collection's first key")
        #expect(call.step(.key(.pound, .rfc4733)).collectFinished.map(\.digits) == ["9"])

        // A recording's end key ends it and is not kept; neither is a key that stopped a prompt.
        _ = call.step(.application(.record(CallRecordAudio(operation: "greeting", recordingId: "r", direction: .caller, maxSeconds: 60,
                                                           silenceSeconds: 5, endKeys: "#"))))
        _ = call.step(.key(.three, .rfc4733))
        #expect(call.step(.key(.pound, .rfc4733)).recordingEnds.map(\.reason) == [.key])
        _ = call.step(.application(.play(CallPlay(operation: "saved", items: [.beep], loop: false, bargeIn: true))))
        _ = call.step(.key(.five, .rfc4733))
        #expect(call.step(.application(.collect(pin))).collectFinished.isEmpty)
        #expect(call.step(.timer(.collectTimeout), after: 5).collectFinished.map(\.digits) == [""])
    }

    @Test("a looped prompt plays until stopped; a new play replaces the old (stopped); a missing prompt fails the play")
    func playbackEndings() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("announcement", "closed")))
        _ = call.step(.application(.play(CallPlay(operation: "a", items: [.ringback(seconds: 5)], loop: true, bargeIn: false))))
        let replaced = call.step(.application(.play(CallPlay(operation: "b", items: [.beep], loop: false, bargeIn: false))))
        #expect(replaced.playFinished == [CallPlayFinished(operation: "a", reason: .stopped)])
        guard case .startPlayback(_, _, let number)? = replaced.first(where: { if case .startPlayback = $0 { true } else { false } }) else {
            Issue.record("no playback")
            return
        }
        #expect(call.step(.key(.five, .rfc4733)).playFinished.isEmpty, "no barge-in asked for")
        #expect(call.step(.playbackEnded(number)).playFinished == [CallPlayFinished(operation: "b", reason: .completed)])
        _ = call.step(.application(.play(CallPlay(operation: "c", items: [.prompt(sha256: String(repeating: "0", count: 64))],
                                                  loop: false, bargeIn: false))))
        #expect(call.step(.playbackFailed(number + 1)).playFinished == [CallPlayFinished(operation: "c", reason: .failed)])
        let stop = call.step(.application(.stop))
        #expect(stop.playFinished.isEmpty, "nothing left to stop")
        let hangUp = call.step(.application(.hangUp(cause: "announcement played")))
        #expect(hangUp.requests.map(\.message.method) == ["BYE"] && hangUp.record?.cause == "announcement played")
    }

    @Test("transfer out of an application: routing is asked, the caller hears ringback, the callee's answer is bridged without a second 200")
    func transfer() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("ivr", "main")), after: 1)
        _ = call.step(.request(call.callerRequest("ACK", cseq: 1), from: .caller, source: CallHarness.callerSource))
        _ = call.step(.application(.play(CallPlay(operation: "menu", items: [.beep], loop: true, bargeIn: true))))
        let asked = call.step(.application(.transfer(destination: "user:1002")))
        #expect(asked.playFinished.map(\.reason) == [.stopped])
        #expect(asked.contains { if case .publish(.transferRequested(let request)) = $0 { request.destination == "user:1002" } else { false } })
        #expect(asked.timers.contains(.routeDeadline))
        let ringing = call.step(.route(CallHarness.route(["1002"])))
        #expect(ringing.requests.map(\.message.method) == ["INVITE"])
        #expect(ringing.contains { if case .startPlayback(let items, true, _) = $0 { items == [.ringback(seconds: 120)] } else { false } })
        #expect(call.step(.branch(0, .response(call.response(180, toBranch: 0)))).toCaller.isEmpty, "no 180 after the 200")
        let answered = call.step(.branch(0, .response(call.answer(fromBranch: 0))), after: 5)
        #expect(answered.toCaller.isEmpty, "the caller was answered by the application")
        #expect(answered.contains { if case .stopPlayback = $0 { true } else { false } })
        #expect(answered.media.map(\.0) == [.callee])
        #expect(call.isAnswered)
        let bye = call.step(.request(call.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource), after: 10)
        #expect(bye.record?.billableSeconds == 15, "billed from the application's answer")
    }

    @Test("a transfer nobody answers: the answered caller gets a BYE, not a failure response")
    func transferFails() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("ivr", "main")))
        _ = call.step(.application(.transfer(destination: "user:1002")))
        _ = call.step(.route(CallHarness.route(["1002"])))
        let busy = call.step(.branch(0, .response(call.response(486, toBranch: 0))))
        #expect(busy.toCaller.isEmpty)
        #expect(busy.requests.map(\.message.method) == ["BYE"] && busy.requests.first?.message["Call-ID"] == "caller-call")
        #expect(busy.record?.cause.hasPrefix("486") == true)
    }

    @Test("application commands for a call not in an application are ignored")
    func commandsOutsideApplication() throws {
        var call = try CallHarness()
        #expect(call.step(.application(.play(CallPlay(operation: "x", items: [.beep], loop: false, bargeIn: false)))).isEmpty)
        try call.answered()
        #expect(call.step(.application(.hangUp(cause: "x"))).isEmpty)
        #expect(call.step(.key(.one, .rfc4733)).isEmpty)
    }

    // MARK: Recording

    @Test("record: the edge names the recording when the application does not; an end key ends it (and is still a dtmf); a new record replaces the old")
    func recordEndsOnKey() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("voicemail", "1001")))
        let message = CallRecordAudio(operation: "deposit", recordingId: nil, direction: .caller, maxSeconds: 60, silenceSeconds: 5, endKeys: "#*")
        let started = call.step(.application(.record(message)))
        #expect(started.recordingStarts.map(\.id) == ["0-test-r1"])
        #expect(started.recordingStarts.first?.command == message)
        #expect(call.step(.key(.five, .rfc4733)).recordingEnds.isEmpty, "not an end key")
        let pound = call.step(.key(.pound, .info))
        #expect(pound.keys == [CallDTMF(key: "#", source: .info)])
        #expect(pound.recordingEnds == [RecordingEnd(operation: "deposit", recordingId: "0-test-r1", reason: .key, key: "#")])
        #expect(call.step(.key(.star, .rfc4733)).recordingEnds.isEmpty, "over already")

        var named = message
        named.recordingId = "vm-42"
        _ = call.step(.application(.record(named)))
        let replaced = call.step(.application(.record(message)))
        #expect(replaced.recordingEnds == [RecordingEnd(operation: "deposit", recordingId: "vm-42", reason: .stopped)])
        #expect(replaced.recordingStarts.map(\.id) == ["0-test-r3"])
        let stopped = try #require(replaced.firstIndex { if case .stopRecording = $0 { true } else { false } })
        let startedAgain = try #require(replaced.firstIndex { if case .startRecording = $0 { true } else { false } })
        #expect(stopped < startedAgain, "the old recording ends before the new one starts")
    }

    @Test("record ends on call.stop, on the media's max length or silence (a replaced recording's limit is ignored), and at the hangup before the media closes")
    func recordEndings() throws {
        var call = try CallHarness()
        _ = call.step(.route(CallHarness.application("ivr", "main")))
        let message = CallRecordAudio(operation: "r", recordingId: "rec", direction: .both, maxSeconds: 3, silenceSeconds: 0, endKeys: "")
        _ = call.step(.application(.record(message)))
        _ = call.step(.application(.play(CallPlay(operation: "p", items: [.beep], loop: true, bargeIn: false))))
        let stop = call.step(.application(.stop))
        #expect(stop.recordingEnds.map(\.reason) == [.stopped] && stop.playFinished.map(\.reason) == [.stopped])

        _ = call.step(.application(.record(message)))
        #expect(call.step(.recordingLimit(1, .maxLength)).isEmpty, "the first recording's limit, too late")
        #expect(call.step(.recordingLimit(2, .maxLength)).recordingEnds.map(\.reason) == [.maxLength])
        #expect(call.step(.recordingLimit(2, .maxLength)).isEmpty, "ended once")
        _ = call.step(.application(.record(message)))
        #expect(call.step(.recordingLimit(3, .silence)).recordingEnds.map(\.reason) == [.silence])

        _ = call.step(.application(.record(message)))
        let bye = call.step(.request(call.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource))
        #expect(bye.recordingEnds == [RecordingEnd(operation: "r", recordingId: "rec", reason: .hangup)])
        let stopIndex = try #require(bye.firstIndex { if case .stopRecording = $0 { true } else { false } })
        let closeIndex = try #require(bye.firstIndex { if case .closeMedia = $0 { true } else { false } })
        #expect(stopIndex < closeIndex, "the final chunk is cut before the media closes")
        #expect(bye.record?.cause == "normal")
    }

    @Test("a transfer stops the recording; record outside an application is ignored")
    func recordAndTransfer() throws {
        var call = try CallHarness()
        let message = CallRecordAudio(operation: "r", recordingId: nil, direction: .caller, maxSeconds: 10, silenceSeconds: 0, endKeys: "#")
        #expect(call.step(.application(.record(message))).isEmpty)
        _ = call.step(.route(CallHarness.application("ivr", "main")))
        _ = call.step(.application(.record(message)))
        let transfer = call.step(.application(.transfer(destination: "user:1002")))
        #expect(transfer.recordingEnds.map(\.reason) == [.stopped])
        #expect(call.step(.key(.pound, .rfc4733)).isEmpty, "out of the application")
    }

    @Test("an offer without G.711 is refused 488")
    func noG711() {
        #expect(throws: SIPParseError.self) { try CallHarness(sdp: CallHarness.sdp(formats: "8 9", rtpmap: "a=rtpmap:9 G722/8000\r\n", only: "9")) }
    }
}

/// A call machine on a timeline the test moves.
extension CallMachineTests {
    static let plan = RecordingPlan(number: "+3726001000", direction: .inbound, user: "1002", retentionDays: 60, notice: true,
                                    noticeSha256: String(repeating: "ab", count: 32))

    static func recorded(_ plan: RecordingPlan?, users: [String] = ["1002"]) -> CallRoute {
        var route = CallHarness.route(users)
        route.recording = plan
        return route
    }

    @Test("a recorded call: the notice plays to both once bridged, then the tap starts and is named in an event; the hangup stops it before the media closes; the CDR names it")
    func noticeThenTap() throws {
        var call = try CallHarness()
        _ = call.step(.route(Self.recorded(Self.plan)))
        let answered = call.step(.branch(0, .response(call.answer(fromBranch: 0))), after: 2)
        #expect(answered.notices == [Self.plan.noticeSha256!], "the notice, nothing captured yet")
        #expect(answered.taps.isEmpty)
        #expect(call.step(.noticeEnded(7)).taps.isEmpty, "another notice's end changes nothing")

        let tapped = call.step(.noticeEnded(1), after: 1.5)
        let started = try #require(tapped.taps.first)
        #expect(started.recordingId == "0-test-c1" && started.plan == Self.plan && started.caller == "1001" && started.callee == "1002")
        #expect(started.startedAt == call.now)
        #expect(tapped.contains { if case .publish(.recordingStarted(started)) = $0 { true } else { false } })

        let bye = call.step(.request(call.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource), after: 30)
        let stop = try #require(bye.firstIndex { if case .stopTap = $0 { true } else { false } })
        let close = try #require(bye.firstIndex { if case .closeMedia = $0 { true } else { false } })
        #expect(stop < close, "the final chunk before the media closes")
        #expect(bye.record?.recording == CallRecordingNote(outcome: .recorded, recordingId: "0-test-c1", reason: nil))
    }

    @Test("fail closed: a notice that cannot be played, or none to play, means no tap; the event and the CDR say why")
    func noticeFails() throws {
        var call = try CallHarness()
        _ = call.step(.route(Self.recorded(Self.plan)))
        _ = call.step(.branch(0, .response(call.answer(fromBranch: 0))))
        let failed = call.step(.noticeFailed(1))
        #expect(failed.taps.isEmpty)
        #expect(failed.contains {
            if case .publish(.recordingFailed(CallRecordingFailed(number: "+3726001000", reason: .noticeUnavailable))) = $0 { true } else { false }
        })
        #expect(call.step(.noticeEnded(1)).taps.isEmpty, "a late end does not start it")

        var hungUp = try CallHarness()
        _ = hungUp.step(.route(Self.recorded(Self.plan)))
        _ = hungUp.step(.branch(0, .response(hungUp.answer(fromBranch: 0))))
        let early = hungUp.step(.request(hungUp.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource))
        #expect(early.record?.recording == CallRecordingNote(outcome: .failed, recordingId: nil, reason: "ended-during-notice"))
        #expect(hungUp.step(.noticeEnded(1)).taps.isEmpty, "the notice's end after the hangup starts nothing")
        let bye = call.step(.request(call.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource))
        #expect(!bye.contains { if case .stopTap = $0 { true } else { false } })
        #expect(bye.record?.recording == CallRecordingNote(outcome: .failed, recordingId: nil, reason: "notice-unavailable"))

        var unannounced = try CallHarness()
        var plan = Self.plan
        plan.noticeSha256 = nil
        _ = unannounced.step(.route(Self.recorded(plan)))
        let bridged = unannounced.step(.branch(0, .response(unannounced.answer(fromBranch: 0))))
        #expect(bridged.notices.isEmpty && bridged.taps.isEmpty)
        #expect(bridged.contains { if case .publish(.recordingFailed) = $0 { true } else { false } })
    }

    @Test("a recorded number's call into the IVR is recorded once the menu hands it to a person: the notice to both, then the tap; nothing while in the menu")
    func recordedAfterTransfer() throws {
        var call = try CallHarness()
        var menu = CallHarness.application("ivr", "main")
        menu.recording = Self.plan
        let inMenu = call.step(.route(menu))
        #expect(inMenu.notices.isEmpty && inMenu.taps.isEmpty, "an application is not a bridged call")
        _ = call.step(.request(call.callerRequest("ACK", cseq: 1), from: .caller, source: CallHarness.callerSource))
        _ = call.step(.application(.transfer(destination: "user:1002")))
        _ = call.step(.route(CallHarness.route(["1002"])))  // the menu's choice: its plan carries no recording of its own
        let bridged = call.step(.branch(0, .response(call.answer(fromBranch: 0))))
        let stop = try #require(bridged.firstIndex { if case .stopPlayback = $0 { true } else { false } })
        let notice = try #require(bridged.firstIndex { if case .playNotice = $0 { true } else { false } })
        #expect(stop < notice, "the ringback stops, then both hear the notice")
        #expect(call.step(.noticeEnded(1)).taps.map(\.recordingId) == ["0-test-c1"])
    }

    @Test("without the notice the tap starts at the bridge; a forwarding plan keeps the first plan's recording; a call not recorded has no note")
    func tapWithoutNotice() throws {
        var call = try CallHarness()
        var plan = Self.plan
        plan.notice = false
        plan.noticeSha256 = nil
        var first = Self.recorded(plan)
        first.context = "user:1002"
        _ = call.step(.route(first))
        _ = call.step(.branch(0, .response(call.response(486, toBranch: 0))))
        _ = call.step(.route(Self.recorded(nil, users: ["1003"])))  // the busy forwarding's plan
        let bridged = call.step(.branch(1, .response(call.answer(fromBranch: 1))))
        #expect(bridged.notices.isEmpty)
        #expect(bridged.taps.map(\.recordingId) == ["0-test-c1"])

        var plain = try CallHarness()
        try plain.answered()
        let bye = plain.step(.request(plain.callerRequest("BYE", cseq: 2), from: .caller, source: CallHarness.callerSource))
        #expect(try #require(bye.record).recording == nil)
    }
}

struct CallHarness {
    static let callerSource = SIPSource(host: "127.0.0.1", port: 5070, transport: "UDP")
    static let calleeSource = SIPSource(host: "127.0.0.1", port: 5072, transport: "UDP")
    static let trunk = SIPTarget(transport: "UDP", host: "127.0.0.2", port: 5060)

    var machine: CallMachine
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    let setupInvite: SIPMessage
    let started: [CallAction]

    init(transport: String = "UDP", connected: Bool = true, sdp: String = CallHarness.sdp(), trunks: [SIPTarget] = [CallHarness.trunk]) throws {
        var invite = SIPMessage(startLine: .request(method: "INVITE", uri: "sip:1002@demo.localhost"))
        invite.add("Via", "SIP/2.0/\(transport) 127.0.0.1:5070;branch=z9hG4bKcaller;received=127.0.0.1;rport=5070")
        invite.add("Max-Forwards", "70")
        invite.add("From", "\"Alice\" <sip:1001@demo.localhost>;tag=alice")
        invite.add("To", "<sip:1002@demo.localhost>")
        invite.add("Call-ID", "caller-call")
        invite.add("CSeq", "1 INVITE")
        invite.add("Contact", "<sip:1001@127.0.0.1:5070>")
        invite.add("Content-Type", "application/sdp")
        invite.body = Array(sdp.utf8)
        setupInvite = invite
        let setup = CallSetup(
            id: "0-test", tenant: EdgeTenant(slug: try TenantSlug("demo"), sipDomain: "demo.localhost", status: .active),
            origin: .device, invite: invite, source: SIPSource(host: "127.0.0.1", port: 5070, transport: transport),
            offer: try SessionDescription.parse(invite.body), callerIdentity: try #require(NameAddress("\"Alice\" <sip:1001@demo.localhost>")),
            callerExtension: "1001", dialled: "1002")
        let settings = CallSettings(edge: EdgeAddress(host: "127.0.0.1", port: 5060), edgeOrdinal: 0, trunks: Trunks(trunks),
                                    routeTimeout: .seconds(2), mediaTimeout: .seconds(60), isConnected: { _ in connected })
        machine = try CallMachine(setup: setup, settings: settings, mediaPorts: (40_000, 40_002), now: now)
        started = machine.start()
    }

    mutating func step(_ input: CallInput, after seconds: Double = 0) -> [CallAction] {
        now += seconds
        return machine.handle(input, now: now)
    }

    var isAnswered: Bool { if case .answered = machine.phase { true } else { false } }

    /// Routed to one target, answered by it and ACKed by the caller.
    mutating func answered() throws {
        _ = step(.route(Self.route(["1002"])))
        _ = step(.branch(0, .response(response(180, toBranch: 0))))
        _ = step(.branch(0, .response(answer(fromBranch: 0))))
        _ = step(.request(callerRequest("ACK", cseq: 1), from: .caller, source: Self.callerSource))
        #expect(isAnswered)
    }

    static func route(_ users: [String], stages: [Int]? = nil) -> CallRoute {
        let targets = users.enumerated().map { index, user in
            RouteTarget(uri: "sip:\(user)@127.0.0.1:\(5072 + index)", ringSeconds: 30, via: .address("udp:127.0.0.1:\(5072 + index)"),
                        stage: stages?[index], member: String(user.prefix(4)))
        }
        return CallRoute(targets: targets, strategy: .parallel, presentedNumber: nil, classification: .business, reject: nil)
    }

    static func rejected(_ status: Int, _ reason: String) -> CallRoute {
        CallRoute(targets: [], strategy: .parallel, presentedNumber: nil, classification: .business,
                  reject: RouteRejection(status: status, reason: reason))
    }

    static func application(_ kind: String, _ name: String) -> CallRoute {
        CallRoute(targets: [], strategy: .parallel, presentedNumber: nil, classification: .business, reject: nil,
                  application: CallApplication(kind: CallApplication.Kind(rawValue: kind)!, name: name))
    }

    static func sdp(direction: String = "sendrecv", formats: String = "0 101", rtpmap: String = "a=rtpmap:0 PCMU/8000\r\n",
                    only: String? = nil) -> String {
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP \(only ?? formats)\r\n"
            + rtpmap + (only == nil ? "a=rtpmap:101 telephone-event/8000\r\n" : "") + "a=\(direction)\r\n"
    }

    func branchCallID(_ index: Int) -> String { "0-test.\(index)" }

    /// The INVITE the machine sent to a branch.
    func invite(ofBranch index: Int) -> SIPMessage { machine.branches[index].invite }

    func response(_ status: Int, toBranch index: Int) -> SIPMessage {
        invite(ofBranch: index).response(status, toTag: status == 100 ? nil : "callee\(index)")
    }

    func answer(fromBranch index: Int, toTag: String? = nil) -> SIPMessage {
        var ok = invite(ofBranch: index).response(200, toTag: toTag ?? "callee\(index)")
        ok.add("Contact", "<sip:1002@127.0.0.1:\(5072 + index)>")
        ok.add("Content-Type", "application/sdp")
        ok.body = Array(Self.sdp().utf8)
        return ok
    }

    func answer(to request: SIPMessage) -> SIPMessage {
        var ok = request.response(200)
        ok.add("Content-Type", "application/sdp")
        ok.body = Array(Self.sdp().utf8)
        return ok
    }

    /// A request from the caller in its dialog with the edge.
    func callerRequest(_ method: String, cseq: Int, toTag: Bool = true, body: String = "") -> SIPMessage {
        var request = SIPMessage(startLine: .request(method: method, uri: "sip:edge@127.0.0.1:5060"))
        request.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK\(method)\(cseq)")
        request.add("From", "\"Alice\" <sip:1001@demo.localhost>;tag=alice")
        // The machine finds the dialog by Call-ID; a To-tag tells an in-dialog request from the INVITE again.
        request.add("To", toTag ? "<sip:1002@demo.localhost>;tag=edge" : "<sip:1002@demo.localhost>")
        request.add("Call-ID", "caller-call")
        request.add("CSeq", "\(cseq) \(method)")
        if !body.isEmpty {
            request.add("Content-Type", "application/sdp")
            request.body = Array(body.utf8)
        }
        return request
    }

    /// A request from a branch's callee in its dialog with the edge.
    func calleeRequest(_ method: String, cseq: Int, branch index: Int = 0, body: String = "") -> SIPMessage {
        let dialog = machine.branches[index].dialog
        var request = SIPMessage(startLine: .request(method: method, uri: "sip:edge@127.0.0.1:5060"))
        request.add("Via", "SIP/2.0/UDP 127.0.0.1:5072;branch=z9hG4bKcallee\(method)\(cseq)")
        request.add("From", "<sip:1002@demo.localhost>;tag=callee\(index)")
        request.add("To", "\(dialog.localURI);tag=\(dialog.localTag)")
        request.add("Call-ID", dialog.callID)
        request.add("CSeq", "\(cseq) \(method)")
        if !body.isEmpty {
            request.add("Content-Type", "application/sdp")
            request.body = Array(body.utf8)
        }
        return request
    }
}

extension [CallAction] {
    /// Statuses of the responses to the caller's INVITE.
    var toCaller: [Int] {
        compactMap { if case .send(let message, _) = $0, message["CSeq"]?.hasSuffix("INVITE") == true { message.status } else { nil } }
    }

    var acks: [(callID: String, message: SIPMessage)] {
        compactMap { if case .send(let message, _) = $0, message.method == "ACK" { (message["Call-ID"] ?? "", message) } else { nil } }
    }

    /// Answers to in-dialog requests.
    var responses: [SIPMessage] {
        compactMap { if case .respond(let response, _, _) = $0 { response } else { nil } }
    }

    var requests: [(message: SIPMessage, target: SIPTarget, replies: CallAction.Replies)] {
        compactMap { if case .request(let message, let target, let replies) = $0 { (message, target, replies) } else { nil } }
    }

    var startedTimers: [(CallTimer, Duration)] {
        compactMap { if case .start(let timer, let duration) = $0 { (timer, duration) } else { nil } }
    }

    var timers: [CallTimer] { startedTimers.map(\.0) }

    var cancelled: [CallTimer] { compactMap { if case .cancel(let timer) = $0 { timer } else { nil } } }

    var states: [CallState] {
        compactMap { if case .publish(.state(let change)) = $0 { change.state } else { nil } }
    }

    var planFailures: [CallPlanFailed] {
        compactMap { if case .publish(.planFailed(let failure)) = $0 { failure } else { nil } }
    }

    var journal: [JournalEntry] { compactMap { if case .journal(let entry) = $0 { entry } else { nil } } }

    var record: CallRecord? {
        journal.lazy.compactMap { if case .ended(let record) = $0 { record } else { nil } }.first
    }

    var keys: [CallDTMF] { compactMap { if case .publish(.key(let key)) = $0 { key } else { nil } } }

    var playFinished: [CallPlayFinished] {
        compactMap { if case .publish(.playFinished(let finished)) = $0 { finished } else { nil } }
    }

    var collectFinished: [CallCollectFinished] {
        compactMap { if case .publish(.collectFinished(let finished)) = $0 { finished } else { nil } }
    }

    var recordingStarts: [(command: CallRecordAudio, id: String, number: Int)] {
        compactMap { if case .startRecording(let command, let id, let number) = $0 { (command, id, number) } else { nil } }
    }

    var recordingEnds: [RecordingEnd] { compactMap { if case .stopRecording(let end) = $0 { end } else { nil } } }

    /// The notices the machine asked to play, by prompt.
    var notices: [String] { compactMap { if case .playNotice(let sha256, _) = $0 { sha256 } else { nil } } }

    var taps: [CallRecordingStarted] { compactMap { if case .startTap(let started) = $0 { started } else { nil } } }

    var media: [(Party, SessionDescription)] {
        compactMap { if case .configureMedia(let party, let session) = $0 { (party, session) } else { nil } }
    }
}
