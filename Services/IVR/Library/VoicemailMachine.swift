import Events
import Foundation
import Tenancy

/// A box as a call into it needs it.
struct BoxForCall: Sendable, Equatable {
    let number: String
    /// The user's or the group's name, for the spoken default greeting.
    let ownerName: String
    let greetingMode: VoicemailBox.GreetingMode
    let maxSeconds: Int
    let minMs: Int
    let isFull: Bool
    /// The greetings it has, by kind: the audio's SHA-256.
    let greetings: [GreetingKind: String]
}

/// What is spoken from text because it changes from call to call (DESIGN §6: the rest are prompts).
enum SpokenPhrase: Sendable, Equatable {
    /// "Anna Tamm is not available. Please leave a message after the tone."
    case defaultGreeting(name: String, busy: Bool)
    /// "You have 2 new and 1 saved messages."
    case counts(new: Int, saved: Int)
    /// "Message 1. Urgent. Received on 2 December at 14:05 from 1 0 0 2."
    case envelope(number: Int, receivedAt: Date, caller: String, urgent: Bool)
}

/// Voicemail in the application machine (DESIGN §6): leaving a message, and listening to a box.
///
/// Leaving: the greeting for the reason the call came (temporary, else busy when busy, else
/// unavailable, else the spoken default naming the user), a beep, then the caller is recorded until
/// they hang up, press `#`, fall silent or reach the box's maximum; then `1` marks it urgent. The
/// audio becomes a message in `recording`, once stored.
///
/// Listening (the box's own device with `*97`, or any box with its number and PIN): the counts, then
/// the messages play, new first, each with its envelope and this menu:
/// `5` replay, `6` next, `4` previous, `7` delete, `9` save, `8` call back (internal callers),
/// `0` mailbox options, `*` goodbye. The main menu (after the last message): `1` listen, `0` options,
/// `*` goodbye. Options: `1` record the unavailable greeting, `2` busy, `3` name, `4` temporary,
/// `5` remove the temporary greeting, `6` change the PIN, `*` back.
extension ApplicationMachine {
    static let keyTimeoutMs = 8_000
    static let boxInterDigitMs = 3_000
    static let loginTries = 3
    static let menuTries = 3
    static let silenceSeconds = 8
    static let greetingMaxSeconds = 60
    static let greetingMinMs = 1_000
    static let urgentOfferMs = 5_000

    // MARK: Leaving a message

    func startDeposit(_ step: ApplicationStep) async throws -> Result {
        let number = step.application.name
        guard let box = try await catalog.voicemailBox(number) else { return leave(step, .hangUp("no voicemail box \(number)")) }
        if box.isFull {
            var result = try await play(["voicemail-full", Self.goodbye], then: .closing(.hangUp("voicemail box full")), in: step,
                                        orElse: leave(step, .hangUp("voicemail box full")))
            result.output.append(.voicemail(.missedCall(box: number, caller: step.caller ?? "anonymous", why: .boxFull)))
            return result
        }
        let items = try await greeting(of: box, reason: step.application.reason ?? .direct) + [.beep]
        return playing(items, bargeIn: true, stage: .greeting(box: number), in: step)
    }

    /// Temporary overrides everything; busy when the user was busy (unless the box always says
    /// unavailable); then unavailable; without a recorded one, the default naming the user.
    private func greeting(of box: BoxForCall, reason: DepositReason) async throws -> [PlayItem] {
        let busy = reason == .busy && box.greetingMode == .byReason
        if let temporary = box.greetings[.temporary] { return [.prompt(sha256: temporary)] }
        if busy, let recorded = box.greetings[.busy] { return [.prompt(sha256: recorded)] }
        if let recorded = box.greetings[.unavailable] { return [.prompt(sha256: recorded)] }
        if let name = box.greetings[.name] {
            return [.prompt(sha256: name)] + (try await catalog.items([busy ? "voicemail-is-busy" : "voicemail-is-unavailable"]))
        }
        if let spoken = try await catalog.speech(.defaultGreeting(name: box.ownerName, busy: busy)) { return [spoken] }
        return try await catalog.items([busy ? "voicemail-busy" : "voicemail-unavailable"])
    }

