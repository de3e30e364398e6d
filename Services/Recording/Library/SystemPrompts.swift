import Logging
import Media
import ServiceLifecycle

/// The phrases every tenant has, in Estonian and English (DESIGN §6): made with espeak-ng (the
/// beep with a tone) when `recording` finds them missing, replaceable by a tenant's own prompt of
/// the same name.
struct SystemPrompts: Service {
    struct Phrase: Sendable {
        let name: String
        let estonian: String
        let english: String
    }

    static let beep = "beep"
    static let phrases: [Phrase] = [
        Phrase(name: "invalid-choice", estonian: "Vale valik.", english: "That is not a valid choice."),
        Phrase(name: "no-input", estonian: "Te ei teinud valikut.", english: "We did not receive your choice."),
        Phrase(name: "goodbye", estonian: "Head aega!", english: "Goodbye."),
        Phrase(name: "connecting", estonian: "Ühendan.", english: "Connecting you."),
        Phrase(name: "recording-notice", estonian: "See kõne salvestatakse.", english: "This call is recorded."),
        Phrase(name: "voicemail-unavailable", estonian: "Abonent ei ole praegu kättesaadav. Palun jätke sõnum pärast helisignaali.",
               english: "The person you are calling is not available. Please leave a message after the tone."),
        Phrase(name: "voicemail-busy", estonian: "Abonent on hõivatud. Palun jätke sõnum pärast helisignaali.",
               english: "The person you are calling is busy. Please leave a message after the tone."),
        // After a recorded name.
        Phrase(name: "voicemail-is-unavailable", estonian: "ei ole praegu kättesaadav. Palun jätke sõnum pärast helisignaali.",
               english: "is not available. Please leave a message after the tone."),
        Phrase(name: "voicemail-is-busy", estonian: "on hõivatud. Palun jätke sõnum pärast helisignaali.",
               english: "is busy. Please leave a message after the tone."),
        Phrase(name: "voicemail-full", estonian: "Kõnepostkast on täis ega võta sõnumeid vastu.",
               english: "This mailbox is full and cannot take messages."),
        Phrase(name: "voicemail-too-short", estonian: "Sõnumit ei salvestatud.", english: "No message was recorded."),
        Phrase(name: "voicemail-urgent-offer", estonian: "Sõnumi kiireloomuliseks märkimiseks vajutage üks. Muidu võite kõne lõpetada.",
               english: "To mark this message urgent, press one. Otherwise you may hang up."),
        Phrase(name: "voicemail-marked-urgent", estonian: "Sõnum on märgitud kiireloomuliseks.", english: "The message is marked urgent."),
        Phrase(name: "voicemail-recorded", estonian: "Teie sõnum on salvestatud. Head aega!", english: "Your message has been recorded. Goodbye."),
        Phrase(name: "voicemail-enter-box", estonian: "Palun sisestage postkasti number ja vajutage trellidega klahvi.",
               english: "Please enter your mailbox number, followed by the hash key."),
        Phrase(name: "voicemail-enter-pin", estonian: "Palun sisestage PIN-kood ja vajutage trellidega klahvi.",
               english: "Please enter your PIN, followed by the hash key."),
        Phrase(name: "voicemail-wrong-pin", estonian: "Vale postkast või PIN-kood.", english: "That mailbox or PIN is not correct."),
        Phrase(name: "voicemail-locked", estonian: "Postkast on liiga paljude valede katsete tõttu ajutiselt lukus.",
               english: "This mailbox is locked for a while after too many wrong PINs."),
        Phrase(name: "voicemail-no-messages", estonian: "Teil ei ole sõnumeid.", english: "You have no messages."),
        Phrase(name: "voicemail-main-menu", estonian: "Sõnumite kuulamiseks vajutage üks, postkasti seadete jaoks null, lõpetamiseks tärn.",
               english: "To listen to your messages, press one. For mailbox options, press zero. To finish, press star."),
        Phrase(name: "voicemail-message-menu",
               estonian: "Kordamiseks vajutage viis, järgmise sõnumi jaoks kuus, eelmise jaoks neli, kustutamiseks seitse, salvestamiseks üheksa, "
                   + "tagasihelistamiseks kaheksa, seadete jaoks null, lõpetamiseks tärn.",
               english: "To replay, press five. Next message, six. Previous, four. Delete, seven. Save, nine. Call back, eight. "
                   + "Options, zero. To finish, press star."),
        Phrase(name: "voicemail-no-more-messages", estonian: "Rohkem sõnumeid ei ole.", english: "There are no more messages."),
        Phrase(name: "voicemail-saved", estonian: "Sõnum salvestatud.", english: "Message saved."),
        Phrase(name: "voicemail-deleted", estonian: "Sõnum kustutatud.", english: "Message deleted."),
        Phrase(name: "voicemail-no-callback", estonian: "Sellele helistajale ei saa siit tagasi helistada.",
               english: "This caller cannot be called back from here."),
        Phrase(name: "voicemail-options",
               estonian: "Mitte kättesaadav tervituse salvestamiseks vajutage üks, hõivatud tervituse jaoks kaks, oma nime jaoks kolm, "
                   + "ajutise tervituse jaoks neli, ajutise tervituse eemaldamiseks viis, PIN-koodi muutmiseks kuus, tagasi minekuks tärn.",
               english: "To record your unavailable greeting, press one. Busy greeting, two. Your name, three. Temporary greeting, four. "
                   + "To remove the temporary greeting, press five. To change your PIN, six. To go back, star."),
        Phrase(name: "voicemail-record-greeting", estonian: "Salvestage tervitus pärast helisignaali ja vajutage lõpetuseks trellidega klahvi.",
               english: "Record your greeting after the tone, then press the hash key."),
        Phrase(name: "voicemail-greeting-saved", estonian: "Tervitus salvestatud.", english: "Greeting saved."),
        Phrase(name: "voicemail-nothing-recorded", estonian: "Midagi ei salvestatud.", english: "Nothing was recorded."),
        Phrase(name: "voicemail-greeting-removed", estonian: "Ajutine tervitus eemaldatud.", english: "Temporary greeting removed."),
        Phrase(name: "voicemail-new-pin", estonian: "Sisestage uus PIN-kood ja vajutage trellidega klahvi.",
               english: "Enter your new PIN, followed by the hash key."),
        Phrase(name: "voicemail-repeat-pin", estonian: "Sisestage uus PIN-kood uuesti.", english: "Enter the new PIN again."),
        Phrase(name: "voicemail-pin-changed", estonian: "PIN-kood muudetud.", english: "Your PIN has been changed."),
        Phrase(name: "voicemail-pin-not-changed", estonian: "PIN-koodi ei muudetud. See peab olema neli kuni kümme numbrit ja mõlemal korral sama.",
               english: "Your PIN was not changed. It must be four to ten digits, the same both times."),
    ]

