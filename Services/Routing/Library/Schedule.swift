import Foundation

/// Working hours (issue: routing): weekly open periods in the tenant's time zone, and exception
/// days that close all day (holidays) or open other hours (special openings). Evaluated on the
/// local wall clock, so a period means the same hours on both sides of a daylight-saving change.
struct WeeklySchedule: Sendable, Equatable {
    /// Minutes from local midnight.
    struct Period: Sendable, Equatable {
        var weekday: Int  // ISO: 1 = Monday … 7 = Sunday
        var opens: Int
        var closes: Int
    }

    struct Exception: Sendable, Equatable {
        var year: Int, month: Int, day: Int
        /// nil: closed all day.
        var hours: (opens: Int, closes: Int)?

        static func == (lhs: Exception, rhs: Exception) -> Bool {
            lhs.year == rhs.year && lhs.month == rhs.month && lhs.day == rhs.day
                && lhs.hours?.opens == rhs.hours?.opens && lhs.hours?.closes == rhs.hours?.closes
        }
    }

    var periods: [Period]
    var exceptions: [Exception]

    func isOpen(at instant: Date, timeZone: TimeZone) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let local = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: instant)
        guard let year = local.year, let month = local.month, let day = local.day, let hour = local.hour,
              let minute = local.minute, let weekday = local.weekday else { return false }
        let now = hour * 60 + minute
        if let exception = exceptions.first(where: { $0.year == year && $0.month == month && $0.day == day }) {
            guard let hours = exception.hours else { return false }
            return hours.opens <= now && now < hours.closes
        }
        let isoWeekday = weekday == 1 ? 7 : weekday - 1  // Calendar: 1 = Sunday
        return periods.contains { $0.weekday == isoWeekday && $0.opens <= now && now < $0.closes }
    }

    /// "09:00" → 540.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":").compactMap { Int($0) }
        guard parts.count >= 2, (0...24).contains(parts[0]), (0..<60).contains(parts[1]) else { return nil }
        return parts[0] * 60 + parts[1]
    }
}
