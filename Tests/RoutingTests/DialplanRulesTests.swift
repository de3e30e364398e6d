import Events
import Foundation
import Testing

@testable import Routing

@Suite struct HuntStrategyTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let members = [
        HuntStrategy.Member(id: "1001", position: 0, lastOffered: t0.addingTimeInterval(300), lastCallEnded: t0.addingTimeInterval(50)),
        HuntStrategy.Member(id: "1002", position: 1, lastOffered: t0.addingTimeInterval(100), lastCallEnded: nil),
        HuntStrategy.Member(id: "+3725550100", position: 2, lastOffered: nil, lastCallEnded: t0.addingTimeInterval(10)),
        HuntStrategy.Member(id: "1003", position: 3, lastOffered: t0.addingTimeInterval(200), lastCallEnded: t0.addingTimeInterval(20)),
    ]

    @Test("ringing order per strategy", arguments: [
        (HuntStrategy.ringAll, 0, ["1001", "1002", "+3725550100", "1003"]),
        (.linear, 0, ["1001", "1002", "+3725550100", "1003"]),
        (.roundRobin, 0, ["1001", "1002", "+3725550100", "1003"]),
        (.roundRobin, 2, ["+3725550100", "1003", "1001", "1002"]),
        (.roundRobin, 5, ["1002", "+3725550100", "1003", "1001"]),
        (.leastRecent, 0, ["+3725550100", "1002", "1003", "1001"]),
        (.longestIdle, 0, ["1002", "+3725550100", "1003", "1001"]),
    ])
    func order(strategy: HuntStrategy, cursor: Int, expected: [String]) {
        var generator = SystemRandomNumberGenerator()
        #expect(strategy.order(Self.members.shuffled(), cursor: cursor, using: &generator).map(\.id) == expected)
    }

    @Test func randomUsesEveryMemberOnceAndVaries() {
        var generator = SystemRandomNumberGenerator()
        var firsts: Set<String> = []
        for _ in 0..<200 {
            let order = HuntStrategy.random.order(Self.members, using: &generator).map(\.id)
            #expect(Set(order) == Set(Self.members.map(\.id)) && order.count == 4)
            firsts.insert(order[0])
        }
        #expect(firsts.count == 4, "every member comes first sometimes")
    }
}

@Suite struct ScheduleTests {
    /// Monday to Friday 09:00–17:00, Saturday 10:00–14:00; Christmas Eve closed, a Sunday opening.
    static let office = WeeklySchedule(
        periods: (1...5).map { WeeklySchedule.Period(weekday: $0, opens: 9 * 60, closes: 17 * 60) }
            + [WeeklySchedule.Period(weekday: 6, opens: 10 * 60, closes: 14 * 60)],
        exceptions: [WeeklySchedule.Exception(year: 2026, month: 12, day: 24, hours: nil),
                     WeeklySchedule.Exception(year: 2026, month: 12, day: 20, hours: (opens: 12 * 60, closes: 16 * 60))])
    static let tallinn = TimeZone(identifier: "Europe/Tallinn")!

    static func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("open or closed", arguments: [
        ("2026-11-23T07:00:00Z", true, "Monday 09:00 in Tallinn (UTC+2) opens"),
        ("2026-11-23T06:59:00Z", false, "Monday 08:59 is before opening"),
        ("2026-11-23T15:00:00Z", false, "Monday 17:00 is closing time"),
        ("2026-11-28T09:00:00Z", true, "Saturday 11:00"),
        ("2026-11-29T09:00:00Z", false, "Sunday"),
        ("2026-12-24T09:00:00Z", false, "Christmas Eve (a Thursday) is a holiday"),
        ("2026-12-20T11:00:00Z", true, "a special Sunday opening, 13:00"),
        ("2026-12-20T15:00:00Z", false, "after the special opening's hours"),
        // Daylight saving ends on Sunday 25 October 2026 (UTC+3 → UTC+2); on Monday 26th 09:00 local is 07:00 UTC.
        ("2026-10-23T06:00:00Z", true, "Friday before the change: 09:00 local is 06:00 UTC (UTC+3)"),
        ("2026-10-26T06:30:00Z", false, "Monday after the change: 06:30 UTC is only 08:30 local"),
        ("2026-10-26T07:00:00Z", true, "Monday after the change: 07:00 UTC is 09:00 local"),
        // It starts on Sunday 29 March 2026 (UTC+2 → UTC+3).
        ("2026-03-30T06:00:00Z", true, "Monday after spring forward: 06:00 UTC is 09:00 local"),
        ("2026-03-27T06:00:00Z", false, "Friday before: 06:00 UTC is 08:00 local"),
    ])
    func isOpen(instant: String, open: Bool, why: String) {
        #expect(Self.office.isOpen(at: Self.at(instant), timeZone: Self.tallinn) == open, "\(why)")
    }

    @Test func parsesClockTimes() {
        #expect(WeeklySchedule.minutes("09:30") == 570)
        #expect(WeeklySchedule.minutes("24:00") == 1440)
        #expect(WeeklySchedule.minutes("9") == nil)
        #expect(WeeklySchedule.minutes("12:75") == nil)
    }
}

@Suite struct OutboundIdentityTests {
    @Test("presented number and class", arguments: [
        // dialled, setting, default class, own DID → presented, class, dialled, emergency
        ("5550123", "main", "business", "+3726001002", "+3726001000", "business", "5550123", false),
        ("5550123", "own", "business", "+3726001002", "+3726001002", "business", "5550123", false),
        ("5550123", "own", "business", nil, "+3726001000", "business", "5550123", false),
        ("5550123", "anonymous", "private", nil, nil, "private", "5550123", false),
        ("*31#5550123", "main", "business", nil, nil, "business", "5550123", false),
        ("*32#5550123", "main", "business", "+3726001002", "+3726001002", "business", "5550123", false),
        ("*33#5550123", "anonymous", "business", "+3726001002", "+3726001000", "business", "5550123", false),
        ("*7#5550123", "main", "business", nil, "+3726001000", "private", "5550123", false),
        ("*8#*31#5550123", "own", "private", nil, nil, "business", "5550123", false),
        ("112", "anonymous", "private", nil, "+3726001000", "business", "112", true),
        ("*31#112", "main", "business", nil, "+3726001000", "business", "112", true),
    ] as [(String, String, String, String?, String?, String, String, Bool)])
    func resolve(dialled: String, setting: String, defaultClass: String, own: String?, presented: String?,
                 classification: String, rest: String, emergency: Bool) throws {
        let identity = OutboundIdentity.resolve(dialled: dialled, setting: try #require(CallerIDSetting(rawValue: setting)),
                                                defaultClass: try #require(Classification(rawValue: defaultClass)),
                                                ownNumber: own, mainNumber: "+3726001000")
        // The network is told the number the call is entitled to even when the called party sees none.
        #expect(identity == OutboundIdentity(presentedNumber: presented, assertedNumber: presented ?? own ?? "+3726001000",
                                             classification: try #require(Classification(rawValue: classification)),
                                             dialled: rest, emergency: emergency))
    }
}
