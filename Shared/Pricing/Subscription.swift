/// A tenant's subscription to one catalogue item over a range of days.
///
/// **Pro-rating**: in a billing period the subscription is charged for the days it is active in
/// that month, `starts` and `ends` both inclusive:
/// amount = monthlyPrice × quantity × activeDays / daysInMonth, computed exactly and rounded once
/// to cents half away from zero (see `roundHalfUp(numerator:denominator:)`).
///
/// **Changes** (another plan, another number of users) never edit a subscription in place: the old
/// one ends the day before the change and a new one starts on the day of the change, so each
/// invoice line has one price and one quantity. `changePlan(to:quantity:on:newID:)` does this.
package struct Subscription: Codable, Hashable, Sendable {
    /// Stable identifier (the billing database's key).
    package var id: String
    /// The item as sold (a copy, so catalogue price changes do not alter it).
    package var item: CatalogueItem
    /// Users for per-user items; 1 for everything else.
    package var quantity: Int
    /// The E.164 number a per-number item (recording) covers; nil for other units.
    package var number: String?
    /// First active day, inclusive.
    package var starts: Day
    /// Last active day, inclusive; nil while the subscription runs on.
    package var ends: Day?

    package init(
        id: String, item: CatalogueItem, quantity: Int = 1, number: String? = nil, starts: Day, ends: Day? = nil
    ) {
        self.id = id
        self.item = item
        self.quantity = quantity
        self.number = number
        self.starts = starts
        self.ends = ends
    }

    /// Throws `PricingError.invalidSubscription` when the quantity is below 1 (or above 1 for an
    /// item not sold per user), a per-number item names no number, `ends` is before `starts`, or
    /// the item itself is invalid.
    package func validate() throws {
        func fail(_ reason: String) -> PricingError { .invalidSubscription(id: id, reason: reason) }
        do {
            try item.validate()
        } catch let error as PricingError {
            throw fail("\(error)")
        }
        if quantity < 1 { throw fail("quantity \(quantity) is below 1") }
        if item.unit != .user && quantity != 1 { throw fail("quantity \(quantity) for a per-\(item.unit) item") }
        if item.unit == .number && (number ?? "").isEmpty { throw fail("a per-number item needs a number") }
        if let ends, ends < starts { throw fail("ends \(ends) before it starts \(starts)") }
    }

    /// Days active in `period` (0 when it does not overlap the month).
    package func activeDays(in period: BillingPeriod) -> Int {
        period.activeDays(from: starts, through: ends)
    }

    /// The first and last active day within `period`, or nil when not active in it.
    package func activeRange(in period: BillingPeriod) -> ClosedRange<Day>? {
        period.activeRange(from: starts, through: ends)
    }

    /// The pro-rated charge for `period`: monthlyPrice × quantity × activeDays / daysInMonth,
    /// rounded once to cents half away from zero. A whole month is exactly monthlyPrice × quantity.
    package func amount(in period: BillingPeriod) -> Money {
        (item.monthlyPrice * quantity).proRated(activeDays: activeDays(in: period), of: period.days)
    }

    /// Included minutes for `period`: includedMinutes × quantity × activeDays / daysInMonth, rounded
    /// DOWN to whole minutes. Down, not half-up, because a started minute is billed whole: the
    /// tenant must never get more than the share of the bundle they paid for.
    package func includedMinutes(in period: BillingPeriod) -> Int {
        guard let minutes = item.includedMinutes, minutes > 0 else { return 0 }
        // Non-negative operands, so / is floor.
        return minutes * quantity * activeDays(in: period) / period.days
    }

    /// Changes the plan (or the quantity, or both) from `day` on: returns this subscription ending on
    /// the day before `day`, and a new one with `newID` starting on `day` and ending when this one
    /// ended (nil stays nil).
    ///
    /// - Throws: `PricingError.invalidSubscription` when `day` is not after `starts` (a change on the
    ///   first day is a correction: replace the subscription instead) or is after `ends`, or when the
    ///   new subscription would be invalid.
    package func changePlan(
        to newItem: CatalogueItem, quantity newQuantity: Int? = nil, on day: Day, newID: String
    ) throws -> (ended: Subscription, started: Subscription) {
        guard day > starts else {
            throw PricingError.invalidSubscription(
                id: id, reason: "change on \(day) is not after the start \(starts); replace the subscription")
        }
        if let ends, day > ends {
            throw PricingError.invalidSubscription(id: id, reason: "change on \(day) is after the end \(ends)")
        }
        var ended = self
        ended.ends = day.previous
        let started = Subscription(
            id: newID, item: newItem, quantity: newQuantity ?? quantity, number: number, starts: day, ends: ends)
        try started.validate()
        return (ended, started)
    }
}