    private func record(_ purpose: VoicemailRecordingPurpose, box number: String, in step: ApplicationStep) async throws -> Result {
        guard let box = try await catalog.voicemailBox(number) else { return leave(step, .hangUp("no voicemail box \(number)")) }
        var step = step
        step.operationNumber += 1
        let id = "vm-\(UUID().uuidString.lowercased())"
        let greeting = purpose.greeting
        step.stage = greeting.map { .recordingGreeting(box: number, kind: $0, recording: id) } ?? .depositing(box: number, recording: id)
        let record = CallRecordAudio(operation: step.operation, recordingId: id, direction: .caller,
                                     maxSeconds: greeting == nil ? box.maxSeconds : Self.greetingMaxSeconds,
                                     silenceSeconds: Self.silenceSeconds, endKeys: "#")
        return (step, [.voicemail(.beginRecording(id: id, purpose: purpose, box: number, caller: step.caller ?? "anonymous",
                                                  reason: step.application.reason ?? .direct)),
                       .record(record)])
    }

    func recorded(_ finished: CallRecordFinished, in step: ApplicationStep) async throws -> Result {
        guard finished.operation == step.operation else { return (step, []) }
        // Hung up: the call is over, and `recording` keeps what was said.
        if finished.reason == .hangup { return (nil, []) }
        switch step.stage {
        case .depositing(let number, let recording):
            let minMs = try await catalog.voicemailBox(number)?.minMs ?? 0
            guard finished.durationMs >= minMs else {
                return try await play(["voicemail-too-short", Self.goodbye], then: .closing(.hangUp("message too short")), in: step,
                                      orElse: leave(step, .hangUp("message too short")))
            }
            let items = try await catalog.items(["voicemail-urgent-offer"])
            return asking(items, stage: .offeringUrgent(box: number, recording: recording), in: step, timeoutMs: Self.urgentOfferMs)
        case .recordingGreeting(let number, _, _):
            let saved = finished.durationMs >= Self.greetingMinMs
            return try await options(number, failures: 0, leading: [saved ? "voicemail-greeting-saved" : "voicemail-nothing-recorded"], in: step)
        default:
            return (step, [])
        }
    }

    // MARK: Listening

    func startMailbox(_ step: ApplicationStep) async throws -> Result {
        let number = step.application.name
        // From the box's own device (routing checked it): no PIN.
        if !number.isEmpty { return try await open(number, in: step) }
        return try await askBox(failures: 0, leading: [], in: step)
    }

    private func askBox(failures: Int, leading: [String], in step: ApplicationStep) async throws -> Result {
        let items = try await catalog.items(leading + ["voicemail-enter-box"])
        return asking(items, stage: .askingBox(failures: failures), in: step, maxDigits: ApplicationMachine.maximumExtensionLength,
                      terminators: "#")
    }

    private func open(_ number: String, in step: ApplicationStep) async throws -> Result {
        let messages = try await catalog.messages(inBox: number)
        let new = messages.filter { $0.folder == .new }.count
        let counts = try await catalog.speech(.counts(new: new, saved: messages.count - new)).map { [$0] } ?? []
        guard !messages.isEmpty else { return try await mailboxMenu(number, failures: 0, leading: counts, in: step) }
        return try await listen(number, messages.map(\.id), index: 0, leading: counts, in: step)
    }

    private func mailboxMenu(_ number: String, failures: Int, leading: [PlayItem], in step: ApplicationStep) async throws -> Result {
        let items = leading + (try await catalog.items(["voicemail-main-menu"]))
        return asking(items, stage: .mailboxMenu(box: number, failures: failures), in: step)
    }

    /// Message `index` with its envelope and menu; a new one is heard from here on. Past the last,
    /// the main menu.
    private func listen(_ number: String, _ ids: [UUID], index: Int, leading: [PlayItem], in step: ApplicationStep) async throws -> Result {
        var ids = ids
        while index < ids.count {
            guard let message = try await catalog.message(ids[index]) else {
                ids.remove(at: index)  // deleted meanwhile (through the API)
                continue
            }
            let envelope = try await catalog.speech(.envelope(number: index + 1, receivedAt: message.receivedAt, caller: message.caller,
                                                              urgent: message.urgent))
            let items = leading + (envelope.map { [$0] } ?? []) + [.silence(milliseconds: 300), .prompt(sha256: message.sha256),
                                                                  .silence(milliseconds: 300)]
                + (try await catalog.items(["voicemail-message-menu"]))
            var result = asking(items, stage: .listening(box: number, messages: ids, index: index, failures: 0), in: step)
            if message.folder == .new { result.output.insert(.voicemail(.move(message.id, to: .heard)), at: 0) }
            return result
        }
        return try await mailboxMenu(number, failures: 0, leading: leading + (try await catalog.items(["voicemail-no-more-messages"])), in: step)
    }

