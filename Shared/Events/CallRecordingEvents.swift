import Foundation

/// Which calls of a number or a user are recorded (DESIGN §7).
package enum RecordingPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case inbound, outbound, both, none

    /// Whether a call in `direction` is recorded under this policy (internal calls never are).
    package func records(_ direction: CallDirection) -> Bool {
        switch (self, direction) {
        case (.both, .inbound), (.both, .outbound), (.inbound, .inbound), (.outbound, .outbound): true
        default: false
        }
    }
}

/// Routing's instruction to record a call (on `call.route`): the tenant's number that makes it
/// recorded, under whose policy, for how long, and the notice the parties hear first.
package struct RecordingPlan: Codable, Sendable, Equatable {
    /// The tenant's number with the recording add-on: the one called (inbound), or the one
    /// presented (outbound).
    package var number: String
    package var direction: CallDirection
    /// The user whose call it is (the number's user, or the caller), when there is one.
    package var user: String?
    /// Days the recording is kept from its start: the add-on's, at most `maximumRetentionDays`.
    package var retentionDays: Int
    /// Whether the parties hear the notice before capture starts.
    package var notice: Bool
    /// The notice prompt's object (the tenant's `recording-notice`, else the system one in the
    /// tenant's language); nil when the notice is wanted and there is none: the call is then not
    /// recorded (fail closed).
    package var noticeSha256: String?

    /// The storage keeps nothing longer than a year, whatever a catalogue tier says.
    package static let maximumRetentionDays = 365

    package init(number: String, direction: CallDirection, user: String?, retentionDays: Int, notice: Bool, noticeSha256: String?) {
        self.number = number
        self.direction = direction
        self.user = user
        self.retentionDays = min(max(retentionDays, 1), Self.maximumRetentionDays)
        self.notice = notice
        self.noticeSha256 = noticeSha256
    }
}

/// The parties heard the notice (or the policy wants none) and the edge taps the bridged call from
/// now: its chunks follow on `media.audio` under `recordingId`. `recording` keeps what this says.
package struct CallRecordingStarted: EventPayload, Equatable {
    package static let type = "call.recording-started"
    package static let topic = Topic.callEvents
    package static let summary = "The edge taps a bridged call (after the notice, when the policy wants one): caller left, callee right, as chunks on `media.audio` under the recording id; with the number, direction, user and retention the recording is kept by."
    package static let example = CallRecordingStarted(
        recordingId: "0-1f3a9c-c1", plan: RecordingPlan(number: "+3726001000", direction: .inbound, user: "1001", retentionDays: 60, notice: true,
                                                         noticeSha256: String(repeating: "ab", count: 32)),
        caller: "+3725550123", callee: "1001", startedAt: Date(timeIntervalSince1970: 1_795_000_004))
    package var recordingId: String
    package var plan: RecordingPlan
    /// The other party and the tenant's side, as the CDR names them.
    package var caller: String
    package var callee: String
    /// When capture started: the recording's first frame.
    package var startedAt: Date

    package init(recordingId: String, plan: RecordingPlan, caller: String, callee: String, startedAt: Date) {
        self.recordingId = recordingId
        self.plan = plan
        self.caller = caller
        self.callee = callee
        self.startedAt = startedAt
    }
}

/// A call that was to be recorded is not (fail closed): the notice could not be played.
package struct CallRecordingFailed: EventPayload, Equatable {
    package static let type = "call.recording-failed"
    package static let topic = Topic.callEvents
    package static let summary = "A call the policy records is not recorded, and why: the notice could not be played (missing from the store, the store unreachable), so nothing was captured."
    package static let example = CallRecordingFailed(number: "+3726001000", reason: .noticeUnavailable)
    package enum Reason: String, Codable, Sendable, Hashable { case noticeUnavailable = "notice-unavailable" }
    package var number: String
    package var reason: Reason

    package init(number: String, reason: Reason) {
        self.number = number
        self.reason = reason
    }
}

/// What a CDR says of the call's recording.
package struct CallRecordingNote: Codable, Sendable, Equatable {
    package enum Outcome: String, Codable, Sendable, Hashable {
        /// Captured: `recordingId` names it.
        case recorded
        /// The policy wanted it and it was not made; `reason` says why.
        case failed
    }

    package var outcome: Outcome
    package var recordingId: String?
    /// Why it failed: `notice-unavailable` (fail closed), or `ended-during-notice` (the call ended
    /// before capture started).
    package var reason: String?

    package init(outcome: Outcome, recordingId: String?, reason: String?) {
        self.outcome = outcome
        self.recordingId = recordingId
        self.reason = reason
    }
}
