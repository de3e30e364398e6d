import Events
import Foundation
@testable import IVR
import Tenancy
import Testing

/// A tenant's configuration as values: each prompt's hash is its name repeated.
struct Catalog: ApplicationCatalog {
    var announcements: [String: AnnouncementView] = [:]
    var menus: [String: MenuView] = [:]
    var prompts: Set<String> = ["greeting", "sub-greeting", "invalid-choice", "no-input", "goodbye", "closed"]
    var extensions: Set<String> = ["1002"]
    var boxes: [String: BoxForCall] = [:]
    var messages: [VoicemailMessage] = []
    var pins: [String: String] = [:]
    var locked: Set<String> = []

    func announcement(_ name: String) async throws -> AnnouncementView? { announcements[name] }
    func menu(_ name: String) async throws -> Menu? { menus[name].map(Menu.init) }
    func items(_ names: [String]) async throws -> [PlayItem] { names.filter(prompts.contains).map { .prompt(sha256: Self.hash($0)) } }
    func hasExtension(_ ext: String) async throws -> Bool { extensions.contains(ext) }

    func voicemailBox(_ number: String) async throws -> BoxForCall? { boxes[number] }
    func messages(inBox number: String) async throws -> [VoicemailMessage] { messages.filter { $0.box == number } }
    func message(_ id: UUID) async throws -> VoicemailMessage? { messages.first { $0.id == id } }
    func verifyPIN(_ pin: String, box number: String, caller: String) async throws -> PINCheck {
        if locked.contains(number) { return .locked(until: .distantFuture) }
        return pins[number] == pin ? .accepted : .rejected(locked: false)
    }
    /// Spoken text as a play item naming the phrase.
    func speech(_ phrase: SpokenPhrase) async throws -> PlayItem? { .prompt(sha256: "speech:\(phrase)") }

    static func hash(_ name: String) -> String { name }
    static func play(_ names: String...) -> [PlayItem] { names.map { .prompt(sha256: hash($0)) } }
}

@Suite("IVR menus and announcements, step by step")
struct ApplicationMachineTests {
    static let main = MenuView(name: "main", greeting: "greeting", timeoutSeconds: 4, retries: 1, final: "user:1002",
                               options: ["1": "group:sales", "2": "ivr:sub", "9": "repeat", "0": "hangup"])
    static let sub = MenuView(name: "sub", greeting: "sub-greeting", options: ["1": "announcement:closed"])

    let machine = ApplicationMachine(catalog: Catalog(menus: ["main": main, "sub": sub]))

    func started(_ application: CallApplication, machine: ApplicationMachine? = nil) async throws -> ApplicationMachine.Result {
        let offer = CallOffered(edge: 3, from: "sip:+3725550199@trunk", to: "sip:x@x", origin: .trunk, callerExtension: nil, dialled: "+3726000000")
        return try await (machine ?? self.machine).start(CallAppStarted(application: application, offer: offer), envelopeID: "start-1")
    }

    func collected(_ digits: String, _ reason: CallCollectFinished.Reason = .maxDigits, in step: ApplicationStep) async throws
        -> ApplicationMachine.Result
    {
        try await machine.collected(CallCollectFinished(operation: step.operation, digits: digits, reason: reason), in: step)
    }

