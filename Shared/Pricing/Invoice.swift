import Events
/// One line of an invoice.
package struct InvoiceLine: Codable, Hashable, Sendable {
    package enum Kind: String, Codable, Hashable, Sendable {
        /// A pro-rated subscription.
        case subscription
        /// Usage of one classification (international minutes beyond the bundle).
        case usage
    }

    package var kind: Kind
    /// "Unlimited business mobile", "Call recording, 60 days (+3725550001)", "International calls, private".
    package var description: String
    /// The catalogue code, or "intl-minutes-business" / "intl-minutes-private" for usage.
    package var code: String
    /// Users (or 1) for subscriptions; charged minutes for usage.
    package var quantity: Int
    /// Monthly price per unit; nil for usage (each call has its own rate).
    package var unitPrice: Money?
    /// Days the subscription was active in the period; nil for usage.
    package var activeDays: Int?
    /// Days in the period; nil for usage.
    package var periodDays: Int?
    /// First and last active day in the period; nil for usage.
    package var from: Day?
    package var through: Day?
    package var subscriptionID: String?
    /// The number a per-number item covers.
    package var number: String?
    /// Usage only: minutes the bundle covered.
    package var minutesFromBundle: Int?
    /// Usage only: the exact sum of the calls' charges, before rounding.
    package var exactCharge: Charge?
    /// The line's amount, rounded once to cents, half away from zero.
    package var amount: Money
}

/// An invoice as computed, before it is numbered and stored.
package struct InvoiceDraft: Codable, Hashable, Sendable {
    package var period: BillingPeriod
    /// Subscription lines in the order the subscriptions were given, then usage lines (business,
    /// then private).
    package var lines: [InvoiceLine]
    /// The sum of the (already rounded) line amounts.
    package var subtotal: Money
    package var vatRate: Percent
    /// subtotal × vatRate, rounded once half away from zero.
    package var vat: Money
    /// subtotal + vat.
    package var total: Money
    /// The rated calls behind the usage lines (the call detail record of the invoice).
    package var usage: UsageRating
}

/// Invoice arithmetic.
package enum Invoice {
    /// Computes the invoice of one tenant for `period`.
    ///
    /// Every subscription active on at least one day of the month gives a pro-rated line
    /// (`Subscription.amount(in:)`); subscriptions outside the month are skipped. `calls` are rated
    /// against the month's bundle minutes (`Usage.bundleMinutes(period:subscriptions:)`) and give
    /// one usage line per classification that has calls. Then, following the rounding rule (see
    /// `roundHalfUp(numerator:denominator:)`): subtotal = sum of the rounded lines, VAT = subtotal ×
    /// `vatRate` rounded once, total = subtotal + VAT. Pure and deterministic.
    ///
    /// - Parameters:
    ///   - period: the month invoiced.
    ///   - subscriptions: the tenant's subscriptions (others than this month's are ignored).
    ///   - calls: the month's international calls in time order.
    ///   - rates: the per-minute rates for `calls`.
    ///   - vatRate: the VAT percentage, e.g. `Percent("24")`.
    /// - Throws: `PricingError` for an invalid subscription, a call outside `period`, a call with
    ///   negative duration, or a destination without a rate.
    package static func compute(
        period: BillingPeriod, subscriptions: [Subscription], calls: [BillableCall] = [],
        rates: RateTable = RateTable(), vatRate: Percent
    ) throws -> InvoiceDraft {
        var lines: [InvoiceLine] = []
        for subscription in subscriptions {
            try subscription.validate()
            guard let range = subscription.activeRange(in: period) else { continue }
            let item = subscription.item
            lines.append(
                InvoiceLine(
                    kind: .subscription,
                    description: subscription.number.map { "\(item.name) (\($0))" } ?? item.name,
                    code: item.code, quantity: subscription.quantity, unitPrice: item.monthlyPrice,
                    activeDays: subscription.activeDays(in: period), periodDays: period.days,
                    from: range.lowerBound, through: range.upperBound, subscriptionID: subscription.id,
                    number: subscription.number, minutesFromBundle: nil, exactCharge: nil,
                    amount: subscription.amount(in: period)))
        }

        for call in calls where !period.contains(call.day) {
            throw PricingError.callOutsidePeriod(callID: call.callID, day: call.day, period: period)
        }
        let usage = try Usage.rate(
            calls: calls, bundleMinutes: Usage.bundleMinutes(period: period, subscriptions: subscriptions),
            rates: rates)
        for classification in Classification.allCases {
            let rated = usage.calls.filter { $0.call.classification == classification }
            guard !rated.isEmpty else { continue }
            // Summed exactly first, rounded once: rounding each call would add up its errors.
            let exact = rated.reduce(Charge.zero) { $0 + $1.charge }
            lines.append(
                InvoiceLine(
                    kind: .usage, description: "International calls, \(classification.rawValue)",
                    code: "intl-minutes-\(classification.rawValue)",
                    quantity: rated.reduce(0) { $0 + $1.chargedMinutes }, unitPrice: nil, activeDays: nil,
                    periodDays: nil, from: nil, through: nil, subscriptionID: nil, number: nil,
                    minutesFromBundle: rated.reduce(0) { $0 + $1.minutesFromBundle }, exactCharge: exact,
                    amount: exact.roundedToCents))
        }

        let subtotal = lines.reduce(Money.zero) { $0 + $1.amount }
        let vat = vatRate.of(subtotal)
        return InvoiceDraft(
            period: period, lines: lines, subtotal: subtotal, vatRate: vatRate, vat: vat, total: subtotal + vat,
            usage: usage)
    }
}
