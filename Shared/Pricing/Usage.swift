import Events
/// Whether a call was made for the company or privately; each is a separate invoice line, so the
/// company can charge private use on to the employee.
/// A call to be rated, as the billing service reads it from a CDR. Only calls that are billed as
/// usage (international calls) are passed in.
package struct BillableCall: Codable, Hashable, Sendable {
    package var callID: String
    /// The called number, E.164 ("+442079460000").
    package var destination: String
    /// Seconds from answer to hangup; 0 for unanswered calls.
    package var billableSeconds: Int
    package var classification: Classification
    /// The calendar day the call belongs to (in the tenant's time zone, decided by the caller).
    package var day: Day

    package init(callID: String, destination: String, billableSeconds: Int, classification: Classification, day: Day) {
        self.callID = callID
        self.destination = destination
        self.billableSeconds = billableSeconds
        self.classification = classification
        self.day = day
    }

    /// Billed minutes: every started minute counts (61 s → 2, 60 s → 1, 0 s → 0).
    package var minutes: Int { (billableSeconds + 59) / 60 }
}

/// Per-minute rates by destination prefix ("+1", "+44", "+4420"). A destination takes the rate of
/// its longest matching prefix, so a table can price a country and, more precisely, a region or
/// mobile range inside it.
///
/// Encodes to JSON as an object of prefix → rate string: `{"+1": "0.0523"}`.
package struct RateTable: Codable, Hashable, Sendable {
    /// Rates by prefix.
    package let rates: [String: Rate]
    /// The longest prefix's length, where lookups start.
    private let longestPrefix: Int

    /// An empty table (every lookup fails).
    package init() {
        self.rates = [:]
        self.longestPrefix = 0
    }

    /// Throws `PricingError.invalidRateTable` for a prefix that is not "+" followed by 1 to 15
    /// digits (the E.164 maximum).
    package init(_ rates: [String: Rate]) throws {
        for prefix in rates.keys {
            let digits = prefix.utf8.dropFirst()
            guard prefix.utf8.first == UInt8(ascii: "+"), (1...15).contains(digits.count),
                digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else {
                throw PricingError.invalidRateTable(prefix: prefix, reason: "not + followed by 1 to 15 digits")
            }
        }
        self.rates = rates
        self.longestPrefix = rates.keys.map(\.utf8.count).max() ?? 0
    }

    package init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode([String: Rate].self))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rates)
    }

    /// The longest prefix of `destination` that has a rate, and that rate; nil when none matches.
    package func match(_ destination: String) -> (prefix: String, rate: Rate)? {
        // Try the longest candidate first: the first hit is the longest match, whatever the
        // dictionary's order, so the result is deterministic.
        let bytes = Array(destination.utf8)
        var length = min(longestPrefix, bytes.count)
        while length > 0 {
            if let prefix = String(validating: bytes[0..<length], as: UTF8.self), let rate = rates[prefix] {
                return (prefix, rate)
            }
            length -= 1
        }
        return nil
    }
}

/// One call after rating.
package struct RatedCall: Codable, Hashable, Sendable {
    package var call: BillableCall
    /// Billed minutes (started minutes) = minutesFromBundle + chargedMinutes.
    package var minutes: Int
    /// Minutes taken from the month's bundle.
    package var minutesFromBundle: Int
    /// Minutes paid at `rate`.
    package var chargedMinutes: Int
    /// The rate-table prefix that priced the call.
    package var prefix: String
    package var rate: Rate
    /// chargedMinutes × rate, exact (1/10000 EUR), not rounded.
    package var charge: Charge
}

/// The outcome of rating a month's calls.
package struct UsageRating: Codable, Hashable, Sendable {
    /// Included minutes available for the month (pro-rated, rounded down).
    package var bundleMinutes: Int
    /// Of which used by these calls.
    package var bundleMinutesUsed: Int
    /// In the order the calls were given.
    package var calls: [RatedCall]

    package var bundleMinutesLeft: Int { bundleMinutes - bundleMinutesUsed }

    /// The exact sum of the charges of one classification's calls.
    package func charge(for classification: Classification) -> Charge {
        calls.lazy.filter { $0.call.classification == classification }.reduce(.zero) { $0 + $1.charge }
    }
}

/// Rating of international minutes.
package enum Usage {
    /// The month's included minutes: the sum, over `subscriptions` whose item includes minutes, of
    /// their pro-rated minutes (each rounded down; see `Subscription.includedMinutes(in:)`).
    package static func bundleMinutes(period: BillingPeriod, subscriptions: [Subscription]) -> Int {
        subscriptions.reduce(0) { $0 + $1.includedMinutes(in: period) }
    }

    /// Rates `calls` against a bundle of `bundleMinutes` and `rates`.
    ///
    /// Each call is billed in started minutes. Calls draw on the bundle in the order given (pass
    /// them in time order) whatever their classification, until it runs out; the call that crosses
    /// the end takes the remaining minutes and pays for the rest at its rate. Charges stay exact;
    /// rounding to cents happens per invoice line. The same input always gives the same output.
    ///
    /// - Throws: `PricingError.noRate` when a destination matches no prefix (even a call the bundle
    ///   covers: an incomplete rate table must be fixed, not hidden), `PricingError.invalidCall`
    ///   for negative seconds.
    package static func rate(calls: [BillableCall], bundleMinutes: Int, rates: RateTable) throws -> UsageRating {
        let bundle = max(0, bundleMinutes)
        var left = bundle
        var rated: [RatedCall] = []
        rated.reserveCapacity(calls.count)
        for call in calls {
            guard call.billableSeconds >= 0 else {
                throw PricingError.invalidCall(
                    callID: call.callID, reason: "negative duration \(call.billableSeconds) s")
            }
            guard let (prefix, rate) = rates.match(call.destination) else {
                throw PricingError.noRate(callID: call.callID, destination: call.destination)
            }
            let minutes = call.minutes
            let fromBundle = min(minutes, left)
            left -= fromBundle
            let charged = minutes - fromBundle
            rated.append(
                RatedCall(
                    call: call, minutes: minutes, minutesFromBundle: fromBundle, chargedMinutes: charged,
                    prefix: prefix, rate: rate, charge: rate * charged))
        }
        return UsageRating(bundleMinutes: bundle, bundleMinutesUsed: bundle - left, calls: rated)
    }
}
