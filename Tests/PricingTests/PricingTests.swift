import Foundation
import Pricing
import Events
import Testing

// Every expected number below is worked out by hand in the comment next to it and written as a
// literal; none is recomputed with the code under test.

// Catalogue used by the tests (reference prices from DESIGN.md §1; bundle prices invented).
private let callSharing = CatalogueItem(
    code: "call-sharing", kind: .plan, name: "Business call sharing", unit: .user, monthlyPrice: Money(cents: 200))
private let mobileUnlimited = CatalogueItem(
    code: "mobile-unlimited", kind: .plan, name: "Unlimited business mobile", unit: .user,
    monthlyPrice: Money(cents: 700))
private let mobileUnlimitedPlus = CatalogueItem(
    code: "mobile-unlimited-plus", kind: .plan, name: "Unlimited business mobile +", unit: .user,
    monthlyPrice: Money(cents: 1200))
private let ivr = CatalogueItem(
    code: "ivr", kind: .addon, name: "IVR", unit: .tenant, monthlyPrice: Money(cents: 1200), features: ["ivr"])
private let recording10 = CatalogueItem(
    code: "recording-10d", kind: .addon, name: "Call recording, 10 days", unit: .number,
    monthlyPrice: Money(cents: 639), features: ["recording.retention.10d"])
private let recording60 = CatalogueItem(
    code: "recording-60d", kind: .addon, name: "Call recording, 60 days", unit: .number,
    monthlyPrice: Money(cents: 1278), features: ["recording.retention.60d"])
private let intl50 = CatalogueItem(
    code: "intl-50", kind: .addon, name: "International minutes 50", unit: .bundle, monthlyPrice: Money(cents: 490),
    includedMinutes: 50)
private let intl200 = CatalogueItem(
    code: "intl-200", kind: .addon, name: "International minutes 200", unit: .bundle,
    monthlyPrice: Money(cents: 1490), includedMinutes: 200)

