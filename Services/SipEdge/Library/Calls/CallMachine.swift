import Events
import Foundation
import Media
import Runtime
import SIP
import Tenancy

/// What the edge knows of a new call when it creates it.
struct CallSetup: Sendable {
    let id: String
    let tenant: EdgeTenant
    let origin: CallOrigin
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
    /// Routing did not decide in time.
    case routeDeadline
    /// The current stage of the plan rang long enough.
    case stageTimeout
    /// The whole plan rang long enough (its `totalSeconds`).
    case planTimeout
    /// The 2xx to the caller is sent again until the caller ACKs it (RFC 3261 §13.3.1.4).
    case answerRetransmit
    case mediaCheck
    /// A collection waited long enough for its first key, or for the next.
    case collectTimeout
    /// A timer (G, H, I) of the caller's INVITE server transaction.
    case caller(SIPTimer)
    /// A branch to the trunk heard nothing, not even 100 Trying, for `CallSettings.trunkSilence`.
    case trunkSilent(branch: Int)
}

/// Everything that happens to a call reaches it as one of these, in order.
enum CallInput: Sendable {
    case request(SIPMessage, from: Party, source: SIPSource)
    case branch(Int, ClientTransactionEvent)
    /// A 2xx to an outgoing INVITE that arrived after its transaction ended (our ACK was lost).
    case lateSuccess(SIPMessage)
    case inDialog(Party, method: String, ClientTransactionEvent)
    case route(CallRoute)
    case timer(CallTimer)
    /// The media check found no RTP from either side for the media timeout.
    case mediaQuiet
    /// A command of the call's application.
    case application(ApplicationCommand)
    /// The caller pressed a key, seen in its RTP (RFC 4733 or in-band tones).
    case key(DTMFKey, DTMFSource)
    /// The playback with this number reached the end of its items.
    case playbackEnded(Int)
    /// It could not start: a prompt is missing from the store, or the store is unreachable.
    case playbackFailed(Int)
    /// The recording with this number reached its maximum length or its silence.
    case recordingLimit(Int, Recorder.Limit)
    /// The notice before the call recording with this number was played to both parties.
    case noticeEnded(Int)
    /// It could not be played: the call is not recorded.
    case noticeFailed(Int)
    case terminate(reason: String)
}

/// What an application (`ivr`) tells a call it answered to do.
enum ApplicationCommand: Sendable {
    case play(CallPlay)
    case collect(CallCollect)
    case record(CallRecordAudio)
    case stop
    case transfer(destination: String)
    case hangUp(cause: String)
}

/// What the call's actor does for the machine: all of a call's I/O.
enum CallAction: Sendable {
    /// Sends a message outside any client transaction: a response to the caller's INVITE, an ACK.
    case send(SIPMessage, to: SIPTarget)
    /// Answers a request in a dialog; the edge's server transactions absorb its retransmissions.
    case respond(SIPMessage, to: SIPMessage, at: SIPTarget)
    /// Sends a request in a client transaction of its own; its responses come back as `replies` says.
    case request(SIPMessage, to: SIPTarget, replies: Replies)
    /// Makes the Call-ID of a branch find this call.
    case attach(callID: String)
    /// Points a media leg at the party's SDP (address, format, telephone-event type).
    case configureMedia(Party, SessionDescription)
    /// Checks whether either side sent RTP within the duration; if not, posts `.mediaQuiet`.
    case probeMedia(quietFor: Duration)
    /// Plays to the caller instead of relaying the callee (which there may not be); posts
    /// `.playbackEnded(number)` when done (never, looped), `.playbackFailed(number)` if it cannot.
    case startPlayback([PlayItem], loop: Bool, number: Int)
    /// Back to relaying.
    case stopPlayback
    /// Reports the caller's keys (RFC 4733 and in-band) from now on, as `.key` inputs.
    case listenForKeys
    /// Records the call's audio as `media.audio` chunks under `id`; posts `.recordingLimit(number, …)`
    /// when it reaches its maximum length or silence.
    case startRecording(CallRecordAudio, id: String, number: Int)
    /// Ends the recording with its final chunk and publishes `call.record-finished` (the media
    /// session knows its length and chunk count).
    case stopRecording(RecordingEnd)
    /// Plays the recording notice to both parties of the bridge, who do not hear each other
    /// meanwhile; posts `.noticeEnded(number)`, or `.noticeFailed(number)` if it cannot.
    case playNotice(sha256: String, number: Int)
    /// Taps the bridged call (DESIGN §7): both directions as `media.audio` chunks under the
    /// recording id, until `stopTap`.
    case startTap(CallRecordingStarted)
    /// Ends the tap with its final chunk.
    case stopTap
    case start(CallTimer, after: Duration)
    case cancel(CallTimer)
    case publish(CallNotice)
    case journal(JournalEntry)
    case closeMedia

    enum Replies: Sendable, Equatable {
        case branch(Int)
        case inDialog(Party, method: String)
        case ignored
    }
}

/// Why and how a recording ended, as the machine decides it.
struct RecordingEnd: Sendable, Equatable {
    var operation: String
    var recordingId: String
    var reason: CallRecordFinished.Reason
    var key: String?
}

/// A call's events, in the order they happen.
enum CallNotice: Sendable {
    case offered(CallOffered)
    case state(CallStateChanged)
    case planFailed(CallPlanFailed)
    case transferRequested(CallTransferRequested)
    case applicationStarted(CallAppStarted)
    case key(CallDTMF)
    case playFinished(CallPlayFinished)
    case collectFinished(CallCollectFinished)
    case recordingStarted(CallRecordingStarted)
    case recordingFailed(CallRecordingFailed)
}

/// What the edge keeps of a live call in the database, so a restart can still end it.
enum JournalEntry: Sendable {
    case started(direction: CallDirection, at: Date)
    case answered(at: Date)
    /// The call is being recorded: a CDR made after a crash names the recording.
    case recording(id: String)
    /// The CDR, which replaces the live-call row.
    case ended(CallRecord)
}

/// What the machine needs of the edge: how it names itself, where the trunk is, its time limits.
struct CallSettings: Sendable {
    var edge: EdgeAddress
    /// This edge's ordinal: routing sends its commands for the call to this edge's partition.
    var edgeOrdinal: Int
    /// The operator's trunks, and which of them are up.
    var trunks: Trunks?
    var trunkDiversion: DiversionHeaders = .diversion
    /// A trunk that does not answer an INVITE at all (not even 100 Trying) this long is taken for
    /// down: the call tries the next trunk, or is refused with 503, well before Timer B.
    var trunkSilence: Duration = .seconds(5)
    var routeTimeout: Duration
    /// How long a bridged call may go without RTP from either side before it is ended.
    var mediaTimeout: Duration
    var mediaCheckInterval: Duration = .seconds(10)
    var timers = SIPTimerValues()
    /// Whether the edge has a connection open to a TCP or TLS target (a device's registered flow).
    var isConnected: @Sendable (SIPTarget) -> Bool = { _ in true }
}

