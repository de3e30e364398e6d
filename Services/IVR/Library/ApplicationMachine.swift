import Events
import Foundation
import Tenancy

/// An IVR menu as `ivr` runs it: the tenant's `MenuView`, with its choices typed.
struct Menu: Sendable, Equatable {
    let name: String
    let greeting: String
    let timeoutSeconds: Int
    let retries: Int
    let invalidPrompt: String
    let timeoutPrompt: String
    let final: MenuChoice
    let directDial: Bool
    let options: [Character: MenuChoice]

    init(_ view: MenuView) {
        name = view.name
        greeting = view.greeting
        timeoutSeconds = view.timeoutSeconds
        retries = view.retries
        invalidPrompt = view.invalidPrompt
        timeoutPrompt = view.timeoutPrompt
        final = (try? MenuChoice(parsing: view.final)) ?? .hangUp
        directDial = view.directDial
        options = Dictionary(uniqueKeysWithValues: view.options.compactMap { key, choice in
            guard let key = key.first, let choice = try? MenuChoice(parsing: choice) else { return nil }
            return (key, choice)
        })
    }
}

/// What the applications read of the tenant's configuration.
protocol ApplicationCatalog: Sendable {
    func announcement(_ name: String) async throws -> AnnouncementView?
    func menu(_ name: String) async throws -> Menu?
    /// The prompts by name as play items: the tenant's own, else the system's in the tenant's
    /// language. A name neither has is left out.
    func items(_ prompts: [String]) async throws -> [PlayItem]
    func hasExtension(_ ext: String) async throws -> Bool

    // Voicemail
    func voicemailBox(_ number: String) async throws -> BoxForCall?
    /// The box's messages in the order they are played: new (urgent first), then heard and saved.
    func messages(inBox number: String) async throws -> [VoicemailMessage]
    func message(_ id: UUID) async throws -> VoicemailMessage?
    /// Checks a PIN keyed on the phone, counting the failure (and locking the box) in the step's transaction.
    func verifyPIN(_ pin: String, box number: String, caller: String) async throws -> PINCheck
    /// The phrase spoken in the tenant's language, as a play item; nil when it cannot be made.
    func speech(_ phrase: SpokenPhrase) async throws -> PlayItem?
}

/// Where a call in an application is (DESIGN §6), stored after every step so that the next `ivr`
/// instance continues from it. Each step waits on one operation (a play, or a play and a collect
/// under one name); an event naming an older operation is stale (a redelivery) and changes nothing.
struct ApplicationStep: Codable, Sendable, Equatable {
    enum Stage: Codable, Sendable, Equatable {
        /// The announcement's prompts play.
        case announcing(name: String)
        /// The menu's prompts play and its keys are collected; `failures` timeouts and invalid keys so far.
        case inMenu(name: String, failures: Int)
        /// A last prompt plays (goodbye, invalid choice), then the outcome.
        case closing(Outcome)

        // Leaving a message (VoicemailMachine.swift).
        /// The box's greeting and the beep play (or, after a key skipped the greeting, the beep alone).
        case greeting(box: String)
        /// The message is recorded.
        case depositing(box: String, recording: String)
        /// The caller may press 1 to mark the message urgent.
        case offeringUrgent(box: String, recording: String)

        // Listening to a box.
        /// The caller keys a box number, then its PIN; `failures` wrong tries and silences so far.
        case askingBox(failures: Int)
        case askingPIN(box: String, failures: Int)
        /// The box's main menu: listen, options, exit.
        case mailboxMenu(box: String, failures: Int)
        /// Message `index` of `messages` plays, then its menu.
        case listening(box: String, messages: [UUID], index: Int, failures: Int)
        /// Greetings and PIN.
        case options(box: String, failures: Int)
        /// The instructions and the beep before a greeting is recorded.
        case greetingInstructions(box: String, kind: GreetingKind)
        case recordingGreeting(box: String, kind: GreetingKind, recording: String)
        case newPIN(box: String)
        case confirmingPIN(box: String, first: String)
    }

    /// How a call leaves the application.
    enum Outcome: Codable, Sendable, Equatable {
        case transfer(String)
        case hangUp(String)
    }

    let application: CallApplication
    /// The edge that owns the call: its partition of `call.commands`.
    let edge: Int
    /// The `call.app-started` envelope that began it: the same one delivered again changes nothing.
    let startedBy: String
    var operationNumber = 0
    var stage: Stage
    /// Who called (an extension or a number), for a voicemail message's envelope.
    var caller: String?

    var operation: String { "\(application)#\(operationNumber)" }
}