private func day(_ text: String) throws -> Day { try #require(Day(text)) }
private func period(_ text: String) throws -> BillingPeriod { try #require(BillingPeriod(text)) }
private func money(_ text: String) throws -> Money { try #require(Money(text)) }
private func rate(_ text: String) throws -> Rate { try #require(Rate(text)) }
private func percent(_ text: String) throws -> Percent { try #require(Percent(text)) }

@Suite struct ProRatingTests {
    @Test func startOnThe17thOfA30DayMonth() throws {
        let november = try period("2026-11")
        let subscription = Subscription(
            id: "s1", item: mobileUnlimited, quantity: 3, starts: try day("2026-11-17"))
        // November has 30 days; the 17th to the 30th inclusive is 30 − 17 + 1 = 14 days.
        // 3 users × 7.00 = 21.00 = 2100 cents; 2100 × 14 = 29 400; 29 400 / 30 = 980 exactly → 9.80.
        #expect(subscription.activeDays(in: november) == 14)
        #expect(subscription.amount(in: november) == Money(cents: 980))
        // December: the whole month, 3 × 7.00 = 21.00.
        #expect(subscription.amount(in: november.next) == Money(cents: 2100))
        // October: not started yet.
        #expect(subscription.activeDays(in: november.previous) == 0)
        #expect(subscription.amount(in: november.previous) == Money(cents: 0))
    }

    @Test func endOnThe3rdOfA31DayMonth() throws {
        let december = try period("2026-12")
        let subscription = Subscription(
            id: "s1", item: mobileUnlimitedPlus, quantity: 5, starts: try day("2026-06-01"), ends: try day("2026-12-03")
        )
        // December has 31 days; the 1st to the 3rd inclusive is 3 days.
        // 5 × 12.00 = 6000 cents; 6000 × 3 = 18 000; 18 000 / 31 = 580.645… → 581 → 5.81.
        #expect(subscription.activeDays(in: december) == 3)
        #expect(subscription.amount(in: december) == Money(cents: 581))
        // November: whole month, 5 × 12.00 = 60.00. January: ended, nothing.
        #expect(subscription.amount(in: try period("2026-11")) == Money(cents: 6000))
        #expect(subscription.activeDays(in: try period("2027-01")) == 0)
    }

    @Test func planChangeMidMonthGivesTwoLines() throws {
        let november = try period("2026-11")
        let old = Subscription(id: "s1", item: callSharing, quantity: 4, starts: try day("2026-10-01"))
        let (ended, started) = try old.changePlan(to: mobileUnlimited, on: try day("2026-11-10"), newID: "s2")
        #expect(ended.id == "s1")
        #expect(ended.ends == (try day("2026-11-09")))
        #expect(started.id == "s2")
        #expect(started.starts == (try day("2026-11-10")))
        #expect(started.ends == nil)
        #expect(started.quantity == 4)
        #expect(started.item.code == "mobile-unlimited")

        let invoice = try Invoice.compute(
            period: november, subscriptions: [ended, started], vatRate: try percent("0"))
        try #require(invoice.lines.count == 2)
        // Old: 1st–9th = 9 days. 4 × 2.00 = 800 cents; 800 × 9 = 7200; 7200 / 30 = 240 → 2.40.
        #expect(invoice.lines[0].code == "call-sharing")
        #expect(invoice.lines[0].activeDays == 9)
        #expect(invoice.lines[0].periodDays == 30)
        #expect(invoice.lines[0].through == (try day("2026-11-09")))
        #expect(invoice.lines[0].amount == Money(cents: 240))
        // New: 10th–30th = 21 days. 4 × 7.00 = 2800 cents; 2800 × 21 = 58 800; 58 800 / 30 = 1960 → 19.60.
        #expect(invoice.lines[1].code == "mobile-unlimited")
        #expect(invoice.lines[1].activeDays == 21)
        #expect(invoice.lines[1].from == (try day("2026-11-10")))
        #expect(invoice.lines[1].amount == Money(cents: 1960))
        // 2.40 + 19.60 = 22.00.
        #expect(invoice.subtotal == Money(cents: 2200))

        // October only has the old plan, all 31 days: 4 × 2.00 = 8.00.
        let october = try Invoice.compute(
            period: november.previous, subscriptions: [ended, started], vatRate: try percent("0"))
        #expect(october.lines.map(\.amount) == [Money(cents: 800)])
    }

    @Test func planChangeMustBeAfterTheStart() throws {
        let subscription = Subscription(id: "s1", item: callSharing, quantity: 4, starts: try day("2026-11-10"))
        #expect(throws: PricingError.self) {
            try subscription.changePlan(to: mobileUnlimited, on: try day("2026-11-10"), newID: "s2")
        }
        let ending = Subscription(
            id: "s1", item: callSharing, quantity: 4, starts: try day("2026-11-01"), ends: try day("2026-11-20"))
        #expect(throws: PricingError.self) {
            try ending.changePlan(to: mobileUnlimited, on: try day("2026-11-21"), newID: "s2")
        }
        // A quantity change keeps the item; the new subscription inherits the end date.
        let (_, more) = try ending.changePlan(to: callSharing, quantity: 6, on: try day("2026-11-15"), newID: "s3")
        #expect(more.quantity == 6)
        #expect(more.ends == (try day("2026-11-20")))
    }

    @Test func februaryOfALeapYear() throws {
        let february = try period("2028-02")
        #expect(february.days == 29)
        let subscription = Subscription(
            id: "r1", item: recording60, number: "+3725550001", starts: try day("2028-02-15"))
        // 15th–29th = 29 − 15 + 1 = 15 days. 12.78 = 1278 cents; 1278 × 15 = 19 170;
        // 19 170 / 29 = 661.03… (29 × 661 = 19 169, remainder 1) → 661 → 6.61.
        #expect(subscription.activeDays(in: february) == 15)
        #expect(subscription.amount(in: february) == Money(cents: 661))
    }

    @Test func fullFebruaryOfACommonYearIsTheFullPrice() throws {
        let february = try period("2027-02")
        #expect(february.days == 28)
        let subscription = Subscription(
            id: "r1", item: recording60, number: "+3725550001", starts: try day("2027-01-20"))
        // 28 of 28 days: 1278 × 28 / 28 = 1278 → 12.78.
        #expect(subscription.activeDays(in: february) == 28)
        #expect(subscription.amount(in: february) == Money(cents: 1278))
        // January: 20th–31st = 12 days; 1278 × 12 = 15 336; 15 336 / 31 = 494.70… (31 × 494 = 15 314,
        // remainder 22, 22/31 > ½) → 495 → 4.95.
        #expect(subscription.amount(in: try period("2027-01")) == Money(cents: 495))
    }

    @Test func halfACentRoundsAwayFromZero() throws {
        let november = try period("2026-11")
        let subscription = Subscription(
            id: "r1", item: recording10, number: "+3725550001", starts: try day("2026-11-26"))
        // 26th–30th = 5 days. 6.39 = 639 cents; 639 × 5 = 3195; 3195 / 30 = 106.5 exactly → 107 → 1.07.
        // (Banker's rounding would give 106, truncation 106: only half away from zero gives 107.)
        #expect(subscription.activeDays(in: november) == 5)
        #expect(subscription.amount(in: november) == Money(cents: 107))
    }

    @Test func roundHalfUpHelper() {
        // 3195/30 = 106.5 → 107; 3194/30 = 106.47 → 106; 3196/30 = 106.53 → 107.
        #expect(roundHalfUp(numerator: 3195, denominator: 30) == 107)
        #expect(roundHalfUp(numerator: 3194, denominator: 30) == 106)
        #expect(roundHalfUp(numerator: 3196, denominator: 30) == 107)
        // 0.5 → 1, 1.5 → 2, 2.5 → 3 (half-even would give 2), 0.4 → 0, exact 18000/30 = 600.
        #expect(roundHalfUp(numerator: 5, denominator: 10) == 1)
        #expect(roundHalfUp(numerator: 15, denominator: 10) == 2)
        #expect(roundHalfUp(numerator: 25, denominator: 10) == 3)
        #expect(roundHalfUp(numerator: 4, denominator: 10) == 0)
        #expect(roundHalfUp(numerator: 18_000, denominator: 30) == 600)
        #expect(roundHalfUp(numerator: 0, denominator: 7) == 0)
        // Negative: mirror image. −2.5 → −3, −0.4 → 0, −106.5 → −107, −1.6 → −2.
        #expect(roundHalfUp(numerator: -25, denominator: 10) == -3)
        #expect(roundHalfUp(numerator: -4, denominator: 10) == 0)
        #expect(roundHalfUp(numerator: -3195, denominator: 30) == -107)
        #expect(roundHalfUp(numerator: -16, denominator: 10) == -2)
        // No overflow near the top: (Int.max − 1) / Int.max is just under 1 → 1.
        #expect(roundHalfUp(numerator: Int.max - 1, denominator: Int.max) == 1)
        #expect(roundHalfUp(numerator: Int.max / 2, denominator: Int.max) == 0)
    }

    @Test func subscriptionValidation() throws {
        let start = try day("2026-11-01")
        #expect(throws: PricingError.self) {
            try Subscription(id: "a", item: mobileUnlimited, quantity: 0, starts: start).validate()
        }
        #expect(throws: PricingError.self) {
            try Subscription(id: "b", item: ivr, quantity: 2, starts: start).validate()
        }
        #expect(throws: PricingError.self) {
            try Subscription(id: "c", item: recording10, starts: start).validate()
        }
        #expect(throws: PricingError.self) {
            try Subscription(id: "d", item: ivr, starts: start, ends: try day("2026-10-31")).validate()
        }
        // Ending on the start day is one active day, and fine.
        let oneDay = Subscription(id: "e", item: ivr, starts: start, ends: start)
        try oneDay.validate()
        // 1200 × 1 / 30 = 40 → 0.40.
        #expect(oneDay.amount(in: try period("2026-11")) == Money(cents: 40))
    }
}