    @Test("a menu plays its greeting and collects one key at once; a key with a choice sends the call there and the step ends")
    func choice() async throws {
        let (step, output) = try await started(CallApplication(kind: .ivr, name: "main"))
        let menu = try #require(step)
        #expect(menu.edge == 3 && menu.stage == .inMenu(name: "main", failures: 0))
        #expect(output == [
            .play(CallPlay(operation: "ivr:main#1", items: Catalog.play("greeting"), loop: false, bargeIn: true)),
            .collect(CallCollect(operation: "ivr:main#1", maxDigits: 1, firstDigitTimeoutMs: 4000, interDigitTimeoutMs: 2000, terminators: "")),
        ])
        let chosen = try await collected("1", in: menu)
        #expect(chosen.step == nil && chosen.output == [.transfer(CallTransfer(destination: "group:sales"))])
    }

    @Test("an invalid key plays the invalid prompt and the menu again; after the retries, the prompt and then the final destination")
    func invalidKeys() async throws {
        let first = try #require(try await started(CallApplication(kind: .ivr, name: "main")).step)
        let (retry, output) = try await collected("7", in: first)
        let again = try #require(retry)
        #expect(again.stage == .inMenu(name: "main", failures: 1))
        #expect(output.first == .play(CallPlay(operation: "ivr:main#2", items: Catalog.play("invalid-choice", "greeting"), loop: false, bargeIn: true)))
        let (closing, last) = try await collected("8", in: again)
        let final = try #require(closing)
        #expect(final.stage == .closing(.transfer("user:1002")))
        #expect(last == [.play(CallPlay(operation: "ivr:main#3", items: Catalog.play("invalid-choice"), loop: false, bargeIn: false))])
        let done = try await machine.played(CallPlayFinished(operation: "ivr:main#3", reason: .completed), in: final)
        #expect(done.step == nil && done.output == [.transfer(CallTransfer(destination: "user:1002"))])
    }

    @Test("no key takes the timeout branch with its own prompt; a menu whose final choice is to hang up says goodbye first")
    func timeouts() async throws {
        var menu = Self.main
        menu.retries = 0
        menu.final = "hangup"
        let machine = ApplicationMachine(catalog: Catalog(menus: ["main": menu]))
        let step = try #require(try await started(CallApplication(kind: .ivr, name: "main"), machine: machine).step)
        let (closing, output) = try await machine.collected(CallCollectFinished(operation: step.operation, digits: "", reason: .noInput), in: step)
        #expect(closing?.stage == .closing(.hangUp("menu retries used up")))
        #expect(output == [.play(CallPlay(operation: "ivr:main#2", items: Catalog.play("no-input", "goodbye"), loop: false, bargeIn: false))])

        let retried = try await collected("", .noInput, in: step)
        #expect(retried.output.first == .play(CallPlay(operation: "ivr:main#2", items: Catalog.play("no-input", "greeting"), loop: false, bargeIn: true)),
                "with a retry left, the timeout prompt and the menu again")
    }

    @Test("an event of an operation the call is past, or a stop it caused, changes nothing (a redelivery after a restart)")
    func staleEvents() async throws {
        let first = try #require(try await started(CallApplication(kind: .ivr, name: "main")).step)
        let second = try #require(try await collected("7", in: first).step)
        let replayed = try await machine.collected(CallCollectFinished(operation: first.operation, digits: "7", reason: .maxDigits), in: second)
        #expect(replayed.step == second && replayed.output.isEmpty)
        let stopped = try await collected("", .stopped, in: second)
        #expect(stopped.step == second && stopped.output.isEmpty)
        let played = try await machine.played(CallPlayFinished(operation: second.operation, reason: .bargeIn), in: second)
        #expect(played.step == second && played.output.isEmpty, "in a menu the collection decides, not the prompt")
    }

    @Test("a submenu is entered within the application; repeat plays the menu again; 0 says goodbye and hangs up")
    func nestedRepeatAndHangUp() async throws {
        let first = try #require(try await started(CallApplication(kind: .ivr, name: "main")).step)
        let (sub, output) = try await collected("2", in: first)
        #expect(sub?.stage == .inMenu(name: "sub", failures: 0) && sub?.application == CallApplication(kind: .ivr, name: "main"))
        #expect(output.first == .play(CallPlay(operation: "ivr:main#2", items: Catalog.play("sub-greeting"), loop: false, bargeIn: true)))
        let announced = try await collected("1", in: try #require(sub))
        #expect(announced.output == [.transfer(CallTransfer(destination: "announcement:closed"))])

        let repeated = try await collected("9", in: first)
        #expect(repeated.step?.stage == .inMenu(name: "main", failures: 0) && repeated.step?.operationNumber == 2)
        let leaving = try #require(try await collected("0", in: first).step)
        #expect(leaving.stage == .closing(.hangUp("caller left the menu")))
        let ended = try await machine.played(CallPlayFinished(operation: leaving.operation, reason: .completed), in: leaving)
        #expect(ended.step == nil && ended.output == [.hangUp(CallHangUp(cause: "caller left the menu"))])
    }

    @Test("with direct dial the caller may key an extension: one that exists is rung, one that does not is an invalid choice")
    func directDial() async throws {
        var menu = Self.main
        menu.directDial = true
        let machine = ApplicationMachine(catalog: Catalog(menus: ["main": menu]))
        let (step, output) = try await started(CallApplication(kind: .ivr, name: "main"), machine: machine)
        #expect(output.last == .collect(CallCollect(operation: "ivr:main#1", maxDigits: 6, firstDigitTimeoutMs: 4000, interDigitTimeoutMs: 2000,
                                                    terminators: "#")))
        let menuStep = try #require(step)
        let dialled = try await machine.collected(CallCollectFinished(operation: "ivr:main#1", digits: "1002", reason: .terminator), in: menuStep)
        #expect(dialled.output == [.transfer(CallTransfer(destination: "user:1002"))])
        let unknown = try await machine.collected(CallCollectFinished(operation: "ivr:main#1", digits: "1999", reason: .interDigitTimeout), in: menuStep)
        #expect(unknown.step?.stage == .inMenu(name: "main", failures: 1))
        let option = try await machine.collected(CallCollectFinished(operation: "ivr:main#1", digits: "1", reason: .interDigitTimeout), in: menuStep)
        #expect(option.output == [.transfer(CallTransfer(destination: "group:sales"))], "a single key is still its choice")
    }

    @Test("an announcement plays its prompts without barge-in, then hangs up, goes to its next destination, or back to the group it welcomed to")
    func announcements() async throws {
        let catalog = Catalog(announcements: ["closed": AnnouncementView(name: "closed", prompts: ["closed", "goodbye", "missing"], next: "none"),
                                              "hello": AnnouncementView(name: "hello", prompts: ["greeting"], next: "ivr:main")])
        let machine = ApplicationMachine(catalog: catalog)
        let (step, output) = try await started(CallApplication(kind: .announcement, name: "closed"), machine: machine)
        let playing = try #require(step)
        #expect(output == [.play(CallPlay(operation: "announcement:closed#1", items: Catalog.play("closed", "goodbye"), loop: false, bargeIn: false))])
        let ended = try await machine.played(CallPlayFinished(operation: playing.operation, reason: .completed), in: playing)
        #expect(ended.step == nil && ended.output == [.hangUp(CallHangUp(cause: "announcement played"))])

        let next = try #require(try await started(CallApplication(kind: .announcement, name: "hello"), machine: machine).step)
        #expect(try await machine.played(CallPlayFinished(operation: next.operation, reason: .failed), in: next).output
                == [.transfer(CallTransfer(destination: "ivr:main"))], "a prompt the edge could not play does not strand the caller")
        let welcome = try #require(try await started(CallApplication(kind: .announcement, name: "hello", next: "group:sales"), machine: machine).step)
        #expect(try await machine.played(CallPlayFinished(operation: welcome.operation, reason: .completed), in: welcome).output
                == [.transfer(CallTransfer(destination: "group:sales"))])

        let missing = try await started(CallApplication(kind: .announcement, name: "gone"), machine: machine)
        #expect(missing.step == nil && missing.output == [.hangUp(CallHangUp(cause: "no announcement gone"))])
    }

    @Test("a step survives its JSON form (it is stored as jsonb between events)")
    func storedStep() throws {
        var step = ApplicationStep(application: CallApplication(kind: .ivr, name: "main"), edge: 1, startedBy: "x", stage: .closing(.transfer("user:1002")))
        step.operationNumber = 4
        let decoded = try EventCoding.decoder.decode(ApplicationStep.self, from: try EventCoding.encoder.encode(step))
        #expect(decoded == step)
    }
}
