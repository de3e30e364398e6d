/// A billing period: one calendar month. Prices are monthly, and a partial month is charged by the
/// share of this month's days (28 to 31) that a subscription was active.
///
/// Encodes to JSON as "YYYY-MM".
package struct BillingPeriod: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let year: Int
    /// 1...12.
    package let month: Int

    /// Returns nil unless `month` is 1...12 and `year` is 1...9999.
    package init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.init(validYear: year, month: month)
    }

    /// Parses exactly "YYYY-MM" ("2026-02").
    package init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let year = FixedPoint.digits(parts[0], count: 4),
            let month = FixedPoint.digits(parts[1], count: 2)
        else { return nil }
        self.init(year: year, month: month)
    }

    /// For values already known to be valid (from a `Day`).
    init(validYear year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// The number of days in the month: 28, 29 (February of a leap year), 30 or 31.
    package var days: Int { Gregorian.daysInMonth(year: year, month: month) }

    package var firstDay: Day { Self.day(year: year, month: month, day: 1) }
    package var lastDay: Day { Self.day(year: year, month: month, day: days) }

    /// Whether `day` falls in this month.
    package func contains(_ day: Day) -> Bool { day.year == year && day.month == month }

    /// The following month (December → January of the next year).
    package var next: BillingPeriod {
        month == 12 ? BillingPeriod(validYear: year + 1, month: 1) : BillingPeriod(validYear: year, month: month + 1)
    }

    /// The preceding month (January → December of the previous year).
    package var previous: BillingPeriod {
        month == 1 ? BillingPeriod(validYear: year - 1, month: 12) : BillingPeriod(validYear: year, month: month - 1)
    }

    /// How many days of this month fall in `from...through` (both inclusive; `through` nil means
    /// open-ended). 0 when the range misses the month or is empty.
    package func activeDays(from start: Day, through end: Day?) -> Int {
        guard let range = activeRange(from: start, through: end) else { return 0 }
        return range.upperBound.ordinal - range.lowerBound.ordinal + 1
    }

    /// The part of `from...through` (inclusive, `through` nil = open-ended) inside this month, or
    /// nil when there is none.
    package func activeRange(from start: Day, through end: Day?) -> ClosedRange<Day>? {
        let first = max(start, firstDay)
        let last = min(end ?? lastDay, lastDay)
        guard first <= last else { return nil }
        return first...last
    }

    /// "2026-02".
    package var description: String { String(year).leftPadded(4) + "-" + String(month).leftPadded(2) }

    package static func < (lhs: BillingPeriod, rhs: BillingPeriod) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }

    private static func day(year: Int, month: Int, day: Int) -> Day {
        // Always valid: year and month were checked on the way in, and day is 1 or the month's length.
        guard let result = Day(year: year, month: month, day: day) else { preconditionFailure("invalid period") }
        return result
    }
}

extension BillingPeriod: TextCodable {
    package static let textForm = "a month YYYY-MM"
}