@Suite struct InvoiceTests {
    private func novemberSubscriptions() throws -> [Subscription] {
        [
            Subscription(id: "s1", item: mobileUnlimited, quantity: 3, starts: try day("2026-11-17")),
            Subscription(id: "s2", item: ivr, starts: try day("2026-10-01")),
            Subscription(id: "s3", item: recording10, number: "+3725550001", starts: try day("2026-11-26")),
            Subscription(id: "s4", item: recording10, number: "+3725550002", starts: try day("2026-11-26")),
            // Ended before November: no line.
            Subscription(
                id: "s5", item: mobileUnlimitedPlus, quantity: 2, starts: try day("2026-06-01"),
                ends: try day("2026-10-31")),
        ]
    }

    @Test func linesSubtotalVATAndTotal() throws {
        let invoice = try Invoice.compute(
            period: try period("2026-11"), subscriptions: try novemberSubscriptions(), vatRate: try percent("24"))
        // s1: 3 × 7.00 × 14/30 = 29 400 / 30 = 980 → 9.80
        // s2: 12.00 whole month → 12.00
        // s3: 6.39 × 5/30 = 3195 / 30 = 106.5 → 107 → 1.07
        // s4: the same → 1.07
        // s5: not active in November → no line
        #expect(invoice.lines.map(\.subscriptionID) == ["s1", "s2", "s3", "s4"])
        #expect(invoice.lines.map(\.amount.cents) == [980, 1200, 107, 107])
        #expect(invoice.lines[2].description == "Call recording, 10 days (+3725550001)")
        #expect(invoice.lines[2].number == "+3725550001")
        #expect(invoice.lines[2].unitPrice == Money(cents: 639))
        // Subtotal = sum of ROUNDED lines: 9.80 + 12.00 + 1.07 + 1.07 = 23.94
        // (the exact sum 9.80 + 12.00 + 1.065 + 1.065 = 23.93 is deliberately not used).
        #expect(invoice.subtotal == Money(cents: 2394))
        // VAT 24 %: 2394 × 24 / 100 = 574.56 cents → 575 → 5.75. Total 23.94 + 5.75 = 29.69.
        #expect(invoice.vatRate.basisPoints == 2400)
        #expect(invoice.vat == Money(cents: 575))
        #expect(invoice.total == Money(cents: 2969))
    }

    @Test func fractionalVATRate() throws {
        let invoice = try Invoice.compute(
            period: try period("2026-11"), subscriptions: try novemberSubscriptions(), vatRate: try percent("22.5"))
        // 2394 × 22.5 / 100 = 2394 × 2250 / 10 000 = 538.65 cents → 539 → 5.39. Total 23.94 + 5.39 = 29.33.
        #expect(invoice.vat == Money(cents: 539))
        #expect(invoice.total == Money(cents: 2933))
        // A half cent of VAT: 0.20 × 22.5 % = 4.5 cents → 5; −0.20 → −5.
        #expect(try percent("22.5").of(Money(cents: 20)) == Money(cents: 5))
        #expect(try percent("22.5").of(Money(cents: -20)) == Money(cents: -5))
        // 37.61 × 24 % = 902.64 cents → 903 → 9.03.
        #expect(try percent("24").of(Money(cents: 3761)) == Money(cents: 903))
    }

