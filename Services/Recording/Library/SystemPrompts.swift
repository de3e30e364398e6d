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
        Phrase(name: "voicemail-enter-pin", estonian: "Palun sisestage PIN-kood ja vajutage trellidega klahvi.",
               english: "Please enter your PIN, followed by the hash key."),
        Phrase(name: "voicemail-wrong-pin", estonian: "Vale PIN-kood.", english: "That PIN is not correct."),
        Phrase(name: "voicemail-no-messages", estonian: "Teil ei ole uusi sõnumeid.", english: "You have no new messages."),
        Phrase(name: "voicemail-new-messages", estonian: "Teil on uusi sõnumeid.", english: "You have new messages."),
        Phrase(name: "voicemail-menu", estonian: "Kuulamiseks vajutage üks, salvestamiseks üheksa, kustutamiseks seitse.",
               english: "To listen, press one. To save, press nine. To delete, press seven."),
        Phrase(name: "voicemail-saved", estonian: "Sõnum salvestatud.", english: "Message saved."),
        Phrase(name: "voicemail-deleted", estonian: "Sõnum kustutatud.", english: "Message deleted."),
        Phrase(name: "voicemail-recorded", estonian: "Teie sõnum on salvestatud. Head aega!", english: "Your message has been recorded. Goodbye."),
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

    private func makeMissingWhileLocked() async throws {
        let present = try await library.systemPrompts()
        let beep = WAV.file(Tone.sine(frequency: 1000, samples: 4000, amplitude: 12_000))
        for language in ["et", "en"] where !present.contains(.init(name: Self.beep, language: language, text: "(tone)")) {
            try await library.saveSystemPrompt(beep, name: Self.beep, language: language, text: "(tone)")
        }
        var made = 0
        for phrase in Self.phrases {
            for (language, text) in [("et", phrase.estonian), ("en", phrase.english)] where !present.contains(.init(name: phrase.name, language: language, text: text)) {
                try await library.saveSystemPrompt(try await AudioConverter.speech(text, language: language), name: phrase.name,
                                                   language: language, text: text)
                made += 1
            }
        }
        if made > 0 { logger.info("system prompts made", metadata: ["count": "\(made)"]) }
    }
}