    let library: MediaLibrary
    let logger: Logger

    /// Makes what is missing (a changed text is made again), retrying while the database or a tool
    /// fails, then waits for shutdown (a service that returned would end the process).
    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await makeMissing()
                break
            } catch {
                logger.warning("system prompts not made yet; retrying", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(15)) }
            }
        }
        try? await gracefulShutdown()
    }

    /// One `recording` at a time makes them (replicas start together; text-to-speech is the
    /// slow part): the others wait for its lock and then find them made.
    static let lockKey = 0x5357_5350  // "SWSP"

    private func makeMissing() async throws {
        try await library.db.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            do {
                try await makeMissingWhileLocked()
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
        }
    }

    static let beepText = "(tone)"

    /// A system prompt's audio, made from what its row says.
    static func audio(name: String, language: String, text: String) async throws -> [UInt8] {
        if name == beep { return WAV.file(Tone.sine(frequency: 1000, samples: 4000, amplitude: 12_000)) }
        return try await AudioConverter.speech(text, language: language)
    }

    private func makeMissingWhileLocked() async throws {
        let present = try await library.systemPrompts()
        for language in ["et", "en"] where !present.contains(.init(name: Self.beep, language: language, text: Self.beepText)) {
            try await library.saveSystemPrompt(try await Self.audio(name: Self.beep, language: language, text: Self.beepText), name: Self.beep,
                                               language: language, text: Self.beepText)
        }
        var made = 0
        for phrase in Self.phrases {
            for (language, text) in [("et", phrase.estonian), ("en", phrase.english)] where !present.contains(.init(name: phrase.name, language: language, text: text)) {
                try await library.saveSystemPrompt(try await Self.audio(name: phrase.name, language: language, text: text), name: phrase.name,
                                                   language: language, text: text)
                made += 1
            }
        }
        if made > 0 { logger.info("system prompts made", metadata: ["count": "\(made)"]) }
    }
}

/// The system prompts' names, for those who wait until they are all made (each in both languages).
package enum SystemPromptNames {
    package static var all: [String] { [SystemPrompts.beep] + SystemPrompts.phrases.map(\.name) }
}
