import Foundation

/// Voicemail (DESIGN §6) as the rest of the system hears of it, on `voicemail.events` keyed by
/// tenant and box. Every change of a box's messages is published in the transaction that makes it,
/// so the message-waiting lamps follow the store and never a guess.

/// What a box holds, as RFC 3842 `message-summary` counts it: new is the `new` folder, old is
/// `heard` and `saved`; the urgent ones are counted again on their own.
package struct MessageSummary: Codable, Sendable, Hashable {
    package var new: Int
    package var old: Int
    package var urgentNew: Int
    package var urgentOld: Int

    package init(new: Int, old: Int, urgentNew: Int, urgentOld: Int) {
        self.new = new
        self.old = old
        self.urgentNew = urgentNew
        self.urgentOld = urgentOld
    }

    package static let empty = MessageSummary(new: 0, old: 0, urgentNew: 0, urgentOld: 0)
}

/// Why a caller reached a box: it chooses the greeting.
package enum DepositReason: String, Codable, Sendable, Hashable {
    case busy
    case noAnswer = "no-answer"
    case unregistered
    /// Forwarded always.
    case forwarding
    /// Outside the schedule's hours.
    case closed
    /// Sent to the box directly (a number, a menu choice, a transfer).
    case direct
}

/// A box's counts changed: a message left, heard, saved, deleted, or the box emptied.
package struct VoicemailBoxChanged: EventPayload, Equatable {
    package static let type = "voicemail.box-changed"
    package static let topic = Topic.voicemailEvents
    package static let summary = "A voicemail box's message counts changed (a message left, heard, saved or deleted); every sip-edge sends NOTIFY message-summary to the devices subscribed to it."
    package static let example = VoicemailBoxChanged(box: "1001", owner: "1001",
                                                     summary: MessageSummary(new: 1, old: 2, urgentNew: 0, urgentOld: 0))
    /// The box number: the user's extension, or the number given to a group's box.
    package var box: String
    /// The extension of the box's user; nil for a group's box.
    package var owner: String?
    package var summary: MessageSummary

    package init(box: String, owner: String?, summary: MessageSummary) {
        self.box = box
        self.owner = owner
        self.summary = summary
    }
}

/// A caller left a message, and it is stored.
package struct VoicemailMessageLeft: EventPayload, Equatable {
    package static let type = "voicemail.message-left"
    package static let topic = Topic.voicemailEvents
    package static let summary = "A caller left a voicemail message and it is stored: for the e-mail notification, the console and other listeners."
    package static let example = VoicemailMessageLeft(box: "1001", messageId: UUID(uuidString: "0b5e7c1a-3f2d-4a8e-9c61-5d4f3e2a1b0c")!,
                                                      caller: "+3725551234", callId: "0-1f3a9c", reason: .noAnswer, durationMs: 14_320,
                                                      urgent: false)
    package var box: String
    package var messageId: UUID
    /// The caller's number or extension, as the call presented it.
    package var caller: String
    package var callId: String
    package var reason: DepositReason
    package var durationMs: Int
    package var urgent: Bool

    package init(box: String, messageId: UUID, caller: String, callId: String, reason: DepositReason, durationMs: Int, urgent: Bool) {
        self.box = box
        self.messageId = messageId
        self.caller = caller
        self.callId = callId
        self.reason = reason
        self.durationMs = durationMs
        self.urgent = urgent
    }
}

/// A caller reached a box but left nothing that was kept: the box's owner missed the call.
package struct VoicemailMissedCall: EventPayload, Equatable {
    package static let type = "voicemail.missed-call"
    package static let topic = Topic.voicemailEvents
    package static let summary = "A caller reached a voicemail box but left no message that was kept (shorter than the box's minimum, or the box was full): reported as a missed call."
    package static let example = VoicemailMissedCall(box: "1001", caller: "+3725551234", callId: "0-1f3a9c", why: .tooShort, durationMs: 480)
    package enum Why: String, Codable, Sendable, Hashable {
        case tooShort = "too-short"
        case boxFull = "box-full"
    }
    package var box: String
    package var caller: String
    package var callId: String
    package var why: Why
    package var durationMs: Int

    package init(box: String, caller: String, callId: String, why: Why, durationMs: Int) {
        self.box = box
        self.caller = caller
        self.callId = callId
        self.why = why
        self.durationMs = durationMs
    }
}