    @Test func encodesMoneyAsStrings() throws {
        let invoice = try Invoice.compute(
            period: try period("2026-11"), subscriptions: try novemberSubscriptions(), vatRate: try percent("22.5"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(String(data: try encoder.encode(invoice), encoding: .utf8))
        #expect(json.contains(#""subtotal":"23.94""#))
        #expect(json.contains(#""vat":"5.39""#))
        #expect(json.contains(#""total":"29.33""#))
        #expect(json.contains(#""vatRate":"22.5""#))
        #expect(json.contains(#""period":"2026-11""#))
        #expect(json.contains(#""amount":"1.07""#))
        #expect(json.contains(#""from":"2026-11-17""#))
        let decoded = try JSONDecoder().decode(InvoiceDraft.self, from: Data(json.utf8))
        #expect(decoded == invoice)
    }

    @Test func rejectsCallsOutsideThePeriod() throws {
        let rates = try RateTable(["+1": try rate("0.0523")])
        let call = BillableCall(
            callID: "c1", destination: "+12025550100", billableSeconds: 60, classification: .business,
            day: try day("2026-12-01"))
        let expected = PricingError.callOutsidePeriod(
            callID: "c1", day: try day("2026-12-01"), period: try period("2026-11"))
        #expect(throws: expected) {
            try Invoice.compute(
                period: try period("2026-11"), subscriptions: [], calls: [call], rates: rates,
                vatRate: try percent("24"))
        }
    }
}

@Suite struct UsageTests {
    private func rates() throws -> RateTable {
        try RateTable(["+1": try rate("0.0523"), "+44": try rate("0.0890"), "+4420": try rate("0.0600")])
    }

    private func call(
        _ id: String, _ destination: String, _ seconds: Int, _ classification: Classification, _ date: String
    )
        throws -> BillableCall
    {
        BillableCall(
            callID: id, destination: destination, billableSeconds: seconds, classification: classification,
            day: try day(date))
    }

    @Test func minutesAreStartedMinutes() throws {
        // 0 s → 0, 1 s → 1, 59 → 1, 60 → 1, 61 → 2, 601 → 11, 1200 → 20.
        let seconds = [0, 1, 59, 60, 61, 601, 1200]
        let minutes = try seconds.map { try call("c", "+1", $0, .business, "2026-11-01").minutes }
        #expect(minutes == [0, 1, 1, 1, 2, 11, 20])
    }

    @Test func bundleRunsOutMidMonth() throws {
        let november = try period("2026-11")
        let bundle = Subscription(id: "b1", item: intl50, starts: try day("2026-10-01"))
        let calls = [
            try call("c1", "+12025550100", 1200, .business, "2026-11-02"),
            try call("c2", "+447700900123", 1500, .private, "2026-11-03"),
            try call("c3", "+12025550101", 601, .business, "2026-11-05"),
            try call("c4", "+447700900124", 59, .private, "2026-11-06"),
            try call("c5", "+12025550102", 0, .business, "2026-11-07"),
            try call("c6", "+12025550103", 31, .business, "2026-11-08"),
            try call("c7", "+12025550104", 60, .business, "2026-11-09"),
        ]
        let invoice = try Invoice.compute(
            period: november, subscriptions: [bundle], calls: calls, rates: try rates(), vatRate: try percent("24"))
        let rated = invoice.usage.calls
        // Bundle 50 minutes (whole month).
        // c1 1200 s = 20 min: 20 from bundle (30 left), 0 charged, charge 0.0000 (rate +1 0.0523)
        // c2 1500 s = 25 min: 25 from bundle (5 left),  0 charged, charge 0.0000 (rate +44 0.0890)
        // c3  601 s = 11 min:  5 from bundle (0 left),  6 charged, 6 × 0.0523 = 0.3138
        // c4   59 s =  1 min:  0 from bundle,           1 charged, 1 × 0.0890 = 0.0890
        // c5    0 s =  0 min:  0,                       0 charged, 0.0000
        // c6   31 s =  1 min:  0,                       1 charged, 1 × 0.0523 = 0.0523
        // c7   60 s =  1 min:  0,                       1 charged, 1 × 0.0523 = 0.0523
        #expect(rated.map(\.minutes) == [20, 25, 11, 1, 0, 1, 1])
        #expect(rated.map(\.minutesFromBundle) == [20, 25, 5, 0, 0, 0, 0])
        #expect(rated.map(\.chargedMinutes) == [0, 0, 6, 1, 0, 1, 1])
        #expect(rated.map(\.rate.tenThousandths) == [523, 890, 523, 890, 523, 523, 523])
        #expect(rated.map(\.charge.tenThousandths) == [0, 0, 3138, 890, 0, 523, 523])
        #expect(invoice.usage.bundleMinutes == 50)
        #expect(invoice.usage.bundleMinutesUsed == 50)
        #expect(invoice.usage.bundleMinutesLeft == 0)

        try #require(invoice.lines.count == 3)
        // Bundle line: 4.90 whole month.
        #expect(invoice.lines[0].amount == Money(cents: 490))
        // Business: 0.3138 + 0.0523 + 0.0523 = 0.4184 EUR = 41.84 cents → 42 → 0.42.
        // (Rounding each call first would give 0.31 + 0.05 + 0.05 = 0.41.)
        // Charged minutes 6 + 1 + 1 = 8; from bundle 20 + 5 = 25.
        let business = invoice.lines[1]
        #expect(business.kind == .usage)
        #expect(business.description == "International calls, business")
        #expect(business.code == "intl-minutes-business")
        #expect(business.exactCharge == Charge(tenThousandths: 4184))
        #expect(business.amount == Money(cents: 42))
        #expect(business.quantity == 8)
        #expect(business.minutesFromBundle == 25)
        // Private: 0.0890 EUR = 8.90 cents → 9 → 0.09. Charged 1 minute; 25 from bundle.
        let personal = invoice.lines[2]
        #expect(personal.description == "International calls, private")
        #expect(personal.exactCharge == Charge(tenThousandths: 890))
        #expect(personal.amount == Money(cents: 9))
        #expect(personal.quantity == 1)
        #expect(personal.minutesFromBundle == 25)
        // Subtotal 4.90 + 0.42 + 0.09 = 5.41; VAT 541 × 24 / 100 = 129.84 → 130 → 1.30; total 6.71.
        #expect(invoice.subtotal == Money(cents: 541))
        #expect(invoice.vat == Money(cents: 130))
        #expect(invoice.total == Money(cents: 671))
    }