/// One call through the edge as a state machine (DESIGN §3, §6): a B2BUA whose caller's INVITE is
/// held while routing decides; the route's targets are rung (all at once, or stage after stage),
/// provisional answers are relayed, the first 2xx is bridged and the other branches cancelled.
/// Hold and resume (re-INVITE both ways), BYE from either side, CANCEL and failures of either leg
/// end or change the call; every change is a `CallNotice`, and the end is exactly one CDR.
///
/// The machine is a value: `handle` takes an input and the time, changes state, and returns the
/// actions to carry out. It never does I/O or reads a clock, so tests drive it with any timeline;
/// `Call` runs it.
struct CallMachine: Sendable {
    enum Phase: Sendable {
        /// Waiting for routing's decision: the first plan, or the next after one failed.
        case routing
        case ringing(Plan)
        case answered(Bridge)
        /// Answered by the edge into an application, which drives it with media commands.
        case application(Application)
        /// Over; the machine lingers until the caller's transaction and every branch are done.
        case ended(cause: String)
    }

    /// A route being rung.
    struct Plan: Sendable {
        let route: CallRoute
        /// Targets that ring together, in order.
        let stages: [[RouteTarget]]
        var nextStage = 0
        /// Where this plan's branches and its current stage's start in `branches`.
        let firstBranch: Int
        var stageBranches: Range<Int>
    }

    /// The answered call: the callee's dialog beside the caller's (the answer time is `callerAnsweredAt`).
    struct Bridge: Sendable {
        var callee: Dialog
        let calleeTarget: SIPTarget
        let answeredBy: String?
        /// The parties that put the other on hold.
        var held: Set<Party> = []
        /// The parties the edge sent a re-INVITE that is not answered yet (RFC 3261 §14.2 glare).
        var reInviting: Set<Party> = []
    }

    /// The call in an application: its playback, its collection of keys and its recording.
    struct Application: Sendable {
        let application: CallApplication
        var playing: (command: CallPlay, number: Int)?
        var collecting: (command: CallCollect, digits: String)?
        var recording: (command: CallRecordAudio, id: String, number: Int)?
        /// Keys pressed between collections (none running, no recording, no prompt they stopped):
        /// the next collection takes them first, so a caller who types ahead of the system's
        /// next question, as people do with a PIN they know, loses nothing.
        var typedAhead: [DTMFKey] = []
        static let typeAheadLimit = 32
    }

    struct Branch: Sendable {
        enum State: Sendable, Equatable {
            /// INVITE sent, nothing heard.
            case trying
            /// A provisional answer with this status.
            case ringing(Int)
            /// Given up on; `sent` once the CANCEL is out (only after a provisional, §9.1).
            case cancelling(sent: Bool)
            /// A final failure (408 for a timeout).
            case failed(Int)
            /// It won the call.
            case answered
            /// It answered when it was no longer wanted and was ACKed and sent BYE.
            case released
        }

        let target: SIPTarget
        let invite: SIPMessage
        let ringSeconds: Int
        /// Whom it rings for (routing's `member`).
        let member: String?
        var dialog: Dialog
        var state = State.trying
        /// What routing asked for, to ring it another way (the next trunk).
        var routeTarget: RouteTarget?

        var isPending: Bool {
            switch state {
            case .trying, .ringing: true
            default: false
            }
        }

        /// Still waiting for the final response to its INVITE.
        var isUnsettled: Bool {
            switch state {
            case .trying, .ringing, .cancelling: true
            default: false
            }
        }

        /// Its final status when the plan's outcome is weighed; a branch given up on rang out (408).
        var failureStatus: Int? {
            switch state {
            case .failed(let status): status
            case .cancelling: 408
            default: nil
            }
        }
    }

    /// The caller's side: its dialog, and its INVITE's server transaction (RFC 3261 §17.2.1).
    struct CallerSide: Sendable {
        var dialog: Dialog
        let target: SIPTarget
        var transaction: ServerTransaction
        /// The last response to the INVITE: what a retransmitted INVITE or Timer G sends again.
        var lastResponse: SIPMessage?
        /// The 2xx waiting for the caller's ACK (§13.3.1.4), and how long it has waited.
        var answerAwaitingAck: (response: SIPMessage, interval: Duration, waited: Duration)?
        /// The session description the edge presents to the caller.
        var session: SessionDescription
    }

    let setup: CallSetup
    let settings: CallSettings
    private(set) var phase = Phase.routing
    private(set) var branches: [Branch] = []
    private var caller: CallerSide
    /// The session description the edge offers (and then presents) to the callee.
    private var calleeSession: SessionDescription
    private let offered: CallOffered
    private let startedAt: Date
    private var route: CallRoute?
    /// When the caller got its 2xx: from the bridge, or from the edge for an application. A call
    /// transferred out of an application is answered already when its new plan rings.
    private var callerAnsweredAt: Date?
    private var direction: CallDirection
    private var relayedRinging = false
    /// Numbers the playbacks, so the end of one that was replaced is not taken for the current one's.
    private var playbacks = 0
    /// Numbers the recordings likewise; an edge-chosen recording id is `<call id>-r<number>`.
    private var recordings = 0
    /// The recording the first plan that had one asked for: it holds for the whole call, whichever
    /// plan (forwarding, overflow) finally bridges it.
    private var recordingPlan: RecordingPlan?
    /// Where the call's recording is (DESIGN §7).
    private var tap: Tap?

    enum Tap: Sendable, Equatable {
        /// The parties hear the notice; the recording `number` (id `<call id>-c<number>`) waits for its end.
        case notice(number: Int)
        case tapping(id: String)
        /// Not recorded, and why.
        case failed(CallRecordingFailed.Reason)
    }
    private var now: Date
    private var actions: [CallAction] = []

    /// - Parameter mediaPorts: the local RTP ports of the caller's and the callee's legs.
    init(setup: CallSetup, settings: CallSettings, mediaPorts: (caller: Int, callee: Int), now: Date) throws(SIPParseError) {
        self.setup = setup
        self.settings = settings
        self.now = now
        startedAt = now
        direction = setup.origin == .trunk ? .inbound : .internal
        offered = CallOffered(edge: settings.edgeOrdinal, from: setup.callerIdentity.uri, to: setup.invite["To"].flatMap(NameAddress.init)?.uri ?? "",
                              origin: setup.origin, callerExtension: setup.callerExtension, dialled: setup.dialled)

        // The caller's side: answer in its most preferred G.711 format, with its telephone-event type.
        guard let format = setup.offer.g711.first else { throw SIPParseError(488, "Only PCMU and PCMA are supported") }
        let event = setup.offer.telephoneEvent
        let sessionID = UInt64.random(in: 1..<UInt64(Int64.max))
        let callerSession = SessionDescription(
            sessionID: sessionID, sessionVersion: 1, address: settings.edge.host, audioPort: mediaPorts.caller,
            formats: [format] + (event.map { [$0] } ?? []), direction: setup.offer.direction.answer, ptime: setup.offer.ptime,
            otherMedia: setup.offer.otherMedia)
        // The callee's side: offer the caller's format first, the other G.711 law (transcoded) and events.
        let other: SessionDescription.Format = format.payloadType == 0 ? .pcma : .pcmu
        calleeSession = SessionDescription(
            sessionID: sessionID, sessionVersion: 1, address: settings.edge.host, audioPort: mediaPorts.callee,
            formats: [format.payloadType == 0 ? .pcmu : .pcma, other, .telephoneEvent(101)], ptime: 20)

        let invite = setup.invite
        let from = invite["From"].flatMap(NameAddress.init)
        let to = invite["To"].flatMap(NameAddress.init)
        let target = SIPTarget(setup.source)
        caller = CallerSide(
            dialog: Dialog(callID: invite["Call-ID"] ?? "", localURI: Self.bare(to), localTag: SIPTransport.randomToken(),
                           remoteURI: Self.bare(from), remoteTag: from?.tag,
                           remoteTarget: invite["Contact"].flatMap(NameAddress.init)?.uri ?? setup.source.description,
                           routeSet: invite.values("Record-Route"), localCSeq: 0,
                           remoteCSeq: invite["CSeq"].flatMap(CSeq.init)?.number),
            target: target,
            transaction: ServerTransaction(isInvite: true, reliable: target.transport != "UDP", timers: settings.timers),
            session: callerSession)
    }

