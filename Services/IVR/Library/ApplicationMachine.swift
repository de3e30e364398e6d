import Events
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

    var operation: String { "\(application)#\(operationNumber)" }
}

/// What `ivr` tells the call's edge.
enum ApplicationOutput: Sendable, Equatable {
    case play(CallPlay)
    case collect(CallCollect)
    case transfer(CallTransfer)
    case hangUp(CallHangUp)

    /// The command as it goes on `call.commands`.
    var payload: any EventPayload {
        switch self {
        case .play(let play): play
        case .collect(let collect): collect
        case .transfer(let transfer): transfer
        case .hangUp(let hangUp): hangUp
        }
    }
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
        case .voicemail, .mailbox:
            return (nil, [])  // the voicemail feature drives its own calls
        }
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
        }
    }

    func collected(_ finished: CallCollectFinished, in step: ApplicationStep) async throws -> Result {
        guard finished.operation == step.operation, finished.reason != .stopped,
              case .inMenu(let name, let failures) = step.stage else { return (step, []) }
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
    private func play(_ prompts: [String], then stage: ApplicationStep.Stage, in step: ApplicationStep, orElse: Result) async throws -> Result {
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
    private func leave(_ step: ApplicationStep, _ outcome: ApplicationStep.Outcome) -> Result {
        switch outcome {
        case .transfer(let destination): (nil, [.transfer(CallTransfer(destination: destination))])
        case .hangUp(let cause): (nil, [.hangUp(CallHangUp(cause: cause))])
        }
    }
}