    @Test func ratingIsDeterministic() throws {
        let calls = [
            try call("c1", "+12025550100", 1200, .business, "2026-11-02"),
            try call("c2", "+442079460000", 61, .private, "2026-11-03"),
        ]
        let first = try Usage.rate(calls: calls, bundleMinutes: 10, rates: try rates())
        let second = try Usage.rate(calls: calls, bundleMinutes: 10, rates: try rates())
        #expect(first == second)
        // c1: 20 min, 10 from bundle, 10 × 0.0523 = 0.5230. c2: 2 min at +4420 0.0600 = 0.1200.
        #expect(first.calls.map(\.charge.tenThousandths) == [5230, 1200])
        #expect(first.charge(for: .business) == Charge(tenThousandths: 5230))
        #expect(first.charge(for: .private) == Charge(tenThousandths: 1200))
    }

    @Test func classificationSplit() throws {
        let calls = [
            try call("b1", "+12025550100", 125, .business, "2026-11-02"),
            try call("p1", "+442079460000", 61, .private, "2026-11-03"),
            try call("b2", "+447700900123", 3600, .business, "2026-11-04"),
        ]
        let invoice = try Invoice.compute(
            period: try period("2026-11"), subscriptions: [], calls: calls, rates: try rates(),
            vatRate: try percent("24"))
        // No bundle.
        // b1: 125 s = 3 min × 0.0523 (+1) = 0.1569
        // p1: 61 s = 2 min × 0.0600 (+4420, longer than +44) = 0.1200
        // b2: 3600 s = 60 min × 0.0890 (+44) = 5.3400
        // Business: 0.1569 + 5.3400 = 5.4969 EUR = 549.69 cents → 550 → 5.50, 63 minutes.
        // Private: 0.1200 EUR = 12 cents → 0.12, 2 minutes.
        #expect(invoice.lines.map(\.description) == ["International calls, business", "International calls, private"])
        #expect(invoice.lines.map(\.amount.cents) == [550, 12])
        #expect(invoice.lines.map(\.quantity) == [63, 2])
        #expect(invoice.lines.map(\.minutesFromBundle) == [0, 0])
        // Subtotal 5.62; VAT 562 × 24 / 100 = 134.88 → 135 → 1.35; total 6.97.
        #expect(invoice.subtotal == Money(cents: 562))
        #expect(invoice.vat == Money(cents: 135))
        #expect(invoice.total == Money(cents: 697))

        // Only private calls: only the private line.
        let onlyPrivate = try Invoice.compute(
            period: try period("2026-11"), subscriptions: [], calls: [calls[1]], rates: try rates(),
            vatRate: try percent("24"))
        #expect(onlyPrivate.lines.map(\.code) == ["intl-minutes-private"])
    }

    @Test func bundleMinutesAreProRatedAndRoundedDown() throws {
        let november = try period("2026-11")
        let subscriptions = [
            // 12th–30th = 19 days: 50 × 19 / 30 = 950 / 30 = 31.67 → DOWN to 31.
            // Its price: 490 × 19 = 9310; 9310 / 30 = 310.33 → 310 → 3.10.
            Subscription(id: "b1", item: intl50, starts: try day("2026-11-12")),
            // Whole month: 200.
            Subscription(id: "b2", item: intl200, starts: try day("2026-10-01")),
            // No included minutes: 0.
            Subscription(id: "p1", item: mobileUnlimited, quantity: 3, starts: try day("2026-10-01")),
        ]
        #expect(subscriptions[0].includedMinutes(in: november) == 31)
        #expect(subscriptions[0].amount(in: november) == Money(cents: 310))
        #expect(subscriptions[1].includedMinutes(in: november) == 200)
        #expect(subscriptions[2].includedMinutes(in: november) == 0)
        // 31 + 200 + 0 = 231.
        #expect(Usage.bundleMinutes(period: november, subscriptions: subscriptions) == 231)
        // Not active in October: the bundle starting in November gives nothing; b2 all 200.
        #expect(Usage.bundleMinutes(period: november.previous, subscriptions: subscriptions) == 200)
    }