    private func options(_ number: String, failures: Int, leading: [String], in step: ApplicationStep) async throws -> Result {
        let items = try await catalog.items(leading + ["voicemail-options"])
        return asking(items, stage: .options(box: number, failures: failures), in: step)
    }

    // MARK: Events

    func playedInVoicemail(_ finished: CallPlayFinished, in step: ApplicationStep) async throws -> Result {
        switch step.stage {
        case .greeting(let number):
            // A key skips the greeting to the beep.
            if finished.reason == .bargeIn { return playing([.beep], bargeIn: false, stage: .greeting(box: number), in: step) }
            return try await record(.message, box: number, in: step)
        case .greetingInstructions(let number, let kind):
            return try await record(VoicemailRecordingPurpose(greeting: kind), box: number, in: step)
        default:
            return (step, [])  // the collection decides
        }
    }

    func collectedInVoicemail(_ finished: CallCollectFinished, in step: ApplicationStep) async throws -> Result {
        let digits = finished.digits
        let caller = step.caller ?? "anonymous"
        switch step.stage {
        case .offeringUrgent(_, let recording):
            if digits == "1" {
                var result = try await play(["voicemail-marked-urgent", "voicemail-recorded"], then: .closing(.hangUp("message left")), in: step,
                                            orElse: leave(step, .hangUp("message left")))
                result.output.insert(.voicemail(.markUrgent(recording: recording)), at: 0)
                return result
            }
            return try await play(["voicemail-recorded"], then: .closing(.hangUp("message left")), in: step,
                                  orElse: leave(step, .hangUp("message left")))

        case .askingBox(let failures):
            guard !digits.isEmpty else { return try await retryLogin(failures: failures, in: step) }
            let items = try await catalog.items(["voicemail-enter-pin"])
            return asking(items, stage: .askingPIN(box: digits, failures: failures), in: step, maxDigits: 10, terminators: "#")

        case .askingPIN(let number, let failures):
            guard !digits.isEmpty else { return try await retryLogin(failures: failures, in: step) }
            switch try await catalog.verifyPIN(digits, box: number, caller: caller) {
            case .accepted:
                return try await open(number, in: step)
            case .rejected(locked: false):
                guard failures + 1 < Self.loginTries else { return try await goodbye(["voicemail-wrong-pin"], cause: "wrong PIN", in: step) }
                return try await askBox(failures: failures + 1, leading: ["voicemail-wrong-pin"], in: step)
            case .rejected(locked: true), .locked:
                return try await goodbye(["voicemail-locked"], cause: "voicemail box locked", in: step)
            }

        case .mailboxMenu(let number, let failures):
            switch digits {
            case "1":
                let ids = try await catalog.messages(inBox: number).map(\.id)
                guard !ids.isEmpty else {
                    return try await mailboxMenu(number, failures: 0, leading: try await catalog.items(["voicemail-no-messages"]), in: step)
                }
                return try await listen(number, ids, index: 0, leading: [], in: step)
            case "0": return try await options(number, failures: 0, leading: [], in: step)
            case "*": return try await goodbye([], cause: "caller left the mailbox", in: step)
            default:
                guard failures + 1 < Self.menuTries else { return try await goodbye([], cause: "mailbox menu retries used up", in: step) }
                let leading = try await catalog.items([digits.isEmpty ? "no-input" : "invalid-choice"])
                return try await mailboxMenu(number, failures: failures + 1, leading: leading, in: step)
            }

        case .listening(let number, var ids, let index, let failures):
            let id = ids[index]
            switch digits {
            case "5": return try await listen(number, ids, index: index, leading: [], in: step)
            case "6": return try await listen(number, ids, index: index + 1, leading: [], in: step)
            case "4": return try await listen(number, ids, index: max(0, index - 1), leading: [], in: step)
            case "7":
                ids.remove(at: index)
                var result = try await listen(number, ids, index: index, leading: try await catalog.items(["voicemail-deleted"]), in: step)
                result.output.insert(.voicemail(.delete(id)), at: 0)
                return result
            case "9":
                var result = try await listen(number, ids, index: index + 1, leading: try await catalog.items(["voicemail-saved"]), in: step)
                result.output.insert(.voicemail(.move(id, to: .saved)), at: 0)
                return result
            case "8":
                // Only the tenant's own extensions: calling back a number from voicemail is a toll-fraud path.
                if let message = try await catalog.message(id), Validation.isExtension(message.caller),
                   try await catalog.hasExtension(message.caller) {
                    return leave(step, .transfer(Destination.user(message.caller).description))
                }
                let items = try await catalog.items(["voicemail-no-callback", "voicemail-message-menu"])
                return asking(items, stage: .listening(box: number, messages: ids, index: index, failures: failures), in: step)
            case "0": return try await options(number, failures: 0, leading: [], in: step)
            case "*": return try await goodbye([], cause: "caller left the mailbox", in: step)
            default:
                guard failures + 1 < Self.menuTries else { return try await goodbye([], cause: "mailbox menu retries used up", in: step) }
                let items = try await catalog.items([digits.isEmpty ? "no-input" : "invalid-choice", "voicemail-message-menu"])
                return asking(items, stage: .listening(box: number, messages: ids, index: index, failures: failures + 1), in: step)
            }

        case .options(let number, let failures):
            let greetings: [String: GreetingKind] = ["1": .unavailable, "2": .busy, "3": .name, "4": .temporary]
            if let kind = greetings[digits] {
                let items = try await catalog.items(["voicemail-record-greeting"]) + [.beep]
                return playing(items, bargeIn: false, stage: .greetingInstructions(box: number, kind: kind), in: step)
            }
            switch digits {
            case "5":
                var result = try await options(number, failures: 0, leading: ["voicemail-greeting-removed"], in: step)
                result.output.insert(.voicemail(.removeGreeting(box: number, .temporary)), at: 0)
                return result
            case "6":
                let items = try await catalog.items(["voicemail-new-pin"])
                return asking(items, stage: .newPIN(box: number), in: step, maxDigits: 10, terminators: "#")
            case "*":
                return try await mailboxMenu(number, failures: 0, leading: [], in: step)
            default:
                guard failures + 1 < Self.menuTries else { return try await goodbye([], cause: "mailbox menu retries used up", in: step) }
                return try await options(number, failures: failures + 1, leading: [digits.isEmpty ? "no-input" : "invalid-choice"], in: step)
            }

        case .newPIN(let number):
            guard Voicemail.acceptable(pin: digits, box: number) else {
                return try await options(number, failures: 0, leading: ["voicemail-pin-not-changed"], in: step)
            }
            let items = try await catalog.items(["voicemail-repeat-pin"])
            return asking(items, stage: .confirmingPIN(box: number, first: digits), in: step, maxDigits: 10, terminators: "#")

        case .confirmingPIN(let number, let first):
            guard digits == first else { return try await options(number, failures: 0, leading: ["voicemail-pin-not-changed"], in: step) }
            var result = try await options(number, failures: 0, leading: ["voicemail-pin-changed"], in: step)
            result.output.insert(.voicemail(.changePIN(box: number, pin: digits)), at: 0)
            return result

        default:
            return (step, [])
        }
    }

