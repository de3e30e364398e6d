// Billing counts calendar days, not instants: a subscription that starts "on the 17th" starts on
// that date in the tenant's own reckoning. Plain (year, month, day) values with integer ordinals
// keep day counts exact and free of time zones and daylight-saving jumps, and need no Foundation.

/// The proleptic Gregorian calendar's month lengths.
package enum Gregorian {
    /// Divisible by 4, except centuries, except every fourth century: 2024 and 2000 are leap
    /// years, 1900 and 2100 are not.
    package static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// 28 to 31. `month` must be 1...12.
    package static func daysInMonth(year: Int, month: Int) -> Int {
        precondition((1...12).contains(month), "month \(month) is not 1...12")
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A calendar date without time or time zone, in years 1...9999.
///
/// Encodes to JSON as "YYYY-MM-DD".
package struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let year: Int
    /// 1...12.
    package let month: Int
    /// 1...28/29/30/31.
    package let day: Int

    /// Returns nil unless the date exists (no 2026-02-30, no 2027-02-29) and the year is 1...9999.
    package init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Gregorian.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly "YYYY-MM-DD" (four, two and two ASCII digits) of a date that exists.
    package init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let year = FixedPoint.digits(parts[0], count: 4),
            let month = FixedPoint.digits(parts[1], count: 2),
            let day = FixedPoint.digits(parts[2], count: 2)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The date `ordinal` days after 1970-01-01 (negative: before). The result must lie in years
    /// 1...9999 (a precondition).
    package init(ordinal: Int) {
        // Howard Hinnant's civil_from_days: shift to a calendar whose year starts on 1 March (so
        // the leap day is the last day of the year) and count in 400-year eras of 146097 days.
        let z = ordinal + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        precondition((1...9999).contains(year), "day ordinal \(ordinal) is outside years 1...9999")
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil); the difference of two ordinals is
    /// the exact number of days between the dates.
    package var ordinal: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` days later (earlier when negative).
    package func adding(days: Int) -> Day { Day(ordinal: ordinal + days) }

    package var next: Day { adding(days: 1) }
    package var previous: Day { adding(days: -1) }

    /// The billing period (calendar month) this day falls in.
    package var period: BillingPeriod { BillingPeriod(validYear: year, month: month) }

    /// "2026-11-17".
    package var description: String {
        String(year).leftPadded(4) + "-" + String(month).leftPadded(2) + "-" + String(day).leftPadded(2)
    }

    package static func < (lhs: Day, rhs: Day) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

extension Day: TextCodable {
    package static let textForm = "an existing date YYYY-MM-DD"
}

extension String {
    /// Zero-padded on the left to `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
