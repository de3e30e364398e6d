import Events
import Foundation
@testable import IVR
import Tenancy
import Testing

@Suite("Voicemail on the phone, step by step")
struct VoicemailMachineTests {
    static let prompts: Set<String> = [
        "goodbye", "no-input", "invalid-choice", "voicemail-busy", "voicemail-unavailable", "voicemail-is-busy", "voicemail-full",
        "voicemail-urgent-offer", "voicemail-recorded", "voicemail-marked-urgent", "voicemail-too-short", "voicemail-enter-box",
        "voicemail-enter-pin", "voicemail-wrong-pin", "voicemail-locked", "voicemail-message-menu", "voicemail-main-menu",
        "voicemail-deleted", "voicemail-saved", "voicemail-no-more-messages", "voicemail-options", "voicemail-no-callback",
    ]
    static let box = BoxForCall(number: "1001", ownerName: "Anna", greetingMode: .byReason, maxSeconds: 120, minMs: 1000, isFull: false,
                                greetings: [:])
    static let heard = VoicemailMessage(id: UUID(), box: "1001", folder: .heard, urgent: false, caller: "+3725550199", callId: "c2",
                                        reason: .busy, durationMs: 4000, sha256: "old-audio", receivedAt: Date(timeIntervalSince1970: 1_000))
    static let new = VoicemailMessage(id: UUID(), box: "1001", folder: .new, urgent: false, caller: "1002", callId: "c1", reason: .noAnswer,
                                      durationMs: 5000, sha256: "new-audio", receivedAt: Date(timeIntervalSince1970: 2_000))

    func machine(_ change: (inout Catalog) -> Void = { _ in }) -> ApplicationMachine {
        var catalog = Catalog(prompts: Self.prompts, boxes: ["1001": Self.box], messages: [Self.new, Self.heard], pins: ["1001": "482913"])
        change(&catalog)
        return ApplicationMachine(catalog: catalog)
    }

    func start(_ application: CallApplication, on machine: ApplicationMachine) async throws -> ApplicationMachine.Result {
        let offer = CallOffered(edge: 1, from: "sip:+3725550199@trunk", to: "sip:x@x", origin: .trunk, callerExtension: nil, dialled: "+3726000000")
        return try await machine.start(CallAppStarted(application: application, offer: offer), envelopeID: "start-1")
    }

    func keys(_ digits: String, _ step: ApplicationStep, on machine: ApplicationMachine) async throws -> ApplicationMachine.Result {
        try await machine.collected(CallCollectFinished(operation: step.operation, digits: digits, reason: .maxDigits), in: step)
    }

