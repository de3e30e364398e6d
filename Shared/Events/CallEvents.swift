import Foundation

/// A device's registration binding was added, refreshed or removed.
package struct RegistrationChanged: EventPayload, Equatable {
    package static let type = "sip.registration-changed"
    package static let topic = Topic.sipRegistrations
    package static let summary = "A device registered a new binding, is now reached at another address or as another device, or unregistered (expires 0). A refresh that only extends the expiry is not published."
    package static let example = RegistrationChanged(
        aor: "sip:1001@demo.localhost", contact: "sip:1001@127.0.0.1:5070;transport=udp", expires: 3600,
        userAgent: "baresip", source: "127.0.0.1:5070", edge: 0)
    package var aor: String
    package var contact: String
    /// Seconds; 0 when the binding was removed.
    package var expires: Int
    package var userAgent: String?
    /// Where the REGISTER came from (after rport/received).
    package var source: String
    package var edge: Int

    package init(aor: String, contact: String, expires: Int, userAgent: String?, source: String, edge: Int) {
        self.aor = aor
        self.contact = contact
        self.expires = expires
        self.userAgent = userAgent
        self.source = source
        self.edge = edge
    }
}

/// A new call reached the edge and waits for a routing decision.
package struct CallOffered: EventPayload, Equatable {
    package static let type = "call.offered"
    package static let topic = Topic.callOffers
    package static let summary = "A new call reached an edge and waits for a routing decision."
    package static let example = CallOffered(
        edge: 0, from: "sip:1001@demo.localhost", to: "sip:1002@demo.localhost", origin: .device,
        callerExtension: "1001", dialled: "1002")
    /// Ordinal of the edge that owns the call; commands go to this partition of call.commands.
    package var edge: Int
    package var from: String
    package var to: String
    package var origin: CallOrigin
    package var callerExtension: String?
    /// What was dialled: an extension, a DID or an external number.
    package var dialled: String

    package init(edge: Int, from: String, to: String, origin: CallOrigin, callerExtension: String?, dialled: String) {
        self.edge = edge
        self.from = from
        self.to = to
        self.origin = origin
        self.callerExtension = callerExtension
        self.dialled = dialled
    }
}

/// A command for a live call, produced to the owning edge's partition of call.commands.
package struct CallRoute: EventPayload, Equatable {
    package static let type = "call.route"
    package static let topic = Topic.callCommands
    package static let summary = "Routing's decision for an offered call: whom to ring, how, and as whom; or a rejection."
    package static let example = CallRoute(
        targets: [RouteTarget(uri: "sip:1002@127.0.0.1:5072", ringSeconds: 30, via: .address("udp:127.0.0.1:5072"))], strategy: .parallel,
        presentedNumber: "+3726001001", classification: .business, reject: nil)

    package var targets: [RouteTarget]
    package var strategy: RingStrategy
    /// nil: the caller's own identity; otherwise the tenant's number the call goes out as (outbound
    /// calls): presented to the called party, or with `anonymous` only asserted to the network.
    package var presentedNumber: String?
    package var classification: Classification
    /// When set, the call is refused with this SIP status and reason.
    package var reject: RouteRejection?
    /// The longest the whole plan may ring, in seconds.
    package var totalSeconds: Int?
    /// Set when routing wants to hear if the plan fails (busy, no answer): the edge then sends a
    /// `call.plan-failed` with this context and waits for the next plan (forwarding, overflow).
    package var context: String?
    /// Hide the caller's number from the called party.
    package var anonymous: Bool?
    /// Record the call once it is bridged: set for calls of a number with a recording add-on whose
    /// policy records them; nil: not recorded.
    package var recording: RecordingPlan?
    /// Set instead of targets: the edge answers the call itself into this application.
    package var application: CallApplication?
    /// Set when the plan sends the call out through the trunk on someone's behalf (forwarding to a
    /// mobile, a group's external member): the edge tells the network (Diversion, History-Info).
    package var diversion: CallDiversion?

    package init(targets: [RouteTarget], strategy: RingStrategy, presentedNumber: String?, classification: Classification,
                 reject: RouteRejection?, totalSeconds: Int? = nil, context: String? = nil, anonymous: Bool? = nil,
                 recording: RecordingPlan? = nil, application: CallApplication? = nil) {
        self.targets = targets
        self.strategy = strategy
        self.presentedNumber = presentedNumber
        self.classification = classification
        self.reject = reject
        self.totalSeconds = totalSeconds
        self.context = context
        self.anonymous = anonymous
        self.recording = recording
        self.application = application
    }
}

/// Who sent a call on to a number outside, and why (RFC 5806 reasons).
package struct CallDiversion: Codable, Sendable, Equatable {
    package enum Reason: String, Codable, Sendable {
        case unconditional
        case userBusy = "user-busy"
        case noAnswer = "no-answer"
        case unavailable
        case timeOfDay = "time-of-day"
        case unknown
    }

    /// The tenant's number (E.164) that diverted the call: the one called, or the diverting
    /// user's own, else the main number.
    package var number: String?
    package var reason: Reason

    package init(number: String?, reason: Reason) {
        self.number = number
        self.reason = reason
    }
}