    /// Nothing keyed at the box or PIN prompt: ask again, a few times.
    private func retryLogin(failures: Int, in step: ApplicationStep) async throws -> Result {
        guard failures + 1 < Self.loginTries else { return try await goodbye([], cause: "no box number or PIN keyed", in: step) }
        return try await askBox(failures: failures + 1, leading: ["no-input"], in: step)
    }

    private func goodbye(_ prompts: [String], cause: String, in step: ApplicationStep) async throws -> Result {
        try await play(prompts + [Self.goodbye], then: .closing(.hangUp(cause)), in: step, orElse: leave(step, .hangUp(cause)))
    }

    // MARK: Steps

    /// Plays `items` and collects keys at once (a key stops the playback); the next step waits for the collection.
    private func asking(_ items: [PlayItem], stage: ApplicationStep.Stage, in step: ApplicationStep, maxDigits: Int = 1,
                        timeoutMs: Int = Self.keyTimeoutMs, terminators: String = "") -> Result {
        var step = step
        step.operationNumber += 1
        step.stage = stage
        var output: [ApplicationOutput] = []
        if !items.isEmpty { output.append(.play(CallPlay(operation: step.operation, items: items, loop: false, bargeIn: true))) }
        output.append(.collect(CallCollect(operation: step.operation, maxDigits: maxDigits, firstDigitTimeoutMs: timeoutMs,
                                           interDigitTimeoutMs: Self.boxInterDigitMs, terminators: terminators)))
        return (step, output)
    }

    /// Plays `items`; the next step waits for the playback to end.
    private func playing(_ items: [PlayItem], bargeIn: Bool, stage: ApplicationStep.Stage, in step: ApplicationStep) -> Result {
        var step = step
        step.operationNumber += 1
        step.stage = stage
        return (step, [.play(CallPlay(operation: step.operation, items: items, loop: false, bargeIn: bargeIn))])
    }
}
