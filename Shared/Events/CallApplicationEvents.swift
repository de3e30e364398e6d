import Foundation

/// The call applications' side of the call (DESIGN §6): routing's plan ends in an application, the
/// edge answers the call itself and says so (`call.app-started`); the application (`ivr`) then
/// drives it with media commands on `call.commands`, each of which ends in an event on
/// `call.events` naming the command's `operation`.

/// An application a call can be answered into.
package struct CallApplication: Codable, Sendable, Hashable, CustomStringConvertible {
    package enum Kind: String, Codable, Sendable, Hashable {
        case announcement, ivr
        /// Leaving a message in the box `name`.
        case voicemail
        /// Listening to the box `name` (the caller's own, from their device), or with an empty name
        /// to the box the caller keys, with its PIN.
        case mailbox
    }

    package var kind: Kind
    /// The announcement's, menu's or box's name.
    package var name: String
    /// Where the call goes when the application is done, instead of where it would go: the group
    /// an announcement welcomes callers to ("group:sales").
    package var next: String?
    /// Why the call reached a voicemail box: the greeting it hears.
    package var reason: DepositReason?

    package init(kind: Kind, name: String, next: String? = nil, reason: DepositReason? = nil) {
        self.kind = kind
        self.name = name
        self.next = next
        self.reason = reason
    }

    /// "announcement:welcome", as routing's destinations name it.
    package var description: String { name.isEmpty ? kind.rawValue : "\(kind.rawValue):\(name)" }
}

/// The edge answered a call into an application.
package struct CallAppStarted: EventPayload, Equatable {
    package static let type = "call.app-started"
    package static let topic = Topic.callEvents
    package static let summary = "The edge answered a call into an application (announcement, IVR menu, voicemail); the application drives it from here."
    package static let example = CallAppStarted(application: CallApplication(kind: .ivr, name: "main"), offer: CallOffered.example)
    package var application: CallApplication
    /// The call as it was offered: who calls, what they dialled.
    package var offer: CallOffered

    package init(application: CallApplication, offer: CallOffered) {
        self.application = application
        self.offer = offer
    }
}

/// What a play command sends: a stored prompt, or a tone the edge makes.
package enum PlayItem: Codable, Sendable, Hashable {
    /// An 8 kHz mono WAV prompt of the media store, by its SHA-256 (hex).
    case prompt(sha256: String)
    case ringback(seconds: Int)
    case beep
    case silence(milliseconds: Int)
}

/// Plays items to the caller in order.
package struct CallPlay: EventPayload, Equatable {
    package static let type = "call.play"
    package static let topic = Topic.callCommands
    package static let summary = "Plays prompts (by content hash) and generated tones to the caller in order, optionally looped; a key may interrupt it. Ends in `call.play-finished`."
    package static let example = CallPlay(operation: "menu-main-1", items: [.prompt(sha256: String(repeating: "ab", count: 32)), .beep],
                                          loop: false, bargeIn: true)
    /// Chosen by the application; the finishing event names it.
    package var operation: String
    package var items: [PlayItem]
    package var loop: Bool
    /// A key pressed during playback stops it (the key is still reported as `call.dtmf`).
    package var bargeIn: Bool

    package init(operation: String, items: [PlayItem], loop: Bool, bargeIn: Bool) {
        self.operation = operation
        self.items = items
        self.loop = loop
        self.bargeIn = bargeIn
    }
}

/// Collects keys from the caller.
package struct CallCollect: EventPayload, Equatable {
    package static let type = "call.collect"
    package static let topic = Topic.callCommands
    package static let summary = "Collects DTMF keys (RFC 4733, SIP INFO or in-band tones) up to a count or a terminator, with first-key and inter-key timeouts; the first-key time starts when the playback in progress ends. Ends in `call.collect-finished`."
    package static let example = CallCollect(operation: "menu-main-1", maxDigits: 1, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 3000,
                                             terminators: "#")
    package var operation: String
    package var maxDigits: Int
    package var firstDigitTimeoutMs: Int
    package var interDigitTimeoutMs: Int
    /// Keys that end the collection (not part of the digits).
    package var terminators: String

    package init(operation: String, maxDigits: Int, firstDigitTimeoutMs: Int, interDigitTimeoutMs: Int, terminators: String) {
        self.operation = operation
        self.maxDigits = maxDigits
        self.firstDigitTimeoutMs = firstDigitTimeoutMs
        self.interDigitTimeoutMs = interDigitTimeoutMs
        self.terminators = terminators
    }
}

/// Which directions of a call a recording takes. The stream is always stereo: a direction not
/// recorded is silence in its channel.
package enum RecordDirection: String, Codable, Sendable, Hashable {
    /// What the caller sends: the left channel.
    case caller
    /// What the caller hears: the callee, or (in an application, which has no callee) the edge's
    /// own playback. The right channel.
    case callee
    case both
}