    /// Over, and nothing of it is still in flight: the caller's final response was ACKed (or gave
    /// up on) and every branch has its final response.
    var isFinished: Bool {
        guard case .ended = phase, caller.answerAwaitingAck == nil, caller.transaction.state == .terminated else { return false }
        return !branches.contains(where: \.isUnsettled)
    }

    /// The Call-IDs of the call's legs.
    var callIDs: [String] { [caller.dialog.callID] + branches.map(\.dialog.callID) }

    /// The call's first steps: 100 Trying, the offer to routing, the live-call row, the routing deadline.
    mutating func start() -> [CallAction] {
        emit(.configureMedia(.caller, setup.offer))
        respondToCaller(setup.invite.response(100))
        emit(.publish(.offered(offered)))
        emit(.publish(.state(CallStateChanged(state: .offered, cause: nil, party: setup.callerIdentity.uri))))
        emit(.journal(.started(direction: direction, at: startedAt)))
        emit(.start(.routeDeadline, after: settings.routeTimeout))
        return takeActions()
    }

    mutating func handle(_ input: CallInput, now: Date) -> [CallAction] {
        self.now = now
        switch input {
        case .route(let route): apply(route)
        case .branch(let index, let event): branchEvent(index, event)
        case .lateSuccess(let response): lateSuccess(response)
        case .request(let request, let party, let source): received(request, from: party, target: party == .caller ? caller.target : SIPTarget(source))
        case .inDialog(let party, let method, let event): inDialogResponse(party, method: method, event: event)
        case .timer(let timer): fire(timer)
        case .mediaQuiet:
            if bridge != nil || application != nil { hangUp(cause: "media timeout") }
        case .application(let command): perform(command)
        case .key(let key, let source): pressed(key, source: source)
        case .playbackEnded(let number): playbackEnded(number, reason: .completed)
        case .playbackFailed(let number): playbackEnded(number, reason: .failed)
        case .recordingLimit(let number, let limit):
            if application?.recording?.number == number { finishRecording(limit.reason) }
        case .noticeEnded(let number):
            if tap == .notice(number: number), bridge != nil { startTap(number: number) }
        case .noticeFailed(let number):
            if tap == .notice(number: number) { recordingFailed(.noticeUnavailable) }
        case .terminate(let reason):
            switch phase {
            case .answered, .application: hangUp(cause: reason)
            case .routing, .ringing: fail(503, "Service Unavailable", cause: reason)
            case .ended: break
            }
        }
        return takeActions()
    }

    // MARK: Routing

    private mutating func apply(_ route: CallRoute) {
        // A decision after the deadline (the call is over) or a second one is ignored.
        guard case .routing = phase else { return }
        emit(.cancel(.routeDeadline))
        if self.route == nil { SIPMetrics.routeLatency.record(duration: .seconds(now.timeIntervalSince(startedAt))) }
        self.route = route
        if recordingPlan == nil { recordingPlan = route.recording }
        if let reject = route.reject {
            if let refused = reject.direction, setup.origin == .device { direction = refused }
            fail(reject.status, reject.reason, cause: "\(reject.status) \(reject.reason)")
            return
        }
        if let application = route.application {
            answer(into: application)
            return
        }
        guard !route.targets.isEmpty else {
            fail(480, "Temporarily Unavailable", cause: "480 no targets")
            return
        }
        if route.targets.contains(where: { $0.via == .trunk }) && setup.origin == .device { direction = .outbound }
        phase = .ringing(Plan(route: route, stages: Self.stages(of: route), firstBranch: branches.count,
                              stageBranches: branches.count..<branches.count))
        // A caller transferred out of an application is answered already: it hears ringback from the edge.
        if callerAnsweredAt != nil { startPlayback([.ringback(seconds: 120)], loop: true) }
        if let total = route.totalSeconds {
            emit(.start(.planTimeout, after: Self.ringTime(total, within: DialplanConfiguration.totalSecondsRange)))
        }
        ringNextStage()
    }

