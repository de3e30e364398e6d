import Foundation
import Tenancy

/// The words of `SpokenPhrase`s in each language. Numbers that are identities (a caller's number,
/// an extension) are read digit by digit; dates in the tenant's time zone.
enum SpokenPhrases {
    static func text(_ phrase: SpokenPhrase, language: Language, timeZone: TimeZone) -> String {
        switch (phrase, language) {
        case (.defaultGreeting(let name, busy: false), .english):
            "\(name) is not available. Please leave a message after the tone."
        case (.defaultGreeting(let name, busy: true), .english):
            "\(name) is busy. Please leave a message after the tone."
        case (.defaultGreeting(let name, busy: false), .estonian):
            "\(name) ei ole praegu kättesaadav. Palun jätke sõnum pärast helisignaali."
        case (.defaultGreeting(let name, busy: true), .estonian):
            "\(name) on hõivatud. Palun jätke sõnum pärast helisignaali."
        case (.counts(let new, let saved), .english):
            "You have \(new) new \(new == 1 ? "message" : "messages") and \(saved) saved."
        case (.counts(let new, let saved), .estonian):
            "Teil on \(new) uus \(new == 1 ? "sõnum" : "sõnumit") ja \(saved) salvestatud."
        case (.envelope(let number, let receivedAt, let caller, let urgent), .english):
            "Message \(number). \(urgent ? "Urgent. " : "")Received \(date(receivedAt, language, timeZone)) from \(digits(caller))."
        case (.envelope(let number, let receivedAt, let caller, let urgent), .estonian):
            "Sõnum \(number). \(urgent ? "Kiire. " : "")Saabunud \(date(receivedAt, language, timeZone)), helistaja \(digits(caller))."
        }
    }

    /// "2 December at 14:05" / "2. detsember kell 14.05": month names spelled here, not left to the
    /// platform's locale data.
    static func date(_ date: Date, _ language: Language, _ timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.day, .month, .hour, .minute], from: date)
        let day = parts.day ?? 1, month = (parts.month ?? 1) - 1
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        switch language {
        case .english:
            let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
            return "\(day) \(months[month]) at \(time)"
        case .estonian:
            let months = ["jaanuar", "veebruar", "märts", "aprill", "mai", "juuni", "juuli", "august", "september", "oktoober", "november", "detsember"]
            return "\(day). \(months[month]) kell \(time.replacingOccurrences(of: ":", with: "."))"
        }
    }

    /// "+3725551234" → "3 7 2 5 5 5 1 2 3 4": a number to note down, not an amount.
    static func digits(_ caller: String) -> String {
        let digits = caller.filter(\.isNumber)
        return digits.isEmpty ? caller : digits.map(String.init).joined(separator: " ")
    }
}