/// What `ivr` tells the call's edge, and the changes to a voicemail box a step makes.
enum ApplicationOutput: Sendable, Equatable {
    case play(CallPlay)
    case collect(CallCollect)
    case record(CallRecordAudio)
    case transfer(CallTransfer)
    case hangUp(CallHangUp)
    /// Written in the step's transaction.
    case voicemail(VoicemailChange)

    /// The command as it goes on `call.commands`; nil for a change of the store.
    var command: (any EventPayload)? {
        switch self {
        case .play(let play): play
        case .collect(let collect): collect
        case .record(let record): record
        case .transfer(let transfer): transfer
        case .hangUp(let hangUp): hangUp
        case .voicemail: nil
        }
    }
}

/// A change of a voicemail box from the phone.
enum VoicemailChange: Sendable, Equatable {
    /// What a recording about to start is for (stored before the record command goes out).
    case beginRecording(id: String, purpose: VoicemailRecordingPurpose, box: String, caller: String, reason: DepositReason)
    case move(UUID, to: VoicemailFolder)
    case delete(UUID)
    case markUrgent(recording: String)
    case changePIN(box: String, pin: String)
    case removeGreeting(box: String, GreetingKind)
    case missedCall(box: String, caller: String, why: VoicemailMissedCall.Why)
}

/// The steps of announcements and menus: from the event that ends an operation to the next
/// operation, reading the tenant's configuration but writing nothing (`ApplicationDriver` stores
/// the step and sends the output).
struct ApplicationMachine: Sendable {
    let catalog: any ApplicationCatalog
    /// Inter-key time for a direct-dialled extension.
    static let interDigitTimeoutMs = 2_000
    static let maximumExtensionLength = 6
    static let goodbye = "goodbye"

    typealias Result = (step: ApplicationStep?, output: [ApplicationOutput])

    func start(_ started: CallAppStarted, envelopeID: String) async throws -> Result {
        let application = started.application
        switch application.kind {
        case .announcement:
            let step = ApplicationStep(application: application, edge: started.offer.edge, startedBy: envelopeID,
                                       stage: .announcing(name: application.name))
            guard let announcement = try await catalog.announcement(application.name) else {
                return leave(step, .hangUp("no announcement \(application.name)"))
            }
            return try await play(announcement.prompts, then: step.stage, in: step, orElse: next(after: announcement, in: step))
        case .ivr:
            let step = ApplicationStep(application: application, edge: started.offer.edge, startedBy: envelopeID,
                                       stage: .inMenu(name: application.name, failures: 0))
            guard let menu = try await catalog.menu(application.name) else { return leave(step, .hangUp("no menu \(application.name)")) }
            return try await enter(menu, failures: 0, leadingWith: [], in: step)
        case .voicemail:
            var step = ApplicationStep(application: application, edge: started.offer.edge, startedBy: envelopeID,
                                       stage: .greeting(box: application.name))
            step.caller = Self.caller(of: started.offer)
            return try await startDeposit(step)
        case .mailbox:
            var step = ApplicationStep(application: application, edge: started.offer.edge, startedBy: envelopeID,
                                       stage: .askingBox(failures: 0))
            step.caller = Self.caller(of: started.offer)
            return try await startMailbox(step)
        }
    }

    /// The caller's extension, or the user part of their URI (a number, or "anonymous").
    static func caller(of offer: CallOffered) -> String {
        if let ext = offer.callerExtension { return ext }
        var uri = Substring(offer.from)
        if let colon = uri.firstIndex(of: ":"), uri[..<colon].lowercased().hasPrefix("sip") { uri = uri[uri.index(after: colon)...] }
        let user = uri.prefix { $0 != "@" && $0 != ";" && $0 != ">" }
        return user.isEmpty ? "anonymous" : String(user)
    }

    func played(_ finished: CallPlayFinished, in step: ApplicationStep) async throws -> Result {
        guard finished.operation == step.operation, finished.reason != .stopped else { return (step, []) }
        switch step.stage {
        case .announcing(let name):
            guard let announcement = try await catalog.announcement(name) else { return leave(step, .hangUp("announcement played")) }
            return next(after: announcement, in: step)
        case .closing(let outcome):
            return leave(step, outcome)
        case .inMenu:
            return (step, [])  // the collection decides
        default:
            return try await playedInVoicemail(finished, in: step)
        }
    }