package struct RouteTarget: Codable, Sendable, Equatable {
    /// The Request-URI of the outgoing leg: a registered contact, or a number at the trunk.
    package var uri: String
    package var ringSeconds: Int
    /// Where to send it; nil: where the URI names.
    package var via: RouteHop?
    /// For sequential plans: targets with the same stage ring together.
    package var stage: Int?
    /// Whom the target rings for (an extension or a number); the CDR names who answered.
    package var member: String?
    package init(uri: String, ringSeconds: Int, via: RouteHop? = nil, stage: Int? = nil, member: String? = nil) {
        self.uri = uri
        self.ringSeconds = ringSeconds
        self.via = via
        self.stage = stage
        self.member = member
    }
}

package struct RouteRejection: Codable, Sendable, Equatable {
    package var status: Int
    package var reason: String
    /// Set for a call out that is refused (a limit reached): the CDR says `outbound`, to `number`
    /// (E.164), as the call's would have.
    package var direction: CallDirection?
    package var number: String?
    package init(status: Int, reason: String, direction: CallDirection? = nil, number: String? = nil) {
        self.status = status
        self.reason = reason
        self.direction = direction
        self.number = number
    }
}

/// The edge rang everything a plan named and nobody answered: routing picks what comes next.
package struct CallPlanFailed: EventPayload, Equatable {
    package static let type = "call.plan-failed"
    package static let topic = Topic.callOffers
    package static let summary = "A route's targets were busy or did not answer; routing answers with the next plan (forwarding, overflow) or a rejection."
    package static let example = CallPlanFailed(offer: CallOffered.example, context: "user:1002", cause: .busy)
    /// The call as it was offered, so routing decides without state of its own.
    package var offer: CallOffered
    /// The context of the route that failed.
    package var context: String
    package var cause: PlanFailure

    package init(offer: CallOffered, context: String, cause: PlanFailure) {
        self.offer = offer
        self.context = context
        self.cause = cause
    }
}

/// An application sends its call elsewhere: routing answers with the destination's plan.
package struct CallTransferRequested: EventPayload, Equatable {
    package static let type = "call.transfer-requested"
    package static let topic = Topic.callOffers
    package static let summary = "A call in an application is to go to a destination; routing answers with that destination's plan (a `call.route`)."
    package static let example = CallTransferRequested(offer: CallOffered.example, destination: "group:sales",
                                                       from: CallApplication(kind: .announcement, name: "welcome", next: "group:sales"))
    package var offer: CallOffered
    package var destination: String
    /// The application the call leaves.
    package var from: CallApplication?

    package init(offer: CallOffered, destination: String, from: CallApplication?) {
        self.offer = offer
        self.destination = destination
        self.from = from
    }
}

/// A call changed state.
package struct CallStateChanged: EventPayload, Equatable {
    package static let type = "call.state-changed"
    package static let topic = Topic.callEvents
    package static let summary = "A call changed state: offered, ringing, answered, held, resumed or ended (with a cause)."
    package static let example = CallStateChanged(state: .answered, cause: nil, party: "sip:1002@demo.localhost")
    package var state: CallState
    /// Why it ended (SIP status and reason, or "normal"); only for "ended".
    package var cause: String?
    package var party: String?

    package init(state: CallState, cause: String?, party: String?) {
        self.state = state
        self.cause = cause
        self.party = party
    }
}

/// The record of one finished call; exactly one per call.
package struct CallRecord: EventPayload, Equatable {
    package static let type = "call.cdr"
    package static let topic = Topic.callCDRs
    package static let summary = "The record of one finished call (exactly one per call), rated by billing."
    package static let example = CallRecord(
        from: "+3726001001", to: "+3725550123", direction: .outbound, classification: .business,
        start: Date(timeIntervalSince1970: 1_795_000_000), answer: Date(timeIntervalSince1970: 1_795_000_004),
        end: Date(timeIntervalSince1970: 1_795_000_064), billableSeconds: 60, cause: "normal", answeredBy: "1001",
        recording: CallRecordingNote(outcome: .recorded, recordingId: "0-1f3a9c-c1", reason: nil))
    package var from: String
    package var to: String
    package var direction: CallDirection
    package var classification: Classification
    package var start: Date
    package var answer: Date?
    package var end: Date
    package var billableSeconds: Int
    package var cause: String
    /// The extension or number that answered, when the plan named it (groups, forwarding).
    package var answeredBy: String?
    /// The call's recording, when its policy records it: the recording's id, or why there is none.
    package var recording: CallRecordingNote?

    package init(from: String, to: String, direction: CallDirection, classification: Classification, start: Date, answer: Date?,
                 end: Date, billableSeconds: Int, cause: String, answeredBy: String? = nil, recording: CallRecordingNote? = nil) {
        self.answeredBy = answeredBy
        self.recording = recording
        self.from = from
        self.to = to
        self.direction = direction
        self.classification = classification
        self.start = start
        self.answer = answer
        self.end = end
        self.billableSeconds = billableSeconds
        self.cause = cause
    }
}