    /// Parallel: one stage of every target. Sequential: consecutive targets with the same stage
    /// number ring together (a user's devices), a target without one rings alone.
    static func stages(of route: CallRoute) -> [[RouteTarget]] {
        guard route.strategy == .sequential else { return [route.targets] }
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

    /// A ring time from a route command, kept to what the dialplan allows: a value near Int.max
    /// from a bad command must not overflow the timer's deadline.
    static func ringTime(_ seconds: Int, within range: ClosedRange<Int>) -> Duration {
        .seconds(min(max(seconds, 1), range.upperBound))
    }

    private mutating func ringNextStage() {
        guard var plan else { return }
        emit(.cancel(.stageTimeout))
        guard plan.nextStage < plan.stages.count else {
            planExhausted()
            return
        }
        let stage = plan.stages[plan.nextStage]
        plan.nextStage += 1
        let first = branches.count
        for target in stage { startBranch(target, plan: plan) }
        plan.stageBranches = first..<branches.count
        self.plan = plan
        guard branches[plan.stageBranches].contains(where: \.isPending) else {
            ringNextStage()  // nothing of it could be rung
            return
        }
        let seconds = stage.map(\.ringSeconds).max() ?? 30
        emit(.start(.stageTimeout, after: Self.ringTime(seconds, within: DialplanConfiguration.memberSecondsRange)))
    }

    /// Nobody of the plan answered: routing may have a next plan (forwarding, overflow), else the
    /// caller gets the best final status.
    private mutating func planExhausted() {
        guard let plan else { return }
        emit(.cancel(.stageTimeout))
        emit(.cancel(.planTimeout))
        guard let context = plan.route.context else {
            failWithBestBranchStatus()
            return
        }
        let statuses = branches[plan.firstBranch...].compactMap(\.failureStatus)
        let cause: PlanFailure = statuses.contains(486) || statuses.contains(600) ? .busy
            : !statuses.isEmpty && statuses.allSatisfy({ [408, 480, 487].contains($0) }) ? .noAnswer : .unavailable
        phase = .routing
        emit(.publish(.planFailed(CallPlanFailed(offer: offered, context: context, cause: cause))))
        emit(.start(.routeDeadline, after: settings.routeTimeout))
    }

    /// The best final response (RFC 3261 §16.7 in short): a 6xx, else busy, else the lowest class.
    private mutating func failWithBestBranchStatus() {
        let statuses = branches.compactMap(\.failureStatus).filter { $0 >= 300 }
        if let global = statuses.first(where: { $0 >= 600 }) {
            fail(global, SIPMessage.reasonPhrase(global), cause: "\(global) \(SIPMessage.reasonPhrase(global))")
        } else if statuses.contains(486) {
            fail(486, SIPMessage.reasonPhrase(486), cause: "486 \(SIPMessage.reasonPhrase(486))")
        } else if statuses.isEmpty || statuses.allSatisfy({ $0 == 408 || $0 == 487 }) {
            fail(480, "No Answer", cause: "480 no answer")
        } else {
            let status = statuses.min() ?? 480
            fail(status, SIPMessage.reasonPhrase(status), cause: "\(status) \(SIPMessage.reasonPhrase(status))")
        }
    }

    // MARK: Branches

    /// Where a route target's INVITE goes; a device registered over TCP over its connection while it is open.
    private func hop(of routeTarget: RouteTarget) -> SIPTarget? {
        let hop: SIPTarget?
        switch routeTarget.via {
        case .trunk: hop = settings.trunks?.current()
        case .address(let address): hop = SIPTarget(address)
        case nil: hop = SIPURI(routeTarget.uri).flatMap { SIPTarget(uri: $0) }
        }
        return hop?.reaching(contact: routeTarget.uri, isConnected: settings.isConnected)
    }

    private mutating func startBranch(_ routeTarget: RouteTarget, plan: Plan) {
        let index = branches.count
        guard let target = hop(of: routeTarget), let uri = SIPURI(routeTarget.uri) else {
            // Kept as a failed branch, so the plan's outcome counts it.
            branches.append(Branch(target: caller.target, invite: setup.invite, ringSeconds: 0, member: routeTarget.member,
                                   dialog: caller.dialog, state: .failed(503)))
            return
        }
        // The callee sees the caller's name and number (or the number routing presents), in the
        // callee's domain: the tenant's for devices, the trunk's host for the trunk.
        let route = plan.route
        let viaTrunk = routeTarget.via == .trunk
        let host = viaTrunk ? target.host : setup.tenant.sipDomain
        let anonymous = route.anonymous == true
        let callerUser = anonymous ? "anonymous" : route.presentedNumber ?? SIPURI(setup.callerIdentity.uri)?.user ?? "anonymous"
        let display = anonymous ? "\"Anonymous\" " : setup.callerIdentity.displayName.map { "\"\($0)\" " } ?? ""
        // RFC 3323 §4.1.1.3: an anonymous From names no host either.
        let callerHost = anonymous ? "anonymous.invalid" : host
        let calledUser = viaTrunk ? (uri.user ?? setup.dialled) : setup.dialled
        var dialog = Dialog(callID: "\(setup.id).\(index)", localURI: "\(display)<sip:\(callerUser)@\(callerHost)>",
                            localTag: SIPTransport.randomToken(), remoteURI: "<sip:\(calledUser)@\(host)>", remoteTag: nil,
                            remoteTarget: viaTrunk ? "sip:\(calledUser)@\(target.host):\(target.port)" : routeTarget.uri,
                            localCSeq: 0)
        var offer = calleeSession
        offer.direction = .sendrecv
        var invite = dialog.request("INVITE", via: settings.edge.via(transport: target.transport),
                                    contact: settings.edge.contact(transport: target.transport),
                                    body: offer.serialized(), contentType: "application/sdp")
        let maxForwards = (setup.invite["Max-Forwards"].flatMap(Int.init) ?? 70) - 1
        invite.set("Max-Forwards", String(max(0, min(maxForwards, 70))))
        if viaTrunk, let number = route.presentedNumber {
            // The network knows who calls (RFC 3325) even when the called party must not (RFC 3323).
            invite.add("P-Asserted-Identity", "<sip:\(number)@\(host)>")
        }
        if anonymous { invite.add("Privacy", "id") }
        if viaTrunk, let diversion = route.diversion, let number = diversion.number {
            Self.addDiversion(diversion, number: number, to: &invite, host: host, target: "sip:\(calledUser)@\(host)", headers: settings.trunkDiversion)
        }
        invite.add("Allow", SIPRequestRouter.allow)
        invite.add("User-Agent", "Switchboard")
        branches.append(Branch(target: target, invite: invite, ringSeconds: routeTarget.ringSeconds, member: routeTarget.member,
                               dialog: dialog, state: .trying, routeTarget: routeTarget))
        emit(.attach(callID: dialog.callID))
        emit(.request(invite, to: target, replies: .branch(index)))
        if viaTrunk { emit(.start(.trunkSilent(branch: index), after: settings.trunkSilence)) }
    }

    /// The trunk never answered this branch's INVITE: it is taken for down, and the branch rings
    /// through the next trunk that is up, or fails with 503 (the plan goes on without it).
    private mutating func trunkSilent(_ index: Int) {
        guard branches.indices.contains(index), branches[index].state == .trying, var plan,
              let routeTarget = branches[index].routeTarget else { return }
        settings.trunks?.markDown(branches[index].target)
        branches[index].state = .failed(503)
        if plan.stageBranches.contains(index), let next = settings.trunks?.current(), next != branches[index].target {
            startBranch(routeTarget, plan: plan)
            plan.stageBranches = plan.stageBranches.lowerBound..<branches.count
            self.plan = plan
        }
        stageMayBeOver()
    }

    /// The tenant's number that sent the call on, for the operator's network: `Diversion` (RFC
    /// 5806) and/or `History-Info` (RFC 7044: the diverting number, then the target with the cause
    /// of RFC 4458 that sent the call there).
    static func addDiversion(_ diversion: CallDiversion, number: String, to invite: inout SIPMessage, host: String, target: String,
                             headers: DiversionHeaders) {
        if headers.diversion {
            invite.add("Diversion", "<sip:\(number)@\(host)>;reason=\(diversion.reason.rawValue);counter=1")
        }
        if headers.historyInfo {
            let cause = switch diversion.reason {
            case .unconditional: 302
            case .userBusy: 486
            case .noAnswer: 408
            case .unavailable: 503
            case .timeOfDay, .unknown: 404
            }
            invite.add("History-Info", "<sip:\(number)@\(host)>;index=1,<\(target)?Reason=SIP%3Bcause%3D\(cause)>;index=1.1;mp=1")
        }
    }

    private mutating func branchEvent(_ index: Int, _ event: ClientTransactionEvent) {
        guard branches.indices.contains(index) else { return }
        let status: Int
        let response: SIPMessage?
        switch event {
        case .timeout:
            (status, response) = (408, nil)
        case .response(let message):
            (status, response) = (message.status ?? 500, message)
        }
        switch branches[index].state {
        case .trying, .ringing:
            if status < 200 {
                branches[index].state = .ringing(status)
                if status > 100, let response, plan != nil, callerAnsweredAt == nil { relayProgress(response, branch: index) }
            } else if status < 300, let response {
                branchAnswered(index, response: response)
            } else {
                branches[index].state = .failed(status)
                stageMayBeOver()
            }
        case .cancelling(let sent):
            if status < 200 {
                // The CANCEL could not go before the branch answered provisionally (§9.1); now it can.
                if !sent { sendCancel(index) }
            } else if status < 300, let response {
                release(index, response: response)  // it answered after it was cancelled
            } else {
                branches[index].state = .failed(status)
            }
        case .failed, .answered, .released:
            break
        }
    }

    /// 180/183 go to the caller once; early media (183 with SDP) is bridged at once.
    private mutating func relayProgress(_ response: SIPMessage, branch index: Int) {
        var early: SessionDescription?
        if !response.body.isEmpty, let answer = try? SessionDescription.parse(response.body), !answer.g711.isEmpty {
            early = answer
            emit(.configureMedia(.callee, answer))
        }
        if relayedRinging && early == nil { return }
        var progress = setup.invite.response(early == nil ? 180 : 183, toTag: caller.dialog.localTag)
        progress.add("Contact", settings.edge.contact(transport: caller.target.transport))
        if early != nil {
            progress.add("Content-Type", "application/sdp")
            progress.body = caller.session.serialized()
        }
        respondToCaller(progress)
        if !relayedRinging {
            relayedRinging = true
            emit(.publish(.state(CallStateChanged(state: .ringing, cause: nil, party: branches[index].dialog.remoteURI))))
        }
    }

    private mutating func branchAnswered(_ index: Int, response: SIPMessage) {
        guard plan != nil else {
            release(index, response: response)  // the plan was given up meanwhile
            return
        }
        guard let answer = try? SessionDescription.parse(response.body), !answer.g711.isEmpty else {
            release(index, response: response)
            fail(488, "Not Acceptable Here", cause: "488 callee answered without G.711")
            return
        }
        var dialog = branches[index].dialog
        dialog.confirm(with: response)
        branches[index].dialog = dialog
        branches[index].state = .answered
        let target = branches[index].target
        emit(.send(dialog.ack(cseq: Self.cseq(of: response), via: settings.edge.via(transport: target.transport)), to: target))
        emit(.configureMedia(.callee, answer))
        cancelBranches(except: index)
        emit(.cancel(.stageTimeout))
        emit(.cancel(.planTimeout))
        phase = .answered(Bridge(callee: dialog, calleeTarget: target, answeredBy: branches[index].member))
        if callerAnsweredAt == nil {
            answerCaller()
        } else {
            emit(.stopPlayback)  // the ringback of a transfer: now the callee is relayed
        }
        emit(.publish(.state(CallStateChanged(state: .answered, cause: nil, party: dialog.remoteURI))))
        emit(.start(.mediaCheck, after: settings.mediaCheckInterval))
        startCallRecording()
    }

    // MARK: Call recording

    /// A bridged call its plan records: the notice first when the policy wants one (without it
    /// there is no recording: fail closed), then the tap.
    private mutating func startCallRecording() {
        guard let plan = recordingPlan, tap == nil else { return }
        recordings += 1
        guard plan.notice else {
            startTap(number: recordings)
            return
        }
        guard let notice = plan.noticeSha256 else {
            recordingFailed(.noticeUnavailable)
            return
        }
        tap = .notice(number: recordings)
        emit(.playNotice(sha256: notice, number: recordings))
    }

    private mutating func startTap(number: Int) {
        guard let plan = recordingPlan else { return }
        let id = "\(setup.id)-c\(number)"
        tap = .tapping(id: id)
        let parties = cdrParties
        let started = CallRecordingStarted(recordingId: id, plan: plan, caller: parties.from, callee: bridge?.answeredBy ?? parties.to,
                                           startedAt: now)
        emit(.startTap(started))
        emit(.publish(.recordingStarted(started)))
        emit(.journal(.recording(id: id)))
    }

    private mutating func recordingFailed(_ reason: CallRecordingFailed.Reason) {
        tap = .failed(reason)
        emit(.publish(.recordingFailed(CallRecordingFailed(number: recordingPlan?.number ?? "", reason: reason))))
    }

    /// What the CDR says of the recording.
    private var recordingNote: CallRecordingNote? {
        switch tap {
        case .tapping(let id): CallRecordingNote(outcome: .recorded, recordingId: id, reason: nil)
        case .failed(let reason): CallRecordingNote(outcome: .failed, recordingId: nil, reason: reason.rawValue)
        // Hung up while the notice played: nothing was captured, and the record says so.
        case .notice: CallRecordingNote(outcome: .failed, recordingId: nil, reason: "ended-during-notice")
        case nil: nil
        }
    }

    /// The 2xx to the caller's INVITE, with the edge's SDP.
    private mutating func answerCaller() {
        var ok = setup.invite.response(200, toTag: caller.dialog.localTag)
        ok.add("Contact", settings.edge.contact(transport: caller.target.transport))
        ok.add("Allow", SIPRequestRouter.allow)
        ok.add("Content-Type", "application/sdp")
        ok.body = caller.session.serialized()
        respondToCaller(ok)
        callerAnsweredAt = now
        emit(.journal(.answered(at: now)))
    }

    // MARK: Applications

    /// The edge answers the call itself; the application drives it from here.
    private mutating func answer(into application: CallApplication) {
        phase = .application(Application(application: application))
        if callerAnsweredAt == nil { answerCaller() }
        emit(.listenForKeys)
        emit(.publish(.applicationStarted(CallAppStarted(application: application, offer: offered))))
        emit(.publish(.state(CallStateChanged(state: .answered, cause: nil, party: application.description))))
        emit(.start(.mediaCheck, after: settings.mediaCheckInterval))
    }

    private mutating func perform(_ command: ApplicationCommand) {
        guard var current = application else { return }  // the call left the application, or is over
        switch command {
        case .play(let play):
            if let previous = current.playing {
                emit(.publish(.playFinished(CallPlayFinished(operation: previous.command.operation, reason: .stopped))))
            }
            current.playing = (play, startPlayback(play.items, loop: play.loop))
            application = current
        case .collect(let collect):
            if let previous = current.collecting {
                emit(.publish(.collectFinished(CallCollectFinished(operation: previous.command.operation, digits: previous.digits, reason: .stopped))))
            }
            current.collecting = (collect, "")
            application = current
            // Play and collect together: the caller has the first-key time after the prompt ends.
            if current.playing == nil { startFirstKeyTimeout() }
            while application?.collecting != nil, let key = application?.typedAhead.first {
                application?.typedAhead.removeFirst()
                deliver(key)
            }
        case .record(let record):
            finishRecording(.stopped)  // a new recording replaces the old
            recordings += 1
            let number = recordings
            let id = record.recordingId.flatMap { $0.isEmpty ? nil : $0 } ?? "\(setup.id)-r\(number)"
            application?.recording = (record, id, number)
            emit(.startRecording(record, id: id, number: number))
        case .stop:
            stopPlayback(reason: .stopped)
            finishCollecting(.stopped)
            finishRecording(.stopped)
        case .transfer(let destination):
            stopPlayback(reason: .stopped)
            finishCollecting(.stopped)
            finishRecording(.stopped)
            phase = .routing
            emit(.publish(.transferRequested(CallTransferRequested(offer: offered, destination: destination, from: current.application))))
            emit(.start(.routeDeadline, after: settings.routeTimeout))
        case .hangUp(let cause):
            hangUp(cause: cause)
        }
    }

    private mutating func pressed(_ key: DTMFKey, source: DTMFSource) {
        guard let current = application else { return }
        emit(.publish(.key(CallDTMF(key: String(key.character), source: source))))
        if current.recording?.command.endKeys.contains(key.character) == true {
            finishRecording(.key, key: key)
            return
        }
        if current.collecting == nil && current.recording == nil && current.playing?.command.bargeIn != true {
            if current.typedAhead.count < Application.typeAheadLimit { application?.typedAhead.append(key) }
            return
        }
        deliver(key)
    }

    /// A key for the prompt (barge-in) and the collection running, if any.
    private mutating func deliver(_ key: DTMFKey) {
        guard var current = application else { return }
        if current.playing?.command.bargeIn == true {
            stopPlayback(reason: .bargeIn)
            current = application ?? current
        }
        guard var collecting = current.collecting else { return }
        if collecting.command.terminators.contains(key.character) {
            finishCollecting(.terminator)
            return
        }
        collecting.digits.append(key.character)
        current.collecting = collecting
        application = current
        if collecting.digits.count >= max(collecting.command.maxDigits, 1) {
            finishCollecting(.maxDigits)
        } else {
            emit(.start(.collectTimeout, after: .milliseconds(min(max(collecting.command.interDigitTimeoutMs, 0), 600_000))))
        }
    }

    @discardableResult
    private mutating func startPlayback(_ items: [PlayItem], loop: Bool) -> Int {
        playbacks += 1
        emit(.startPlayback(items, loop: loop, number: playbacks))
        return playbacks
    }

    private mutating func playbackEnded(_ number: Int, reason: CallPlayFinished.Reason) {
        guard let playing = application?.playing, playing.number == number else { return }
        application?.playing = nil
        emit(.publish(.playFinished(CallPlayFinished(operation: playing.command.operation, reason: reason))))
        startFirstKeyTimeout()
    }

    private mutating func stopPlayback(reason: CallPlayFinished.Reason) {
        guard let playing = application?.playing else { return }
        application?.playing = nil
        emit(.stopPlayback)
        emit(.publish(.playFinished(CallPlayFinished(operation: playing.command.operation, reason: reason))))
        // A barge-in's key goes on to the collection, which times the next one.
        if reason != .bargeIn { startFirstKeyTimeout() }
    }

    /// The collection waiting for its first key starts counting (a key already in resets it).
    private mutating func startFirstKeyTimeout() {
        guard let collecting = application?.collecting, collecting.digits.isEmpty else { return }
        emit(.start(.collectTimeout, after: .milliseconds(min(max(collecting.command.firstDigitTimeoutMs, 0), 600_000))))
    }

    private mutating func finishRecording(_ reason: CallRecordFinished.Reason, key: DTMFKey? = nil) {
        guard let recording = application?.recording else { return }
        application?.recording = nil
        emit(.stopRecording(RecordingEnd(operation: recording.command.operation, recordingId: recording.id, reason: reason,
                                         key: key.map { String($0.character) })))
    }

    private mutating func finishCollecting(_ reason: CallCollectFinished.Reason) {
        guard let collecting = application?.collecting else { return }
        application?.collecting = nil
        emit(.cancel(.collectTimeout))
        emit(.publish(.collectFinished(CallCollectFinished(operation: collecting.command.operation, digits: collecting.digits, reason: reason))))
    }

    /// A 2xx after its transaction ended. The same dialog's again: our ACK was lost, so it is sent
    /// again. Another dialog's (a proxy beyond the branch forked it): that dialog is released.
    private mutating func lateSuccess(_ response: SIPMessage) {
        guard let callID = response["Call-ID"], let index = branches.firstIndex(where: { $0.dialog.callID == callID }) else { return }
        let branch = branches[index]
        let sameDialog = response["To"].flatMap(NameAddress.init)?.tag == branch.dialog.remoteTag
        switch branch.state {
        case .answered where sameDialog, .released where sameDialog:
            emit(.send(branch.dialog.ack(cseq: Self.cseq(of: response), via: settings.edge.via(transport: branch.target.transport)),
                       to: branch.target))
        case .answered, .released:
            _ = releaseDialog(of: branch, answeredWith: response)
        case .trying, .ringing, .cancelling, .failed:
            release(index, response: response)
        }
    }

    /// Ends a branch the call does not use (it answered too late, or unusably).
    private mutating func release(_ index: Int, response: SIPMessage) {
        branches[index].dialog = releaseDialog(of: branches[index], answeredWith: response)
        branches[index].state = .released
    }

    /// The dialog a 2xx of `branch` made, ended at once: ACK, then BYE.
    private mutating func releaseDialog(of branch: Branch, answeredWith response: SIPMessage) -> Dialog {
        var dialog = branch.dialog
        dialog.confirm(with: response)
        let target = branch.target
        emit(.send(dialog.ack(cseq: Self.cseq(of: response), via: settings.edge.via(transport: target.transport)), to: target))
        let bye = dialog.request("BYE", via: settings.edge.via(transport: target.transport), contact: nil)
        emit(.request(bye, to: target, replies: .ignored))
        return dialog
    }

    /// Gives up on every branch still ringing, but the winner.
    private mutating func cancelBranches(except winner: Int?) {
        for index in branches.indices where index != winner && branches[index].isPending {
            if case .ringing = branches[index].state {
                sendCancel(index)
            } else {
                branches[index].state = .cancelling(sent: false)
            }
        }
    }

    private mutating func sendCancel(_ index: Int) {
        branches[index].state = .cancelling(sent: true)
        emit(.request(ClientTransactions.cancel(for: branches[index].invite), to: branches[index].target, replies: .ignored))
    }

    /// Once every branch of the stage has failed, the next stage rings.
    private mutating func stageMayBeOver() {
        guard let plan, !branches[plan.stageBranches].contains(where: \.isPending) else { return }
        ringNextStage()
    }

    // MARK: Requests from either side

    private mutating func received(_ request: SIPMessage, from party: Party, target: SIPTarget) {
        let method = request.method ?? ""
        switch method {
        case "ACK":
            if party == .caller { callerAcked() }
            return
        case "INVITE" where party == .caller && request["To"].flatMap(NameAddress.init)?.tag == nil:
            callerInviteAgain()
            return
        default:
            break
        }
        if case .ended = phase {
            // BYEs that crossed ours are answered; anything else is for a dialog that is gone.
            emit(.respond(request.response(method == "BYE" ? 200 : 481), to: request, at: target))
            return
        }
        // A BYE or a session change from a branch that is not the bridged callee belongs to no
        // dialog of the call.
        let changesSession = method == "BYE" || method == "INVITE" || (method == "UPDATE" && !request.body.isEmpty)
        if party == .callee, changesSession, request["Call-ID"] != bridge?.callee.callID {
            emit(.respond(request.response(481), to: request, at: target))
            return
        }
        guard method == "CANCEL" || accept(request, from: party) else {
            emit(.respond(request.response(500, "CSeq out of order"), to: request, at: target))
            return
        }
        switch method {
        case "CANCEL":
            emit(.respond(request.response(200), to: request, at: target))
            guard party == .caller, callerAnsweredAt == nil else { return }  // a CANCEL after the 2xx does nothing (§9.2)
            fail(487, "Request Terminated", cause: "cancelled")
        case "BYE":
            emit(.respond(request.response(200), to: request, at: target))
            if callerAnsweredAt != nil {
                if bridge != nil { sendInDialog("BYE", to: party.other) }
                cancelBranches(except: nil)  // a transfer still ringing
                end(cause: "normal", by: party)
            } else if party == .caller {
                fail(487, "Request Terminated", cause: "cancelled")
            }
        case "INVITE":
            reInvite(request, from: party, target: target)
        case "UPDATE" where !request.body.isEmpty:
            // A session change without a re-INVITE (RFC 3311): answered the same way.
            reInvite(request, from: party, target: target)
        case "INFO" where party == .caller && application != nil:
            emit(.respond(request.response(200), to: request, at: target))
            if let info = DTMFInfo(contentType: request["Content-Type"] ?? "", body: request.body) {
                pressed(info.key, source: .info)
            }
        case "INFO", "UPDATE", "OPTIONS":
            emit(.respond(request.response(200), to: request, at: target))
        default:
            var response = request.response(405)
            response.add("Allow", SIPRequestRouter.allow)
            emit(.respond(response, to: request, at: target))
        }
    }

    /// Checks the request's CSeq against the dialog it belongs to (§12.2.2).
    private mutating func accept(_ request: SIPMessage, from party: Party) -> Bool {
        guard let cseq = request["CSeq"].flatMap(CSeq.init) else { return false }
        if party == .caller { return caller.dialog.acceptRemote(cseq: cseq.number, method: cseq.method) }
        return bridge?.callee.acceptRemote(cseq: cseq.number, method: cseq.method) ?? true
    }

    /// Hold and resume, or a session refresh: the sender gets its answer at once from the edge,
    /// the other side gets the new direction in a re-INVITE of its own (the B2BUA keeps the two
    /// offer/answer exchanges apart).
    private mutating func reInvite(_ request: SIPMessage, from party: Party, target: SIPTarget) {
        if party == .caller, application != nil {
            answerInApplication(request, target: target)
            return
        }
        guard let current = bridge, !current.reInviting.contains(party) else {
            // Before the answer, or while our own re-INVITE to the sender is pending (glare, §14.2).
            emit(.respond(request.response(491), to: request, at: target))
            return
        }
        var offer: SessionDescription?
        if !request.body.isEmpty {
            guard let parsed = try? SessionDescription.parse(request.body), !parsed.g711.isEmpty else {
                emit(.respond(request.response(488), to: request, at: target))
                return
            }
            offer = parsed
            emit(.configureMedia(party, parsed))
        }
        let direction = offer.map { $0.isHold ? ($0.direction == .inactive ? .inactive : .sendonly) : .sendrecv }
            ?? SessionDescription.Direction.sendrecv
        // Answer the sender.
        let answer = updateSession(of: party, direction: direction.answer)
        var ok = request.response(200, toTag: party == .caller ? caller.dialog.localTag : nil)
        ok.add("Contact", settings.edge.contact(transport: target.transport))
        ok.add("Content-Type", "application/sdp")
        ok.body = answer.serialized()
        emit(.respond(ok, to: request, at: target))
        // Tell the other side when the hold state changed.
        let wasHeld = current.held.contains(party)
        guard wasHeld != direction.isHold else { return }
        if direction.isHold { bridge?.held.insert(party) } else { bridge?.held.remove(party) }
        let towardOther = updateSession(of: party.other, direction: direction)
        sendInDialog("INVITE", to: party.other, body: towardOther.serialized())
        emit(.publish(.state(CallStateChanged(state: direction.isHold ? .held : .resumed, cause: nil,
                                              party: party == .caller ? setup.callerIdentity.uri : current.callee.remoteURI))))
    }

    /// A re-INVITE (or UPDATE) of a caller in an application: answered by the edge, nobody else to tell.
    private mutating func answerInApplication(_ request: SIPMessage, target: SIPTarget) {
        var direction = SessionDescription.Direction.sendrecv
        if !request.body.isEmpty {
            guard let offer = try? SessionDescription.parse(request.body), !offer.g711.isEmpty else {
                emit(.respond(request.response(488), to: request, at: target))
                return
            }
            emit(.configureMedia(.caller, offer))
            direction = offer.direction
        }
        let answer = updateSession(of: .caller, direction: direction.answer)
        var ok = request.response(200, toTag: caller.dialog.localTag)
        ok.add("Contact", settings.edge.contact(transport: target.transport))
        ok.add("Content-Type", "application/sdp")
        ok.body = answer.serialized()
        emit(.respond(ok, to: request, at: target))
    }

    /// A new version of the session description the edge presents to `party`.
    private mutating func updateSession(of party: Party, direction: SessionDescription.Direction) -> SessionDescription {
        var session = party == .caller ? caller.session : calleeSession
        session.sessionVersion += 1
        session.direction = direction
        if party == .caller { caller.session = session } else { calleeSession = session }
        return session
    }

    private mutating func inDialogResponse(_ party: Party, method: String, event: ClientTransactionEvent) {
        guard method == "INVITE" else { return }
        bridge?.reInviting.remove(party)
        guard case .response(let response) = event, let status = response.status, (200..<300).contains(status) else { return }
        let dialog: Dialog
        let target: SIPTarget
        if party == .caller {
            (dialog, target) = (caller.dialog, caller.target)
        } else {
            guard let bridge else { return }
            (dialog, target) = (bridge.callee, bridge.calleeTarget)
        }
        emit(.send(dialog.ack(cseq: Self.cseq(of: response), via: settings.edge.via(transport: target.transport)), to: target))
    }

    /// Sends a request in the dialog with `party`.
    private mutating func sendInDialog(_ method: String, to party: Party, body: [UInt8] = []) {
        let contentType = body.isEmpty ? nil : "application/sdp"
        let target: SIPTarget
        let request: SIPMessage
        if party == .caller {
            target = caller.target
            request = caller.dialog.request(method, via: settings.edge.via(transport: target.transport),
                                            contact: settings.edge.contact(transport: target.transport), body: body, contentType: contentType)
        } else {
            guard var bridge else { return }
            target = bridge.calleeTarget
            request = bridge.callee.request(method, via: settings.edge.via(transport: target.transport),
                                            contact: settings.edge.contact(transport: target.transport), body: body, contentType: contentType)
            self.bridge = bridge
        }
        if method == "INVITE" { bridge?.reInviting.insert(party) }
        emit(.request(request, to: target, replies: method == "INVITE" ? .inDialog(party, method: method) : .ignored))
    }

    // MARK: The caller's INVITE transaction

    /// A response to the caller's INVITE, through its server transaction.
    private mutating func respondToCaller(_ response: SIPMessage) {
        let status = response.status ?? 500
        caller.lastResponse = response
        perform(caller.transaction.respond(status: status))
        if (200..<300).contains(status) {
            // The transaction ends with a 2xx; the UAS core sends it again until the ACK (§13.3.1.4),
            // over UDP at T1 doubling to T2, and waits 64·T1 on any transport.
            let timers = settings.timers
            let first = caller.transaction.reliable ? timers.t1 * 64 : timers.t1
            caller.answerAwaitingAck = (response, first, .zero)
            emit(.start(.answerRetransmit, after: first))
        }
    }

    private mutating func perform(_ transactionActions: [TransactionAction]) {
        for action in transactionActions {
            switch action {
            case .send:
                if let response = caller.lastResponse { emit(.send(response, to: caller.target)) }
            case .start(let timer, let duration): emit(.start(.caller(timer), after: duration))
            case .cancel(let timer): emit(.cancel(.caller(timer)))
            // Timer H without an ACK: the caller is gone; the call is already over.
            case .timeout, .terminate, .sendAck, .passUp: break
            }
        }
    }

    private mutating func callerAcked() {
        if caller.answerAwaitingAck != nil {
            caller.answerAwaitingAck = nil
            emit(.cancel(.answerRetransmit))
        } else {
            perform(caller.transaction.ack())
        }
    }

    /// The caller's INVITE again: its last response again (§17.2.1), or the 2xx it has not ACKed.
    private mutating func callerInviteAgain() {
        if let pending = caller.answerAwaitingAck {
            emit(.send(pending.response, to: caller.target))
        } else {
            perform(caller.transaction.retransmittedRequest())
        }
    }

    // MARK: Timers

    private mutating func fire(_ timer: CallTimer) {
        switch timer {
        case .routeDeadline:
            guard case .routing = phase else { return }
            SIPMetrics.routeTimeouts.increment()
            fail(503, "No routing decision", cause: "503 no routing decision")
        case .stageTimeout:
            guard plan != nil else { return }
            cancelBranches(except: nil)
            ringNextStage()
        case .planTimeout:
            guard var current = plan else { return }
            cancelBranches(except: nil)
            current.nextStage = current.stages.count
            plan = current
            planExhausted()
        case .answerRetransmit:
            guard var pending = caller.answerAwaitingAck else { return }
            pending.waited += pending.interval
            let timers = settings.timers
            guard pending.waited < timers.t1 * 64 else {
                // No ACK for 64·T1 (§13.3.1.4): the caller is gone.
                caller.answerAwaitingAck = nil
                if bridge != nil || application != nil {
                    hangUp(cause: "no ACK")
                }
                return
            }
            emit(.send(pending.response, to: caller.target))
            SIPMetrics.retransmissions.increment()
            pending.interval = min(pending.interval * 2, timers.t2)
            caller.answerAwaitingAck = pending
            emit(.start(.answerRetransmit, after: pending.interval))
        case .collectTimeout:
            guard let collecting = application?.collecting else { return }
            finishCollecting(collecting.digits.isEmpty ? .noInput : .interDigitTimeout)
        case .mediaCheck:
            guard bridge != nil || application != nil, let answeredAt = callerAnsweredAt else { return }
            if bridge?.held.isEmpty ?? true, now.timeIntervalSince(answeredAt) > Double(settings.mediaTimeout.components.seconds) {
                emit(.probeMedia(quietFor: settings.mediaTimeout))
            }
            emit(.start(.mediaCheck, after: settings.mediaCheckInterval))
        case .caller(let timer):
            if timer == .g { SIPMetrics.retransmissions.increment() }
            perform(caller.transaction.fire(timer))
        case .trunkSilent(let index):
            trunkSilent(index)
        }
    }

    // MARK: Ending

    /// Refuses the call with a final status (before it was answered) and ends it.
    private mutating func fail(_ status: Int, _ reason: String, cause: String) {
        switch phase {
        case .routing, .ringing: break
        case .answered, .application, .ended: return
        }
        cancelBranches(except: nil)
        if callerAnsweredAt == nil {
            respondToCaller(setup.invite.response(status, reason, toTag: caller.dialog.localTag))
        } else {
            // A transfer out of an application found nobody: the caller, answered long ago, is hung up on.
            emit(.stopPlayback)
            sendInDialog("BYE", to: .caller)
        }
        end(cause: cause, by: nil)
    }

    /// Ends an answered call from the edge's side: BYE to both.
    private mutating func hangUp(cause: String) {
        sendInDialog("BYE", to: .caller)
        sendInDialog("BYE", to: .callee)
        end(cause: cause, by: nil)
    }

    private mutating func end(cause: String, by party: Party?) {
        let answered = bridge
        if case .ended = phase { return }
        finishRecording(.hangup)  // its final chunk before the media closes
        if case .tapping = tap { emit(.stopTap) }
        phase = .ended(cause: cause)
        for timer in [CallTimer.routeDeadline, .stageTimeout, .planTimeout, .mediaCheck, .collectTimeout] { emit(.cancel(timer)) }
        SIPMetrics.callEnded(callerAnsweredAt != nil ? "answered" : cause.split(separator: " ").first.map(String.init) ?? cause).increment()
        let partyURI = party.map { $0 == .caller ? setup.callerIdentity.uri : answered?.callee.remoteURI ?? "" }
        emit(.publish(.state(CallStateChanged(state: .ended, cause: cause, party: partyURI))))
        let (from, to) = cdrParties
        let billable = callerAnsweredAt.map { Int(ceil(now.timeIntervalSince($0))) } ?? 0
        emit(.journal(.ended(CallRecord(from: from, to: to, direction: direction, classification: route?.classification ?? .business,
                                        start: startedAt, answer: callerAnsweredAt, end: now, billableSeconds: billable,
                                        cause: cause, answeredBy: answered?.answeredBy, recording: recordingNote))))
        emit(.closeMedia)
    }

    /// The parties as the CDR names them.
    private var cdrParties: (from: String, to: String) {
        let from = direction == .outbound ? (route?.presentedNumber ?? setup.callerExtension ?? setup.callerIdentity.uri)
            : (SIPURI(setup.callerIdentity.uri)?.user ?? setup.callerIdentity.uri)
        // Outbound calls are recorded with the number as the trunk got it (E.164), which billing rates by prefix.
        let to = direction == .outbound
            ? (route?.targets.first.flatMap { SIPURI($0.uri)?.user } ?? route?.reject?.number ?? setup.dialled) : setup.dialled
        return (from, to)
    }

    // MARK: Helpers

    private mutating func emit(_ action: CallAction) { actions.append(action) }

    private mutating func takeActions() -> [CallAction] {
        defer { actions = [] }
        return actions
    }

    /// The plan being rung, while ringing.
    private var plan: Plan? {
        get { if case .ringing(let plan) = phase { plan } else { nil } }
        set { if let newValue, case .ringing = phase { phase = .ringing(newValue) } }
    }

    /// The application, while the call is in one.
    private var application: Application? {
        get { if case .application(let application) = phase { application } else { nil } }
        set { if let newValue, case .application = phase { phase = .application(newValue) } }
    }

    /// The bridge, once answered.
    private var bridge: Bridge? {
        get { if case .answered(let bridge) = phase { bridge } else { nil } }
        set { if let newValue, case .answered = phase { phase = .answered(newValue) } }
    }

    private static func cseq(of response: SIPMessage) -> UInt32 {
        response["CSeq"].flatMap(CSeq.init)?.number ?? 1
    }

    /// A From/To value without its tag: the dialog's URI (RFC 3261 §12.1.1).
    private static func bare(_ address: NameAddress?) -> String {
        guard let address else { return "<sip:anonymous@anonymous.invalid>" }
        let display = address.displayName.map { "\"\($0)\" " } ?? ""
        return "\(display)<\(address.uri)>"
    }
}
