import Events
import Foundation
import Logging
import Messaging
import NIOCore
import SIP
import Tenancy

/// What the edge knows of a new call when it creates it.
struct CallSetup: Sendable {
    let id: String
    let tenant: EdgeTenant
    /// "device" or "trunk".
    let origin: String
    /// The caller's INVITE, its top Via stamped with received/rport.
    let invite: SIPMessage
    let source: SIPSource
    let offer: SessionDescription
    /// The caller as the callee sees it: `"Name" <sip:1001@domain>` or a number from the trunk.
    let callerIdentity: NameAddress
    let callerExtension: String?
    let dialled: String
}

enum Party: String, Sendable {
    case caller, callee
    var other: Party { self == .caller ? .callee : .caller }
    var mediaLeg: Int { self == .caller ? 0 : 1 }
}

enum CallTimer: Hashable, Sendable {
    case routeDeadline
    /// The current stage of the plan rang long enough.
    case stageTimeout
    /// The whole plan rang long enough (its `totalSeconds`).
    case planTimeout
    case answerRetransmit
    case mediaCheck
}

/// Everything that happens to a call reaches it as one of these, in order, through its inbox.
enum CallInput: Sendable {
    case request(SIPMessage, from: Party, source: SIPSource)
    case branch(Int, ClientTransactionEvent)
    /// A 2xx to an outgoing INVITE that arrived after its transaction ended (our ACK was lost).
    case lateSuccess(SIPMessage)
    case inDialog(Party, method: String, ClientTransactionEvent)
    case route(CallRoute)
    case timer(CallTimer)
    case terminate(reason: String)
}