    @Test func longestPrefixMatch() throws {
        let table = try RateTable([
            "+1": try rate("0.0523"), "+44": try rate("0.0890"), "+4420": try rate("0.0600"),
            "+372": try rate("0.0100"),
        ])
        #expect(table.match("+442079460000")?.prefix == "+4420")
        #expect(table.match("+442079460000")?.rate == Rate(tenThousandths: 600))
        #expect(table.match("+447700900123")?.prefix == "+44")
        #expect(table.match("+447700900123")?.rate == Rate(tenThousandths: 890))
        #expect(table.match("+12025550100")?.prefix == "+1")
        #expect(table.match("+3725550001")?.prefix == "+372")
        #expect(table.match("+4930123456") == nil)
        #expect(table.match("+4") == nil)
        #expect(table.match("") == nil)
        #expect(table.match("442079460000") == nil)
    }

    @Test func noMatchingPrefixIsAnError() throws {
        let calls = [try call("x1", "+4930123456", 30, .business, "2026-11-02")]
        // Even with bundle minutes to spare, an unpriced destination is reported, not hidden.
        #expect(throws: PricingError.noRate(callID: "x1", destination: "+4930123456")) {
            try Usage.rate(calls: calls, bundleMinutes: 50, rates: try rates())
        }
        let negative = [try call("x2", "+12025550100", -1, .business, "2026-11-02")]
        #expect(throws: PricingError.self) {
            try Usage.rate(calls: negative, bundleMinutes: 0, rates: try rates())
        }
    }

    @Test func rateTableValidationAndJSON() throws {
        for bad in ["44", "+", "+44a", "", "+1234567890123456"] {
            #expect(throws: PricingError.self, "prefix \(bad)") { try RateTable([bad: Rate(tenThousandths: 1)]) }
        }
        let decoded = try JSONDecoder().decode(RateTable.self, from: Data(#"{"+1":"0.0523","+44":"0.089"}"#.utf8))
        #expect(decoded.rates == ["+1": Rate(tenThousandths: 523), "+44": Rate(tenThousandths: 890)])
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(RateTable.self, from: Data(#"{"+1":0.0523}"#.utf8))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(decoded), as: UTF8.self)
        #expect(json == #"{"+1":"0.0523","+44":"0.0890"}"#)
    }
}

@Suite struct MoneyTests {
    @Test func parsesAmounts() {
        #expect(Money("12.78")?.cents == 1278)
        #expect(Money("12.7")?.cents == 1270)
        #expect(Money("12")?.cents == 1200)
        #expect(Money("0.05")?.cents == 5)
        #expect(Money("-0.05")?.cents == -5)
        #expect(Money("0")?.cents == 0)
        #expect(Money("1000000.00")?.cents == 100_000_000)
    }

    @Test func rejectsJunk() {
        for bad in [
            "12.789", "", "-", ".", "12.", ".5", "abc", "1.2.3", "+1", "1e3", " 12", "12 ", "12,78", "--1", "1-",
            "١٢", "99999999999999999999", "0x10", "NaN",
        ] {
            #expect(Money(bad) == nil, "\"\(bad)\"")
        }
    }

    @Test func formatsWithTwoDecimals() {
        #expect(Money(cents: 1278).description == "12.78")
        #expect(Money(cents: -5).description == "-0.05")
        #expect(Money(cents: 0).description == "0.00")
        #expect(Money(cents: 1270).description == "12.70")
        #expect(Money(cents: -123_456).description == "-1234.56")
        #expect(Money(cents: Int.min).description == "-92233720368547758.08")
    }

    @Test func arithmeticAndOrder() {
        // 7.00 × 3 = 21.00; 21.00 + 0.05 = 21.05; 21.05 − 22.00 = −0.95.
        let price = Money(cents: 700) * 3
        #expect(price == Money(cents: 2100))
        #expect(3 * Money(cents: 700) == price)
        #expect(price + Money(cents: 5) == Money(cents: 2105))
        #expect(price + Money(cents: 5) - Money(cents: 2200) == Money(cents: -95))
        #expect(-Money(cents: 5) == Money(cents: -5))
        #expect(Money(cents: -5) < .zero)
        #expect(
            [Money(cents: 300), Money(cents: -1), Money(cents: 20)].sorted() == [
                Money(cents: -1), Money(cents: 20), Money(cents: 300),
            ])
        // Pro-rating rounds once: 21.00 × 14/30 = 9.80; 6.39 × 5/30 = 1.065 → 1.07.
        #expect(price.proRated(activeDays: 14, of: 30) == Money(cents: 980))
        #expect(Money(cents: 639).proRated(activeDays: 5, of: 30) == Money(cents: 107))
    }

    @Test func codableAsString() throws {
        struct Wrapper: Codable, Equatable { var amount: Money }
        let json = String(decoding: try JSONEncoder().encode(Wrapper(amount: Money(cents: -5))), as: UTF8.self)
        #expect(json == #"{"amount":"-0.05"}"#)
        let decoded = try JSONDecoder().decode(Wrapper.self, from: Data(#"{"amount":"12.7"}"#.utf8))
        #expect(decoded.amount == Money(cents: 1270))
        // A JSON number is refused: amounts never travel as floats.
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(Wrapper.self, from: Data(#"{"amount":12.78}"#.utf8))
        }
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(Wrapper.self, from: Data(#"{"amount":"12.789"}"#.utf8))
        }
    }

    @Test func ratesParseAndEncodeWithFourDecimals() throws {
        #expect(Rate("0.0523")?.tenThousandths == 523)
        #expect(Rate("0.05")?.tenThousandths == 500)
        #expect(Rate("1")?.tenThousandths == 10_000)
        #expect(Rate("0.0890")?.tenThousandths == 890)
        #expect(Rate("0.05231") == nil)
        #expect(Rate("-0.05") == nil)
        #expect(Rate("0,05") == nil)
        #expect(Rate(tenThousandths: 523).description == "0.0523")
        #expect(Rate(tenThousandths: 500).description == "0.0500")
        let json = String(decoding: try JSONEncoder().encode([Rate(tenThousandths: 890)]), as: UTF8.self)
        #expect(json == #"["0.0890"]"#)
        // 6 minutes × 0.0523 = 0.3138.
        #expect((Rate(tenThousandths: 523) * 6).tenThousandths == 3138)
    }

    @Test func chargesRoundOnceToCents() throws {
        // 0.4184 → 41.84 cents → 42; 0.0050 → 0.5 cent → 1; −0.0050 → −1; 0.0049 → 0.
        #expect(Charge(tenThousandths: 4184).roundedToCents == Money(cents: 42))
        #expect(Charge(tenThousandths: 50).roundedToCents == Money(cents: 1))
        #expect(Charge(tenThousandths: -50).roundedToCents == Money(cents: -1))
        #expect(Charge(tenThousandths: 49).roundedToCents == Money(cents: 0))
        #expect(Charge(tenThousandths: 3138).description == "0.3138")
        #expect(Charge("0.3138") == Charge(tenThousandths: 3138))
    }

    @Test func percentages() throws {
        #expect(Percent("24")?.basisPoints == 2400)
        #expect(Percent("22.5")?.basisPoints == 2250)
        #expect(Percent("9.55")?.basisPoints == 955)
        #expect(Percent("22.555") == nil)
        #expect(Percent("-1") == nil)
        #expect(Percent(basisPoints: 2400).description == "24")
        #expect(Percent(basisPoints: 2250).description == "22.5")
        #expect(Percent(basisPoints: 5).description == "0.05")
        let json = String(decoding: try JSONEncoder().encode([Percent(basisPoints: 2250)]), as: UTF8.self)
        #expect(json == #"["22.5"]"#)
    }
}

@Suite struct CalendarTests {
    @Test func daysInEveryMonth() {
        // 2026 (common year): Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30, Jul 31, Aug 31, Sep 30,
        // Oct 31, Nov 30, Dec 31.
        #expect(
            (1...12).map { Gregorian.daysInMonth(year: 2026, month: $0) } == [
                31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
            ])
        // 2028 (leap year): only February differs.
        #expect(
            (1...12).map { Gregorian.daysInMonth(year: 2028, month: $0) } == [
                31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
            ])
        #expect(
            (1...12).compactMap { BillingPeriod(year: 2026, month: $0)?.days } == [
                31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
            ])
    }

    @Test func leapYearRules() {
        // 1900: century not divisible by 400 → common. 2000: divisible by 400 → leap.
        // 2024: divisible by 4, not a century → leap. 2100: century → common. 2026 → common.
        #expect(!Gregorian.isLeapYear(1900))
        #expect(Gregorian.isLeapYear(2000))
        #expect(Gregorian.isLeapYear(2024))
        #expect(!Gregorian.isLeapYear(2100))
        #expect(!Gregorian.isLeapYear(2026))
        #expect([1900, 2000, 2024, 2100].map { Gregorian.daysInMonth(year: $0, month: 2) } == [28, 29, 29, 28])
        #expect(Day("1900-02-29") == nil)
        #expect(Day("2000-02-29") != nil)
        #expect(Day("2100-02-29") == nil)
    }

    @Test func dayParsingValidates() throws {
        #expect(Day("2026-02-30") == nil)
        #expect(Day("2027-02-29") == nil)
        let leapDay = try #require(Day("2028-02-29"))
        #expect((leapDay.year, leapDay.month, leapDay.day) == (2028, 2, 29))
        for bad in [
            "2026-2-05", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32", "2026-04-31", "26-01-01", "2026/01/01",
            "2026-01-01T00:00", "+026-01-01", "2026-01", "", "0000-01-01", "2026-01-0١",
        ] {
            #expect(Day(bad) == nil, "\"\(bad)\"")
        }
        #expect(Day(year: 2026, month: 11, day: 31) == nil)
        #expect(try day("2026-11-17").description == "2026-11-17")
        #expect(try day("0001-01-01").description == "0001-01-01")
    }

    @Test func ordinalsCountDaysExactly() throws {
        // 1970-01-01 is day 0; 2000-01-01: 30 years × 365 + 7 leap days (1972…1996) = 10 957.
        // 2024-01-01: 10 957 + 24 × 365 + 6 leap days (2000…2020) = 19 723.
        #expect(try day("1970-01-01").ordinal == 0)
        #expect(try day("1969-12-31").ordinal == -1)
        #expect(try day("2000-01-01").ordinal == 10_957)
        #expect(try day("2024-01-01").ordinal == 19_723)
        #expect(try day("2026-11-17").ordinal - day("2026-11-01").ordinal == 16)
        #expect(try day("2028-03-01").ordinal - day("2028-02-01").ordinal == 29)
        #expect(try day("2027-03-01").ordinal - day("2027-02-01").ordinal == 28)
        #expect(try day("2027-01-01").ordinal - day("2026-01-01").ordinal == 365)
        #expect(try day("2029-01-01").ordinal - day("2028-01-01").ordinal == 366)
        #expect(Day(ordinal: 10_957) == (try day("2000-01-01")))
        #expect(try day("2026-12-31").next == day("2027-01-01"))
        #expect(try day("2028-03-01").previous == day("2028-02-29"))
        #expect(try day("2027-03-01").previous == day("2027-02-28"))
    }

    @Test func ordinalsRoundTripOverTheWholeRange() throws {
        // 0001-01-01 … 9999-12-31, sampled; every day from 2024 to 2030 one by one.
        var ordinal = try day("0001-01-01").ordinal
        let last = try day("9999-12-31").ordinal
        while ordinal <= last {
            let date = Day(ordinal: ordinal)
            #expect(date.ordinal == ordinal)
            #expect(Day(date.description) == date)
            ordinal += 997
        }
        var current = try day("2024-01-01")
        let end = try day("2030-12-31")
        var count = 0
        while current < end {
            let next = current.next
            #expect(next.ordinal == current.ordinal + 1)
            #expect(current < next)
            #expect(next.day == 1 || next.day == current.day + 1)
            current = next
            count += 1
        }
        // 7 years, two of them leap (2024, 2028): 7 × 365 + 2 − 1 = 2556 steps.
        #expect(count == 2556)
    }

    @Test func dayOrderAndJSON() throws {
        #expect(try day("2026-11-09") < day("2026-11-10"))
        #expect(try day("2026-12-31") < day("2027-01-01"))
        #expect(try day("2026-02-28") < day("2026-10-01"))
        struct Wrapper: Codable, Equatable { var day: Day }
        let json = String(decoding: try JSONEncoder().encode(Wrapper(day: try day("2026-11-17"))), as: UTF8.self)
        #expect(json == #"{"day":"2026-11-17"}"#)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(Wrapper.self, from: Data(#"{"day":"2026-02-30"}"#.utf8))
        }
    }

    @Test func billingPeriods() throws {
        let february = try period("2026-02")
        #expect((february.year, february.month) == (2026, 2))
        #expect(february.description == "2026-02")
        #expect(february.days == 28)
        #expect(february.firstDay == (try day("2026-02-01")))
        #expect(february.lastDay == (try day("2026-02-28")))
        #expect(february.contains(try day("2026-02-28")))
        #expect(!february.contains(try day("2026-03-01")))
        #expect(!february.contains(try day("2025-02-10")))
        #expect(try period("2026-12").next == period("2027-01"))
        #expect(try period("2027-01").previous == period("2026-12"))
        #expect(try period("2026-05").next == period("2026-06"))
        #expect(try day("2028-02-29").period == period("2028-02"))
        #expect(try period("2028-02").lastDay == day("2028-02-29"))
        for bad in ["2026-13", "2026-2", "2026-00", "202602", "2026-02-01", "", "26-02"] {
            #expect(BillingPeriod(bad) == nil, "\"\(bad)\"")
        }
        // Active days of inclusive ranges: 2026-02-10 … 2026-03-05 in February = 10th–28th = 19.
        #expect(february.activeDays(from: try day("2026-02-10"), through: try day("2026-03-05")) == 19)
        #expect(february.activeDays(from: try day("2026-03-01"), through: nil) == 0)
        #expect(february.activeDays(from: try day("2025-01-01"), through: nil) == 28)
        let json = String(decoding: try JSONEncoder().encode([february]), as: UTF8.self)
        #expect(json == #"["2026-02"]"#)
    }
}