    @Test("a busy caller hears the spoken default naming the user and a beep; then the caller is recorded up to the box's maximum")
    func depositBusy() async throws {
        let machine = machine()
        let (greeting, played) = try await start(CallApplication(kind: .voicemail, name: "1001", reason: .busy), on: machine)
        let step = try #require(greeting)
        #expect(step.stage == .greeting(box: "1001") && step.caller == "+3725550199")
        #expect(played == [.play(CallPlay(operation: step.operation, items: [.prompt(sha256: "speech:\(SpokenPhrase.defaultGreeting(name: "Anna", busy: true))"), .beep],
                                          loop: false, bargeIn: true))])
        let (recording, output) = try await machine.played(CallPlayFinished(operation: step.operation, reason: .completed), in: step)
        let depositing = try #require(recording)
        guard case .depositing(let box, let id) = depositing.stage, case .voicemail(.beginRecording(id, .message, box, "+3725550199", .busy)) = output.first
        else { Issue.record("not recording: \(depositing.stage) \(output)"); return }
        #expect(output.last == .record(CallRecordAudio(operation: depositing.operation, recordingId: id, direction: .caller, maxSeconds: 120,
                                                       silenceSeconds: ApplicationMachine.silenceSeconds, endKeys: "#")))
        // `#` ends it: the urgent offer, then 1 marks it and the call ends after the confirmation.
        let finished = CallRecordFinished(operation: depositing.operation, recordingId: id, reason: .key, key: "#", durationMs: 5_000, chunks: 6)
        let offer = try #require(try await machine.recorded(finished, in: depositing).step)
        #expect(offer.stage == .offeringUrgent(box: "1001", recording: id))
        let (closing, marked) = try await keys("1", offer, on: machine)
        #expect(marked.first == .voicemail(.markUrgent(recording: id)))
        #expect(closing?.stage == .closing(.hangUp("message left")))
    }

    @Test("a recorded temporary greeting wins over everything; a key during the greeting skips to the beep")
    func temporaryGreeting() async throws {
        let machine = machine { $0.boxes["1001"] = BoxForCall(number: "1001", ownerName: "Anna", greetingMode: .byReason, maxSeconds: 60, minMs: 1000,
                                                              isFull: false, greetings: [.temporary: "away", .busy: "busy-audio"]) }
        let (greeting, played) = try await start(CallApplication(kind: .voicemail, name: "1001", reason: .busy), on: machine)
        let step = try #require(greeting)
        #expect(played == [.play(CallPlay(operation: step.operation, items: [.prompt(sha256: "away"), .beep], loop: false, bargeIn: true))])
        let (beep, output) = try await machine.played(CallPlayFinished(operation: step.operation, reason: .bargeIn), in: step)
        #expect(beep?.stage == .greeting(box: "1001"))
        #expect(output == [.play(CallPlay(operation: try #require(beep).operation, items: [.beep], loop: false, bargeIn: false))])
    }

    @Test("a full box says so, takes nothing and reports a missed call; a message under the minimum is not kept")
    func fullAndShort() async throws {
        let full = machine { $0.boxes["1001"] = BoxForCall(number: "1001", ownerName: "Anna", greetingMode: .byReason, maxSeconds: 60, minMs: 1000,
                                                           isFull: true, greetings: [:]) }
        let (closing, output) = try await start(CallApplication(kind: .voicemail, name: "1001", reason: .noAnswer), on: full)
        #expect(closing?.stage == .closing(.hangUp("voicemail box full")))
        #expect(output.contains(.voicemail(.missedCall(box: "1001", caller: "+3725550199", why: .boxFull))))
        #expect(!output.contains { if case .record = $0 { true } else { false } })

        let machine = machine()
        let step = try #require(try await start(CallApplication(kind: .voicemail, name: "1001"), on: machine).step)
        let depositing = try #require(try await machine.played(CallPlayFinished(operation: step.operation, reason: .completed), in: step).step)
        guard case .depositing(_, let id) = depositing.stage else { Issue.record("not recording"); return }
        let short = CallRecordFinished(operation: depositing.operation, recordingId: id, reason: .silence, key: nil, durationMs: 500, chunks: 1)
        #expect(try await machine.recorded(short, in: depositing).step?.stage == .closing(.hangUp("message too short")))
        let hungUp = CallRecordFinished(operation: depositing.operation, recordingId: id, reason: .hangup, key: nil, durationMs: 5000, chunks: 6)
        let after = try await machine.recorded(hungUp, in: depositing)
        #expect(after.step == nil && after.output.isEmpty)
    }

    @Test("the own box opens without a PIN: counts, then the new message plays and is heard from then on; 9 saves, 7 deletes")
    func listening() async throws {
        let machine = machine()
        let (opened, output) = try await start(CallApplication(kind: .mailbox, name: "1001"), on: machine)
        let step = try #require(opened)
        #expect(step.stage == .listening(box: "1001", messages: [Self.new.id, Self.heard.id], index: 0, failures: 0))
        #expect(output.first == .voicemail(.move(Self.new.id, to: .heard)))
        guard case .play(let play) = output[1] else { Issue.record("no play: \(output)"); return }
        #expect(play.items.first == .prompt(sha256: "speech:\(SpokenPhrase.counts(new: 1, saved: 1))"))
        #expect(play.items.contains(.prompt(sha256: "new-audio")) && play.bargeIn)

        let (saved, savedOutput) = try await keys("9", step, on: machine)
        #expect(savedOutput.first == .voicemail(.move(Self.new.id, to: .saved)))
        #expect(saved?.stage == .listening(box: "1001", messages: [Self.new.id, Self.heard.id], index: 1, failures: 0))
        let (deleted, deletedOutput) = try await keys("7", try #require(saved), on: machine)
        #expect(deletedOutput.first == .voicemail(.delete(Self.heard.id)))
        // The last one deleted: there are no more; the main menu.
        #expect(deleted?.stage == .mailboxMenu(box: "1001", failures: 0))
        // 8 calls back only an internal caller.
        let (_, callBack) = try await keys("8", step, on: machine)
        #expect(callBack == [.transfer(CallTransfer(destination: "user:1002"))])
    }

    @Test("through the main number: box, PIN; wrong PINs three times end the call; a locked box says so")
    func login() async throws {
        let machine = machine()
        var step = try #require(try await start(CallApplication(kind: .mailbox, name: ""), on: machine).step)
        #expect(step.stage == .askingBox(failures: 0))
        for attempt in 0..<ApplicationMachine.loginTries {
            step = try #require(try await keys("1001", step, on: machine).step)
            #expect(step.stage == .askingPIN(box: "1001", failures: attempt))
            step = try #require(try await keys("000000", step, on: machine).step)
        }
        #expect(step.stage == .closing(.hangUp("wrong PIN")))

        step = try #require(try await start(CallApplication(kind: .mailbox, name: ""), on: machine).step)
        step = try #require(try await keys("1001", step, on: machine).step)
        let opened = try #require(try await keys("482913", step, on: machine).step)
        guard case .listening(box: "1001", _, 0, 0) = opened.stage else { Issue.record("not open: \(opened.stage)"); return }

        let lockedMachine = self.machine { $0.locked = ["1001"] }
        step = try #require(try await start(CallApplication(kind: .mailbox, name: ""), on: lockedMachine).step)
        step = try #require(try await keys("1001", step, on: lockedMachine).step)
        #expect(try await keys("482913", step, on: lockedMachine).step?.stage == .closing(.hangUp("voicemail box locked")))
    }

    @Test("options: a greeting is recorded after instructions and a beep; a new PIN must be acceptable and keyed twice")
    func options() async throws {
        let machine = machine { $0.messages = [] }
        let menu = try #require(try await start(CallApplication(kind: .mailbox, name: "1001"), on: machine).step)
        #expect(menu.stage == .mailboxMenu(box: "1001", failures: 0))
        let options = try #require(try await keys("0", menu, on: machine).step)
        let instructions = try #require(try await keys("2", options, on: machine).step)
        #expect(instructions.stage == .greetingInstructions(box: "1001", kind: .busy))
        let (recording, output) = try await machine.played(CallPlayFinished(operation: instructions.operation, reason: .completed), in: instructions)
        guard case .recordingGreeting("1001", .busy, let id) = try #require(recording).stage,
              case .voicemail(.beginRecording(id, .busy, "1001", _, _)) = output.first else { Issue.record("not recording: \(output)"); return }

        let asked = try #require(try await keys("6", options, on: machine).step)
        #expect(try await keys("1111", asked, on: machine).step?.stage == .options(box: "1001", failures: 0))
        let confirm = try #require(try await keys("2468", asked, on: machine).step)
        let (_, changed) = try await keys("2468", confirm, on: machine)
        #expect(changed.first == .voicemail(.changePIN(box: "1001", pin: "2468")))
    }

    @Test("spoken phrases read numbers digit by digit and dates in the tenant's zone and language")
    func phrases() {
        let date = Date(timeIntervalSince1970: 1_796_220_300)  // 2026-12-02 14:05 UTC, 16:05 in Tallinn
        let zone = TimeZone(identifier: "Europe/Tallinn")!
        #expect(SpokenPhrases.text(.envelope(number: 1, receivedAt: date, caller: "+3725551", urgent: true), language: .english, timeZone: zone)
            == "Message 1. Urgent. Received 2 December at 16:05 from 3 7 2 5 5 5 1.")
        #expect(SpokenPhrases.text(.counts(new: 1, saved: 0), language: .estonian, timeZone: zone) == "Teil on 1 uus sõnum ja 0 salvestatud.")
    }
}