/// One call through the edge: a B2BUA (DESIGN §3, §6). The caller's INVITE is held while routing
/// decides; the route's targets are rung (all at once or one after another), provisional answers
/// are relayed, the first 200 is bridged and the other branches cancelled. Media is anchored in a
/// `MediaSession`. Hold and resume (re-INVITE), BYE from either side, CANCEL and failures of
/// either leg end or change the call, and every change becomes a `call.events` event; the end
/// produces exactly one CDR.
actor Call {
    enum State: Equatable { case routing, ringing, answered, ended }

    struct Branch {
        let target: SIPTarget
        var invite: SIPMessage
        let ringSeconds: Int
        /// Whom it rings for (routing's `member`).
        var member: String? = nil
        var dialog: Dialog
        var status: Int?  // the last response's status
        var finished = false
    }

    nonisolated let setup: CallSetup
    private let env: CallEnvironment
    private let registry: CallRegistry
    private let media: MediaSession
    private let journal: CallJournal
    /// INVITEs to branches, sent side by side by a child task of the call: a device whose TCP
    /// connection must first be opened (or never opens) does not hold up the others of its stage.
    private let branchInvites: AsyncStream<@Sendable () async -> Void>
    private let branchInvitesContinuation: AsyncStream<@Sendable () async -> Void>.Continuation
    private nonisolated let inbox: AsyncStream<CallInput>.Continuation
    private let inputs: AsyncStream<CallInput>

    private var state = State.routing
    private var callerDialog: Dialog
    private let callerTarget: SIPTarget
    private let callerFormat: LegFormat
    private var callerAnswer: SessionDescription
    private var calleeOfferTemplate: SessionDescription
    private var calleeDialog: Dialog?
    private var calleeTarget: SIPTarget?
    private var branches: [Branch] = []
    /// The plan being rung: its stages (targets that ring together), the next stage, and where the
    /// plan's and the stage's branches start in `branches`.
    private var stages: [[RouteTarget]] = []
    private var nextStage = 0
    private var planFirstBranch = 0
    private var stageFirstBranch = 0
    private let offered: CallOffered
    private var route: CallRoute?
    private var lastResponseToCaller: SIPMessage?
    private var finalAwaitingAck: (response: SIPMessage, sentAt: ContinuousClock.Instant, interval: Duration)?
    private var timers: [CallTimer: Task<Void, Never>] = [:]
    private var relayedRinging = false
    private var held: Set<Party> = []
    private let startedAt = Date()
    private var answeredAt: Date?
    private var answeredBy: String?
    private var direction: String

    init(setup: CallSetup, env: CallEnvironment, registry: CallRegistry, media: MediaSession) throws(SIPParseError) {
        self.setup = setup
        self.env = env
        self.registry = registry
        self.media = media
        journal = CallJournal()
        (branchInvites, branchInvitesContinuation) = AsyncStream<@Sendable () async -> Void>.makeStream()
        (inputs, inbox) = AsyncStream<CallInput>.makeStream()
        direction = setup.origin == "trunk" ? "inbound" : "internal"
        callerTarget = SIPTarget(setup.source)
        offered = CallOffered(edge: env.edge, from: setup.callerIdentity.uri, to: setup.invite["To"].flatMap(NameAddress.init)?.uri ?? "",
                              origin: setup.origin, callerExtension: setup.callerExtension, dialled: setup.dialled)

        // The caller's side: answer in its most preferred G.711 format, with its telephone-event type.
        guard let format = setup.offer.g711.first else { throw SIPParseError(488, "Only PCMU and PCMA are supported") }
        let event = setup.offer.telephoneEvent
        callerFormat = LegFormat(audioPayloadType: format.payloadType, telephoneEvent: event?.payloadType)
        let sessionID = UInt64.random(in: 1..<UInt64(Int64.max))
        callerAnswer = SessionDescription(
            sessionID: sessionID, sessionVersion: 1, address: env.transport.advertisedHost, audioPort: media.localPorts.0,
            formats: [format] + (event.map { [$0] } ?? []), direction: setup.offer.direction.answer, ptime: setup.offer.ptime,
            otherMedia: setup.offer.otherMedia)
        // The callee's side: offer the caller's format first, the other G.711 law (transcoded) and events.
        let other: SessionDescription.Format = format.payloadType == 0 ? .pcma : .pcmu
        calleeOfferTemplate = SessionDescription(
            sessionID: sessionID, sessionVersion: 1, address: env.transport.advertisedHost, audioPort: media.localPorts.1,
            formats: [format.payloadType == 0 ? .pcmu : .pcma, other, .telephoneEvent(101)], ptime: 20)

        let invite = setup.invite
        let from = invite["From"].flatMap(NameAddress.init)
        let to = invite["To"].flatMap(NameAddress.init)
        callerDialog = Dialog(
            callID: invite["Call-ID"] ?? "", localURI: Self.bare(to), localTag: SIPTransport.randomToken(),
            remoteURI: Self.bare(from), remoteTag: from?.tag,
            remoteTarget: invite["Contact"].flatMap(NameAddress.init)?.uri ?? setup.source.description,
            routeSet: invite.values("Record-Route"), localCSeq: 0,
            remoteCSeq: invite["CSeq"].flatMap(CSeq.init)?.number)
    }

    nonisolated func post(_ input: CallInput) { inbox.yield(input) }

    /// Runs the call until it ends: answers 100 Trying, asks routing, then handles its inbox.
    /// The call from its INVITE to its last journal write, as a task of the edge's `CallSupervisor`.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.journal.run() }
            group.addTask {
                await withDiscardingTaskGroup { sends in
                    for await send in self.branchInvites { sends.addTask { await send() } }
                }
            }
            await runSignalling()
            branchInvitesContinuation.finish()
            journal.finish()
        }
        // Only now is the call gone: its CDR is in the outbox, and a draining edge may stop.
        registry.remove(self, callIDs: [callerDialog.callID] + branches.map(\.dialog.callID))
    }

    private func runSignalling() async {
        await media.configure(leg: 0, remote: await remote(of: setup.offer), format: callerFormat)
        await sendToCaller(setup.invite.response(100))
        publish(offered, key: setup.tenant.slug.value)
        publish(CallStateChanged(state: "offered", cause: nil, party: setup.callerIdentity.uri))
        recordLiveCall()
        schedule(.routeDeadline, after: env.routeTimeout)
        for await input in inputs {
            await handle(input)
            // An ended call stays reachable until the caller ACKs its final response.
            if state == .ended && finalAwaitingAck == nil { break }
        }
        for timer in timers.keys { cancelTimer(timer) }
    }

    private func handle(_ input: CallInput) async {
        if state == .ended {
            // Only the caller's ACK (or its INVITE again) and the retransmission timer matter now.
            switch input {
            case .request(let request, .caller, let source) where request.method == "ACK" || request.method == "INVITE":
                await received(request, from: .caller, source: source)
            case .timer(.answerRetransmit):
                timers[.answerRetransmit] = nil
                await fire(.answerRetransmit)
            default:
                break
            }
            return
        }
        switch input {
        case .route(let route):
            await apply(route)
        case .branch(let index, let event):
            await branchEvent(index, event)
        case .lateSuccess(let response):
            await lateSuccess(response)
        case .request(let request, let party, let source):
            await received(request, from: party, source: source)
        case .inDialog(let party, let method, let event):
            await inDialogResponse(party, method: method, event: event)
        case .timer(let timer):
            timers[timer] = nil
            await fire(timer)
        case .terminate(let reason):
            if state == .answered {
                await hangUp(cause: reason)
            } else {
                await fail(503, "Service Unavailable", cause: reason)
            }
        }
    }

    // MARK: Routing

    private func apply(_ route: CallRoute) async {
        guard state == .routing else { return }
        cancelTimer(.routeDeadline)
        if self.route == nil { SIPMetrics.routeLatency.record(duration: .seconds(Date().timeIntervalSince(startedAt))) }
        self.route = route
        if let reject = route.reject {
            await fail(reject.status, reject.reason, cause: "\(reject.status) \(reject.reason)")
            return
        }
        guard !route.targets.isEmpty else {
            await fail(480, "Temporarily Unavailable", cause: "480 no targets")
            return
        }
        if route.targets.contains(where: { $0.via == "trunk" }) && setup.origin == "device" { direction = "outbound" }
        state = .ringing
        stages = Self.stages(of: route)
        nextStage = 0
        planFirstBranch = branches.count
        if let total = route.totalSeconds { schedule(.planTimeout, after: Self.ringTime(total, within: DialplanConfiguration.totalSecondsRange)) }
        await ringNextStage()
    }

    /// Parallel: one stage of every target. Sequential: consecutive targets with the same stage
    /// number ring together (a user's devices), a target without one rings alone.
    static func stages(of route: CallRoute) -> [[RouteTarget]] {
        guard route.strategy == "sequential" else { return [route.targets] }
        var stages: [[RouteTarget]] = []
        for target in route.targets {
            if let stage = target.stage, let last = stages.last?.last, last.stage == stage {
                stages[stages.count - 1].append(target)
            } else {
                stages.append([target])
            }
        }
        return stages
    }

    private func ringNextStage() async {
        cancelTimer(.stageTimeout)
        guard nextStage < stages.count else {
            await planExhausted()
            return
        }
        let stage = stages[nextStage]
        nextStage += 1
        stageFirstBranch = branches.count
        for target in stage { await startBranch(target) }
        if branches[stageFirstBranch...].allSatisfy(\.finished) {
            await ringNextStage()  // nothing of it could be rung
            return
        }
        schedule(.stageTimeout, after: Self.ringTime(stage.map(\.ringSeconds).max() ?? 30, within: DialplanConfiguration.memberSecondsRange))
    }

    /// A ring time from a route command, kept to what the dialplan allows: a value near Int.max
    /// from a bad command must not overflow the timer's deadline.
    static func ringTime(_ seconds: Int, within range: ClosedRange<Int>) -> Duration {
        .seconds(min(max(seconds, 1), range.upperBound))
    }

    /// Nobody of the plan answered: routing may have a next plan (forwarding, overflow), else the
    /// caller gets the best final status.
    private func planExhausted() async {
        cancelTimer(.stageTimeout)
        cancelTimer(.planTimeout)
        guard let context = route?.context else {
            await failWithBestBranchStatus()
            return
        }
        let statuses = branches[planFirstBranch...].compactMap(\.status)
        let cause = statuses.contains(486) || statuses.contains(600) ? "busy"
            : statuses.allSatisfy({ $0 == 408 || $0 == 487 || $0 == 480 }) && !statuses.isEmpty ? "no-answer" : "unavailable"
        state = .routing
        publish(CallPlanFailed(offer: offered, context: context, cause: cause), key: setup.tenant.slug.value)
        schedule(.routeDeadline, after: env.routeTimeout)
    }

    private func startBranch(_ routeTarget: RouteTarget) async {
        let index = branches.count
        var target: SIPTarget?
        switch routeTarget.via {
        case "trunk": target = env.trunk
        case .some(let hop): target = SIPTarget(hop)
        case nil: target = SIPURI(routeTarget.uri).flatMap { SIPTarget(uri: $0) }
        }
        // A device registered over TCP is reached over its connection; once that is closed, at the
        // address its Contact names (where a new connection is opened).
        if let via = target, via.transport != "UDP", !env.transport.canReach(via), let uri = SIPURI(routeTarget.uri) {
            target = SIPTarget(uri: uri)
        }
        guard let target, let uri = SIPURI(routeTarget.uri) else {
            env.logger.warning("route target unusable", metadata: ["call": "\(setup.id)", "target": "\(routeTarget.uri)"])
            branches.append(Branch(target: SIPTarget(transport: "UDP", host: "0.0.0.0", port: 1), invite: setup.invite,
                                   ringSeconds: 0, dialog: callerDialog, status: 503, finished: true))
            return
        }
        // The callee sees the caller's name and number (or the number routing presents), in the
        // callee's domain: the tenant's for devices, the trunk's host for the trunk.
        let host = routeTarget.via == "trunk" ? target.host : setup.tenant.sipDomain
        let anonymous = route?.anonymous == true
        let callerUser = anonymous ? "anonymous" : route?.presentedNumber ?? SIPURI(setup.callerIdentity.uri)?.user ?? "anonymous"
        let display = anonymous ? "\"Anonymous\" " : setup.callerIdentity.displayName.map { "\"\($0)\" " } ?? ""
        let calledUser = routeTarget.via == "trunk" ? (uri.user ?? setup.dialled) : setup.dialled
        var dialog = Dialog(callID: "\(setup.id).\(index)", localURI: "\(display)<sip:\(callerUser)@\(host)>",
                            localTag: SIPTransport.randomToken(), remoteURI: "<sip:\(calledUser)@\(host)>", remoteTag: nil,
                            remoteTarget: routeTarget.via == "trunk" ? "sip:\(calledUser)@\(target.host):\(target.port)" : routeTarget.uri,
                            localCSeq: 0)
        var offer = calleeOfferTemplate
        offer.direction = .sendrecv
        var invite = dialog.request("INVITE", via: env.via(for: target), contact: env.transport.contact(transport: target.transport),
                                    body: offer.serialized(), contentType: "application/sdp")
        let maxForwards = (setup.invite["Max-Forwards"].flatMap(Int.init) ?? 70) - 1
        invite.set("Max-Forwards", String(max(0, min(maxForwards, 70))))
        if routeTarget.via == "trunk", let number = route?.presentedNumber {
            // The network knows who calls (RFC 3325) even when the called party must not (RFC 3323).
            invite.add("P-Asserted-Identity", "<sip:\(number)@\(host)>")
        }
        if anonymous { invite.add("Privacy", "id") }
        invite.add("Allow", SIPRequestRouter.allow)
        invite.add("User-Agent", "Switchboard")
        branches.append(Branch(target: target, invite: invite, ringSeconds: routeTarget.ringSeconds, member: routeTarget.member, dialog: dialog))
        registry.attach(callID: dialog.callID, to: self)
        let transactions = env.transactions
        let invitation = invite
        branchInvitesContinuation.yield { [weak self] in
            await transactions.start(invitation, to: target) { [weak self] event in self?.post(.branch(index, event)) }
        }
    }

    // MARK: Answers from the branches

    private func branchEvent(_ index: Int, _ event: ClientTransactionEvent) async {
        guard branches.indices.contains(index) else { return }
        let status: Int
        let response: SIPMessage?
        switch event {
        case .timeout:
            status = 408
            response = nil
        case .response(let message):
            status = message.status ?? 500
            response = message
        }
        if status < 200 {
            branches[index].status = status
            guard state == .ringing, status > 100, let response else { return }
            await relayProgress(response, branch: index)
        } else if status < 300, let response {
            await branchAnswered(index, response: response)
        } else {
            branches[index].status = status
            branches[index].finished = true
            guard state == .ringing, index >= stageFirstBranch else { return }
            if branches[stageFirstBranch...].allSatisfy(\.finished) { await ringNextStage() }
        }
    }

    /// 180/183 go to the caller once; early media (183 with SDP) is bridged at once.
    private func relayProgress(_ response: SIPMessage, branch index: Int) async {
        var sentSDP = false
        if !response.body.isEmpty, let answer = try? SessionDescription.parse(response.body) {
            await configureCalleeMedia(answer)
            sentSDP = true
        }
        if relayedRinging && !sentSDP { return }
        var progress = setup.invite.response(sentSDP ? 183 : 180, toTag: callerDialog.localTag)
        progress.add("Contact", env.transport.contact(transport: callerTarget.transport))
        if sentSDP {
            progress.add("Content-Type", "application/sdp")
            progress.body = callerAnswer.serialized()
        }
        await sendToCaller(progress)
        if !relayedRinging {
            relayedRinging = true
            publish(CallStateChanged(state: "ringing", cause: nil, party: branches[index].dialog.remoteURI))
        }
    }

    private func branchAnswered(_ index: Int, response: SIPMessage) async {
        var dialog = branches[index].dialog
        dialog.confirm(with: response)
        let target = branches[index].target
        let cseq = branches[index].invite["CSeq"].flatMap(CSeq.init)?.number ?? 1
        branches[index].finished = true
        branches[index].status = response.status
        try? await env.transport.send(dialog.ack(cseq: cseq, via: env.via(for: target)), to: target)
        guard state == .ringing else {
            // A second branch answered too late, or the caller gave up meanwhile: release it.
            await release(dialog, at: target)
            return
        }
        guard let answer = try? SessionDescription.parse(response.body), !answer.g711.isEmpty else {
            await release(dialog, at: target)
            await fail(488, "Not Acceptable Here", cause: "488 callee answered without G.711")
            return
        }
        calleeDialog = dialog
        calleeTarget = target
        answeredBy = branches[index].member
        await configureCalleeMedia(answer)
        await cancelBranches(except: index)
        cancelTimer(.stageTimeout)
        cancelTimer(.planTimeout)
        state = .answered
        let answered = Date()
        answeredAt = answered
        var ok = setup.invite.response(200, toTag: callerDialog.localTag)
        ok.add("Contact", env.transport.contact(transport: callerTarget.transport))
        ok.add("Allow", SIPRequestRouter.allow)
        ok.add("Content-Type", "application/sdp")
        ok.body = callerAnswer.serialized()
        await sendFinalToCaller(ok)
        publish(CallStateChanged(state: "answered", cause: nil, party: dialog.remoteURI))
        let db = env.db
        let id = setup.id
        let logger = env.logger
        journal.append {
            do {
                try await db.query("UPDATE platform.edge_calls SET answered_at = \(answered) WHERE call_id = \(id)")
            } catch {
                logger.warning("live call not updated", metadata: ["call": "\(id)", "error": "\(error)"])
            }
        }
        schedule(.mediaCheck, after: .seconds(10))
    }

    private func lateSuccess(_ response: SIPMessage) async {
        // Our ACK to this 2xx was lost: ACK again; a 2xx from a branch that lost the race is released.
        guard let callID = response["Call-ID"], let index = branches.firstIndex(where: { $0.dialog.callID == callID }) else { return }
        var dialog = branches[index].dialog
        dialog.confirm(with: response)
        let target = branches[index].target
        let cseq = response["CSeq"].flatMap(CSeq.init)?.number ?? 1
        try? await env.transport.send(dialog.ack(cseq: cseq, via: env.via(for: target)), to: target)
        if calleeDialog?.callID != callID { await release(dialog, at: target) }
    }

    /// Ends a dialog the call does not use (a branch that answered too late, or unusably) with a BYE.
    private func release(_ dialog: Dialog, at target: SIPTarget) async {
        var dialog = dialog
        let bye = dialog.request("BYE", via: env.via(for: target), contact: nil)
        await env.transactions.start(bye, to: target) { _ in }
    }

    private func configureCalleeMedia(_ answer: SessionDescription) async {
        guard let format = answer.g711.first else { return }
        await media.configure(leg: 1, remote: await remote(of: answer),
                        format: LegFormat(audioPayloadType: format.payloadType, telephoneEvent: answer.telephoneEvent?.payloadType))
    }

    private func cancelBranches(except winner: Int?) async {
        for index in branches.indices where index != winner && !branches[index].finished {
            branches[index].finished = true
            // CANCEL only after a provisional answer (RFC 3261 §9.1); before it the INVITE's own
            // timeout ends the branch, and a late 200 is released with a BYE.
            let cancel = ClientTransactions.cancel(for: branches[index].invite)
            await env.transactions.start(cancel, to: branches[index].target) { _ in }
        }
    }

    private func failWithBestBranchStatus() async {
        // The best final response (RFC 3261 §16.7 in short): a 6xx, else busy, else the lowest class.
        let statuses = branches.compactMap(\.status).filter { $0 >= 300 }
        let status: Int
        if let global = statuses.first(where: { $0 >= 600 }) {
            status = global
        } else if statuses.contains(486) {
            status = 486
        } else if statuses.allSatisfy({ $0 == 408 || $0 == 487 }) || statuses.isEmpty {
            await fail(480, "No Answer", cause: "480 no answer")
            return
        } else {
            status = statuses.min() ?? 480
        }
        await fail(status, SIPMessage.reasonPhrase(status), cause: "\(status) \(SIPMessage.reasonPhrase(status))")
    }

    // MARK: Requests from either side

    private func received(_ request: SIPMessage, from party: Party, source: SIPSource) async {
        let method = request.method ?? ""
        let cseq = request["CSeq"].flatMap(CSeq.init)
        let target = party == .caller ? callerTarget : SIPTarget(source)
        switch method {
        case "ACK":
            if party == .caller { finalAwaitingAck = nil; cancelTimer(.answerRetransmit) }
        case "CANCEL":
            await env.respond(request.response(200), to: request, target: target)
            guard party == .caller, state == .routing || state == .ringing else { return }
            await cancelBranches(except: nil)
            await fail(487, "Request Terminated", cause: "cancelled")
        case "INVITE" where party == .caller && request["To"].flatMap(NameAddress.init)?.tag == nil:
            // The caller's INVITE again: its last response again (RFC 3261 §17.2.1).
            if let last = lastResponseToCaller { await sendToCaller(last) }
        case "BYE":
            guard accept(cseq, from: party) else {
                await env.respond(request.response(500, "CSeq out of order"), to: request, target: target)
                return
            }
            await env.respond(request.response(200), to: request, target: target)
            if state == .answered {
                await sendInDialog("BYE", to: party.other)
                await end(cause: "normal", by: party)
            } else if party == .caller {
                await cancelBranches(except: nil)
                await fail(487, "Request Terminated", cause: "cancelled")
            }
        case "INVITE":
            await reInvite(request, from: party, target: target)
        case "UPDATE" where !request.body.isEmpty:
            // A session change without a re-INVITE (RFC 3311): answered the same way.
            await reInvite(request, from: party, target: target)
        case "INFO", "UPDATE", "OPTIONS":
            await env.respond(request.response(200), to: request, target: target)
        default:
            var response = request.response(405)
            response.add("Allow", SIPRequestRouter.allow)
            await env.respond(response, to: request, target: target)
        }
    }

    private func accept(_ cseq: CSeq?, from party: Party) -> Bool {
        guard let cseq else { return false }
        if party == .caller { return callerDialog.acceptRemote(cseq: cseq.number, method: cseq.method) }
        guard var dialog = calleeDialog else { return true }
        defer { calleeDialog = dialog }
        return dialog.acceptRemote(cseq: cseq.number, method: cseq.method)
    }

    /// Hold and resume, or a session refresh: the sender gets its answer at once from the edge,
    /// the other side gets the new direction in a re-INVITE of its own (the B2BUA keeps the two
    /// offer/answer exchanges apart).
    private func reInvite(_ request: SIPMessage, from party: Party, target: SIPTarget) async {
        guard state == .answered else {
            await env.respond(request.response(491), to: request, target: target)
            return
        }
        guard accept(request["CSeq"].flatMap(CSeq.init), from: party) else {
            await env.respond(request.response(500, "CSeq out of order"), to: request, target: target)
            return
        }
        var offer: SessionDescription?
        if !request.body.isEmpty {
            guard let parsed = try? SessionDescription.parse(request.body), let format = parsed.g711.first else {
                await env.respond(request.response(488), to: request, target: target)
                return
            }
            offer = parsed
            await media.configure(leg: party.mediaLeg, remote: await remote(of: parsed),
                            format: LegFormat(audioPayloadType: format.payloadType, telephoneEvent: parsed.telephoneEvent?.payloadType))
        }
        let direction = offer.map { $0.isHold ? ($0.direction == .inactive ? .inactive : .sendonly) : .sendrecv }
            ?? SessionDescription.Direction.sendrecv
        // Answer the sender.
        var answer = party == .caller ? callerAnswer : calleeOfferTemplate
        answer.sessionVersion += 1
        answer.direction = direction.answer
        if party == .caller { callerAnswer = answer } else { calleeOfferTemplate = answer }
        var ok = request.response(200, toTag: party == .caller ? callerDialog.localTag : nil)
        ok.add("Contact", env.transport.contact(transport: target.transport))
        ok.add("Content-Type", "application/sdp")
        ok.body = answer.serialized()
        await env.respond(ok, to: request, target: target)
        // Tell the other side.
        let wasHeld = held.contains(party)
        if direction.isHold { held.insert(party) } else { held.remove(party) }
        guard wasHeld != held.contains(party) else { return }
        var towardOther = party == .caller ? calleeOfferTemplate : callerAnswer
        towardOther.sessionVersion += 1
        towardOther.direction = direction
        if party == .caller { calleeOfferTemplate = towardOther } else { callerAnswer = towardOther }
        await sendInDialog("INVITE", to: party.other, body: towardOther.serialized())
        publish(CallStateChanged(state: held.contains(party) ? "held" : "resumed", cause: nil,
                                 party: party == .caller ? setup.callerIdentity.uri : calleeDialog?.remoteURI))
    }

    private func inDialogResponse(_ party: Party, method: String, event: ClientTransactionEvent) async {
        guard method == "INVITE", case .response(let response) = event, let status = response.status, (200..<300).contains(status) else { return }
        guard let dialog = party == .caller ? callerDialog : calleeDialog,
              let target = party == .caller ? callerTarget : calleeTarget else { return }
        let cseq = response["CSeq"].flatMap(CSeq.init)?.number ?? dialog.localCSeq
        try? await env.transport.send(dialog.ack(cseq: cseq, via: env.via(for: target)), to: target)
    }

    /// Sends a request in the dialog with `party`.
    private func sendInDialog(_ method: String, to party: Party, body: [UInt8] = []) async {
        let target: SIPTarget
        let request: SIPMessage
        let contentType = body.isEmpty ? nil : "application/sdp"
        if party == .caller {
            target = callerTarget
            request = callerDialog.request(method, via: env.via(for: target), contact: env.transport.contact(transport: target.transport),
                                           body: body, contentType: contentType)
        } else {
            guard let calleeTarget, var dialog = calleeDialog else { return }
            target = calleeTarget
            defer { calleeDialog = dialog }
            request = dialog.request(method, via: env.via(for: target), contact: env.transport.contact(transport: target.transport),
                                            body: body, contentType: contentType)
        }
        await env.transactions.start(request, to: target) { [weak self] event in
            self?.post(.inDialog(party, method: method, event))
        }
    }

    // MARK: Timers

    private func fire(_ timer: CallTimer) async {
        switch timer {
        case .routeDeadline:
            guard state == .routing else { return }
            SIPMetrics.routeTimeouts.increment()
            await fail(503, "No routing decision", cause: "503 no routing decision")
        case .stageTimeout:
            guard state == .ringing else { return }
            for index in branches.indices where !branches[index].finished { branches[index].status = 408 }
            await cancelBranches(except: nil)
            await ringNextStage()
        case .planTimeout:
            guard state == .ringing else { return }
            for index in branches.indices where !branches[index].finished { branches[index].status = 408 }
            await cancelBranches(except: nil)
            nextStage = stages.count
            await planExhausted()
        case .answerRetransmit:
            guard let pending = finalAwaitingAck else { return }
            if ContinuousClock.now - pending.sentAt > .seconds(state == .ended ? 16 : 32) {
                // No ACK for 64·T1 (RFC 3261 §13.3.1.4): the caller is gone (or, for a refusal, it is over).
                finalAwaitingAck = nil
                if state == .answered {
                    await sendInDialog("BYE", to: .callee)
                    await sendInDialog("BYE", to: .caller)
                    await end(cause: "no ACK", by: nil)
                }
                return
            }
            try? await env.transport.send(pending.response, to: callerTarget)
            SIPMetrics.retransmissions.increment()
            let interval = min(pending.interval * 2, .seconds(4))
            finalAwaitingAck?.interval = interval
            schedule(.answerRetransmit, after: interval)
        case .mediaCheck:
            guard state == .answered else { return }
            if held.isEmpty, await mediaIsSilent() {
                env.logger.notice("call ended: no media", metadata: ["call": "\(setup.id)"])
                await hangUp(cause: "media timeout")
                return
            }
            schedule(.mediaCheck, after: .seconds(10))
        }
    }

    private func mediaIsSilent() async -> Bool {
        let limit = NIODeadline.now() - .nanoseconds(Int64(env.mediaTimeout.components.seconds) * 1_000_000_000)
        guard let answeredAt, Date().timeIntervalSince(answeredAt) > Double(env.mediaTimeout.components.seconds) else { return false }
        return await media.activity().allSatisfy { ($0.last ?? .distantPast) < limit }
    }

    private func schedule(_ timer: CallTimer, after duration: Duration) {
        timers[timer]?.cancel()
        timers[timer] = Task { [weak self] in
            try? await Task.sleep(for: duration)
            guard !Task.isCancelled else { return }
            self?.post(.timer(timer))
        }
    }

    private func cancelTimer(_ timer: CallTimer) {
        timers.removeValue(forKey: timer)?.cancel()
    }

    // MARK: Ending

    /// Refuses the call with a final status (before it was answered) and ends it.
    private func fail(_ status: Int, _ reason: String, cause: String) async {
        guard state == .routing || state == .ringing else { return }
        await sendFinalToCaller(setup.invite.response(status, reason, toTag: callerDialog.localTag))
        await end(cause: cause, by: nil)
    }

    /// Ends an answered call from the edge's side: BYE to both.
    private func hangUp(cause: String) async {
        await sendInDialog("BYE", to: .caller)
        await sendInDialog("BYE", to: .callee)
        await end(cause: cause, by: nil)
    }

    private func end(cause: String, by party: Party?) async {
        guard state != .ended else { return }
        let wasAnswered = state == .answered
        state = .ended
        for timer in timers.keys where timer != .answerRetransmit { cancelTimer(timer) }
        let end = Date()
        let billable = answeredAt.map { Int(ceil(end.timeIntervalSince($0))) } ?? 0
        SIPMetrics.callEnded(wasAnswered ? "answered" : cause.split(separator: " ").first.map(String.init) ?? cause).increment()
        publish(CallStateChanged(state: "ended", cause: cause, party: party.map { $0 == .caller ? setup.callerIdentity.uri : calleeDialog?.remoteURI ?? "" }))
        let from = direction == "outbound" ? (route?.presentedNumber ?? setup.callerExtension ?? setup.callerIdentity.uri)
            : (SIPURI(setup.callerIdentity.uri)?.user ?? setup.callerIdentity.uri)
        // Outbound calls are recorded with the number as the trunk got it (E.164), which billing rates by prefix.
        let to = direction == "outbound" ? (route?.targets.first.flatMap { SIPURI($0.uri)?.user } ?? setup.dialled) : setup.dialled
        let record = CallRecord(from: from, to: to, direction: direction, classification: route?.classification ?? "business",
                                start: startedAt, answer: answeredAt, end: end, billableSeconds: billable, cause: cause,
                                answeredBy: answeredBy)
        let envelope = Envelope(tenant: setup.tenant.slug.value, callId: setup.id, data: record)
        let outbox = env.outbox
        let id = setup.id
        let logger = env.logger
        // The CDR replaces the live-call row in one transaction: it is never lost (the outbox relays
        // it whenever the broker can take it) and never made twice (a restart finds no live call).
        // While the database is down it is retried; if the edge stops first, the live-call row stays
        // and the next start ends the call from it.
        journal.append {
            var attempt = 0
            while true {
                do {
                    try await outbox.db.withTransaction { connection in
                        try await connection.query("DELETE FROM platform.edge_calls WHERE call_id = \(id)")
                        try await outbox.add(envelope, key: envelope.tenant, on: connection)
                    }
                    outbox.committed()
                    return
                } catch {
                    attempt += 1
                    if attempt == 1 { logger.warning("CDR not stored yet; retrying", metadata: ["call": "\(id)", "error": "\(error)"]) }
                    guard attempt < 120 else {
                        logger.error("CDR not stored; the next start ends the call from its live-call row", metadata: ["call": "\(id)"])
                        return
                    }
                    try? await Task.sleep(for: Backoff.exponential(attempt))
                }
            }
        }
        journal.finish()
        await media.close()
    }

    // MARK: Sending to the caller

    private func sendToCaller(_ response: SIPMessage) async {
        lastResponseToCaller = response
        do {
            try await env.transport.send(response, to: callerTarget)
        } catch {
            env.logger.debug("response to caller not sent", metadata: ["call": "\(setup.id)", "error": "\(error)"])
        }
    }

    /// A final response is retransmitted over UDP until the caller ACKs it (RFC 3261 §13.3.1.4, §17.2.1).
    private func sendFinalToCaller(_ response: SIPMessage) async {
        await sendToCaller(response)
        guard callerTarget.transport == "UDP" else { return }
        finalAwaitingAck = (response, .now, .milliseconds(500))
        schedule(.answerRetransmit, after: .milliseconds(500))
    }

    // MARK: Events

    private func publish<P: EventPayload>(_ payload: P, key: String? = nil) {
        let envelope = Envelope(tenant: setup.tenant.slug.value, callId: setup.id, data: payload)
        let publisher = env.publisher
        let logger = env.logger
        journal.append {
            do {
                try await publisher.publish(envelope, key: key)
            } catch {
                logger.warning("call event not published", metadata: ["call": "\(envelope.callId ?? "")", "type": "\(P.type)", "error": "\(error)"])
            }
        }
    }

    private func recordLiveCall() {
        let db = env.db
        let setup = setup
        let edge = env.edge
        let deployment = env.deployment
        let started = startedAt
        let direction = direction
        let logger = env.logger
        journal.append {
            do {
                try await db.query("""
                INSERT INTO platform.edge_calls (call_id, deployment, edge, tenant, caller, callee, direction, started_at)
                VALUES (\(setup.id), \(deployment), \(edge), \(setup.tenant.slug.value), \(SIPURI(setup.callerIdentity.uri)?.user ?? setup.callerIdentity.uri),
                        \(setup.dialled), \(direction), \(started))
                ON CONFLICT (call_id) DO NOTHING
                """)
            } catch {
                logger.warning("live call not recorded", metadata: ["call": "\(setup.id)", "error": "\(error)"])
            }
        }
    }

    private func remote(of description: SessionDescription) async -> SocketAddress? {
        guard description.address != "0.0.0.0", description.audioPort != 0 else { return nil }
        return try? await SIPTransport.resolve(description.address, port: description.audioPort)
    }

    /// A From/To value without its tag: the dialog's URI (RFC 3261 §12.1.1).
    private static func bare(_ address: NameAddress?) -> String {
        guard let address else { return "<sip:anonymous@anonymous.invalid>" }
        let display = address.displayName.map { "\"\($0)\" " } ?? ""
        return "\(display)<\(address.uri)>"
    }
}