    func collected(_ finished: CallCollectFinished, in step: ApplicationStep) async throws -> Result {
        guard finished.operation == step.operation, finished.reason != .stopped else { return (step, []) }
        guard case .inMenu(let name, let failures) = step.stage else { return try await collectedInVoicemail(finished, in: step) }
        guard let menu = try await catalog.menu(name) else { return leave(step, .hangUp("no menu \(name)")) }
        let digits = finished.digits
        if digits.isEmpty { return try await missed(menu, failures: failures, prompt: menu.timeoutPrompt, in: step) }
        if digits.count == 1, let key = digits.first, let choice = menu.options[key] {
            return try await choose(choice, in: menu, failures: failures, step: step)
        }
        if menu.directDial, Validation.isExtension(digits), try await catalog.hasExtension(digits) {
            return leave(step, .transfer(Destination.user(digits).description))
        }
        return try await missed(menu, failures: failures, prompt: menu.invalidPrompt, in: step)
    }

    // MARK: Menus

    /// Plays the menu (after `leading` prompts, say "invalid choice") and collects its keys at once:
    /// a key stops the prompt, and the caller has the menu's time after it.
    private func enter(_ menu: Menu, failures: Int, leadingWith leading: [String], in step: ApplicationStep) async throws -> Result {
        var step = step
        step.operationNumber += 1
        step.stage = .inMenu(name: menu.name, failures: failures)
        let items = try await catalog.items(leading + [menu.greeting])
        let collect = CallCollect(operation: step.operation, maxDigits: menu.directDial ? Self.maximumExtensionLength : 1,
                                  firstDigitTimeoutMs: menu.timeoutSeconds * 1000,
                                  interDigitTimeoutMs: Self.interDigitTimeoutMs, terminators: menu.directDial ? "#" : "")
        var output: [ApplicationOutput] = []
        if !items.isEmpty { output.append(.play(CallPlay(operation: step.operation, items: items, loop: false, bargeIn: true))) }
        output.append(.collect(collect))
        return (step, output)
    }

    /// No key, or one without a choice: its prompt and the menu again, until the retries are used up;
    /// then the prompt and the menu's final choice.
    private func missed(_ menu: Menu, failures: Int, prompt: String, in step: ApplicationStep) async throws -> Result {
        guard failures < menu.retries else {
            switch menu.final {
            case .destination(let destination):
                return try await play([prompt], then: .closing(.transfer(destination.description)), in: step,
                                      orElse: leave(step, .transfer(destination.description)))
            case .hangUp, .repeat:
                return try await play([prompt, Self.goodbye], then: .closing(.hangUp("menu retries used up")), in: step,
                                      orElse: leave(step, .hangUp("menu retries used up")))
            }
        }
        return try await enter(menu, failures: failures + 1, leadingWith: [prompt], in: step)
    }

    private func choose(_ choice: MenuChoice, in menu: Menu, failures: Int, step: ApplicationStep) async throws -> Result {
        switch choice {
        case .repeat:
            return try await enter(menu, failures: failures, leadingWith: [], in: step)
        case .hangUp:
            return try await play([Self.goodbye], then: .closing(.hangUp("caller left the menu")), in: step,
                                  orElse: leave(step, .hangUp("caller left the menu")))
        case .destination(.ivr(let name)):
            // A menu under this one: the call stays in the application.
            guard let submenu = try await catalog.menu(name) else {
                return try await missed(menu, failures: failures, prompt: menu.invalidPrompt, in: step)
            }
            return try await enter(submenu, failures: 0, leadingWith: [], in: step)
        case .destination(let destination):
            return leave(step, .transfer(destination.description))
        }
    }

    // MARK: Steps

    /// Plays `prompts` and moves to `stage`; with nothing to play, `orElse` at once.
    func play(_ prompts: [String], then stage: ApplicationStep.Stage, in step: ApplicationStep, orElse: Result) async throws -> Result {
        let items = try await catalog.items(prompts)
        guard !items.isEmpty else { return orElse }
        var step = step
        step.operationNumber += 1
        step.stage = stage
        return (step, [.play(CallPlay(operation: step.operation, items: items, loop: false, bargeIn: false))])
    }

    /// After an announcement: where the call was going (a welcome's group), or the announcement's next destination, or hang up.
    private func next(after announcement: AnnouncementView, in step: ApplicationStep) -> Result {
        let next = step.application.next ?? announcement.next
        return leave(step, next == Destination.none.description ? .hangUp("announcement played") : .transfer(next))
    }

    /// The call leaves the application: nothing more is stored for it.
    func leave(_ step: ApplicationStep, _ outcome: ApplicationStep.Outcome) -> Result {
        switch outcome {
        case .transfer(let destination): (nil, [.transfer(CallTransfer(destination: destination))])
        case .hangUp(let cause): (nil, [.hangUp(CallHangUp(cause: cause))])
        }
    }
}