/// Records the call as `media.audio` chunks. (`CallRecord` is the CDR.)
package struct CallRecordAudio: EventPayload, Equatable {
    package static let type = "call.record"
    package static let topic = Topic.callCommands
    package static let summary = "Records the caller, what the caller hears (the callee, or the edge's playback in an application), or both, as a stereo stream of `media.audio` chunks (caller left, callee right) until stopped, a maximum length, silence, a key or the hangup. Ends in `call.record-finished`. A beep before it is the application's to play."
    package static let example = CallRecordAudio(operation: "voicemail-1001", recordingId: nil, direction: .caller, maxSeconds: 120,
                                                 silenceSeconds: 5, endKeys: "#")
    package var operation: String
    /// The chunks' key and the recording's name; nil or empty: the edge names it `<call id>-r<n>`
    /// (the finished event says which).
    package var recordingId: String?
    package var direction: RecordDirection
    /// The longest recording, 1–3600 s (values outside are taken as the nearest).
    package var maxSeconds: Int
    /// Ends the recording after this long without sound in the recorded directions; 0: never.
    package var silenceSeconds: Int
    /// Keys that end the recording (still reported as `call.dtmf`).
    package var endKeys: String

    package init(operation: String, recordingId: String?, direction: RecordDirection, maxSeconds: Int, silenceSeconds: Int,
                 endKeys: String) {
        self.operation = operation
        self.recordingId = recordingId
        self.direction = direction
        self.maxSeconds = maxSeconds
        self.silenceSeconds = silenceSeconds
        self.endKeys = endKeys
    }
}

/// Stops the call's media operations.
package struct CallStop: EventPayload, Equatable {
    package static let type = "call.stop"
    package static let topic = Topic.callCommands
    package static let summary = "Stops the playback, the collection and the recording in progress; each ends in its finished event with reason `stopped`."
    package static let example = CallStop()
    package init() {}
}

/// Sends the call back through routing to a destination; it leaves the application.
package struct CallTransfer: EventPayload, Equatable {
    package static let type = "call.transfer"
    package static let topic = Topic.callCommands
    package static let summary = "Sends a call that is in an application to a destination (`user:1002`, `group:sales`, `external:+372…`, `announcement:…`, `ivr:…`): the edge asks routing for its plan."
    package static let example = CallTransfer(destination: "user:1002")
    package var destination: String
    package init(destination: String) { self.destination = destination }
}

/// Ends the call from the application.
package struct CallHangUp: EventPayload, Equatable {
    package static let type = "call.hangup"
    package static let topic = Topic.callCommands
    package static let summary = "Ends the call (BYE to the caller) with a cause for the CDR."
    package static let example = CallHangUp(cause: "menu finished")
    package var cause: String
    package init(cause: String) { self.cause = cause }
}

/// Where a key came from.
package enum DTMFSource: String, Codable, Sendable, Hashable {
    /// RTP telephone-event (RFC 4733).
    case rfc4733
    /// SIP INFO, `application/dtmf-relay` or `application/dtmf`.
    case info
    /// Tones in the audio (Goertzel).
    case inband
}

/// A key the caller pressed, however it was sent.
package struct CallDTMF: EventPayload, Equatable {
    package static let type = "call.dtmf"
    package static let topic = Topic.callEvents
    package static let summary = "The caller pressed a key, sent as RFC 4733, SIP INFO or in-band tones (the source says which)."
    package static let example = CallDTMF(key: "5", source: .rfc4733)
    /// "0"–"9", "*", "#", "A"–"D".
    package var key: String
    package var source: DTMFSource
    package init(key: String, source: DTMFSource) {
        self.key = key
        self.source = source
    }
}

/// A play command ended.
package struct CallPlayFinished: EventPayload, Equatable {
    package static let type = "call.play-finished"
    package static let topic = Topic.callEvents
    package static let summary = "A play command ended: completed, interrupted by a key, stopped, or failed (a prompt missing from the store)."
    package static let example = CallPlayFinished(operation: "menu-main-1", reason: .completed)
    package enum Reason: String, Codable, Sendable, Hashable { case completed, bargeIn = "barge-in", stopped, failed }
    package var operation: String
    package var reason: Reason
    package init(operation: String, reason: Reason) {
        self.operation = operation
        self.reason = reason
    }
}

/// A collect command ended.
package struct CallCollectFinished: EventPayload, Equatable {
    package static let type = "call.collect-finished"
    package static let topic = Topic.callEvents
    package static let summary = "A collect command ended with the keys pressed: on reaching its count, on a terminator, on a timeout (none or too slow), or stopped."
    package static let example = CallCollectFinished(operation: "menu-main-1", digits: "1", reason: .maxDigits)
    package enum Reason: String, Codable, Sendable, Hashable {
        case maxDigits = "max-digits", terminator, noInput = "no-input", interDigitTimeout = "inter-digit-timeout", stopped
    }
    package var operation: String
    package var digits: String
    package var reason: Reason
    package init(operation: String, digits: String, reason: Reason) {
        self.operation = operation
        self.digits = digits
        self.reason = reason
    }
}

/// A record command ended. Its chunks are on `media.audio` under the recording id; the last one
/// (`final`) may reach the broker after this event.
package struct CallRecordFinished: EventPayload, Equatable {
    package static let type = "call.record-finished"
    package static let topic = Topic.callEvents
    package static let summary = "A record command ended: stopped (by `call.stop`, a new record or a transfer), at its maximum length, after silence, on an end key (named), or at the hangup; with its length and the number of chunks, the final one included."
    package static let example = CallRecordFinished(operation: "voicemail-1001", recordingId: "0-1f3a9c-r1", reason: .key, key: "#",
                                                    durationMs: 14_320, chunks: 15)
    package enum Reason: String, Codable, Sendable, Hashable { case stopped, maxLength = "max-length", silence, key, hangup }
    package var operation: String
    package var recordingId: String
    package var reason: Reason
    /// The key that ended it, for reason `key`.
    package var key: String?
    /// The audio recorded, in milliseconds (20 ms frames).
    package var durationMs: Int
    package var chunks: Int

    package init(operation: String, recordingId: String, reason: Reason, key: String?, durationMs: Int, chunks: Int) {
        self.operation = operation
        self.recordingId = recordingId
        self.reason = reason
        self.key = key
        self.durationMs = durationMs
        self.chunks = chunks
    }
}
