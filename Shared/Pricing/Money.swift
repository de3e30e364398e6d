// Exact amounts. Everything here is an Int in a fixed unit (cents, 1/10000 EUR, basis points):
// binary floating point cannot hold 0.1 exactly, and a bill that is off by a cent is still wrong.

/// Divides `numerator` by `denominator` and rounds the quotient to the nearest integer, halves away
/// from zero: 2.5 → 3, −2.5 → −3, 2.4999 → 2. For non-negative values this is the usual
/// "round half up".
///
/// This is the single rounding step of billing. **The rounding rule**: every invoice line is
/// computed exactly as a fraction and rounded once to whole cents, half away from zero; the
/// subtotal is the sum of the rounded lines; VAT = subtotal × VAT rate, rounded once, half away
/// from zero; total = subtotal + VAT. Usage is rated in 1/10000 EUR per call and only the line
/// (the exact sum of its calls) is rounded. Nothing is rounded twice. See docs/billing.md.
///
/// - Parameters:
///   - numerator: any integer.
///   - denominator: must be positive (a precondition: a zero-day month is a programming error).
/// - Returns: the rounded quotient.
package func roundHalfUp(numerator: Int, denominator: Int) -> Int {
    precondition(denominator > 0, "roundHalfUp needs a positive denominator")
    // Swift's / truncates toward zero and % takes the numerator's sign, so |remainder| < denominator.
    let quotient = numerator / denominator
    let remainder = (numerator % denominator).magnitude
    // remainder ≥ denominator − remainder ⇔ remainder/denominator ≥ ½, without 2 × remainder overflowing.
    guard remainder >= denominator.magnitude - remainder else { return quotient }
    return numerator < 0 ? quotient - 1 : quotient + 1
}

/// An exact amount of money in euro cents. Negative amounts are credits.
///
/// Encodes to JSON as a decimal string with two decimals ("12.78", "-0.05"), never as a number, so
/// no client parses it into a float.
package struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The amount in euro cents.
    package var cents: Int

    package static let zero = Money(cents: 0)

    package init(cents: Int) {
        self.cents = cents
    }

    /// Parses "12.78", "12.7", "12", "0.05", "-0.05". Returns nil for more than two decimals,
    /// exponents, signs other than a leading "-", separators, spaces or anything else.
    package init?(_ text: String) {
        guard let cents = FixedPoint.parse(text, decimals: 2, allowNegative: true) else { return nil }
        self.cents = cents
    }

    /// "12.78", "-0.05", "0.00": always two decimals.
    package var description: String { FixedPoint.format(cents, decimals: 2) }

    /// This amount × `activeDays / periodDays`, rounded once to cents half away from zero: the
    /// pro-rating of a monthly price. Multiply by the quantity first, so that the line is rounded
    /// once and not per unit.
    package func proRated(activeDays: Int, of periodDays: Int) -> Money {
        Money(cents: roundHalfUp(numerator: cents * activeDays, denominator: periodDays))
    }

    package static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }
    package static func + (lhs: Money, rhs: Money) -> Money { Money(cents: lhs.cents + rhs.cents) }
    package static func - (lhs: Money, rhs: Money) -> Money { Money(cents: lhs.cents - rhs.cents) }
    package static prefix func - (amount: Money) -> Money { Money(cents: -amount.cents) }
    package static func * (lhs: Money, rhs: Int) -> Money { Money(cents: lhs.cents * rhs) }
    package static func * (lhs: Int, rhs: Money) -> Money { Money(cents: lhs * rhs.cents) }
    package static func += (lhs: inout Money, rhs: Money) { lhs = lhs + rhs }
    package static func -= (lhs: inout Money, rhs: Money) { lhs = lhs - rhs }
}

extension Money: TextCodable {
    package static let textForm = "an amount with at most 2 decimals"
}

/// A per-minute price in 1/10000 EUR (0.0523 EUR/min = 523), the precision operators publish
/// international rates in. Never negative.
///
/// Encodes to JSON as a string with four decimals ("0.0523").
package struct Rate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The price of one minute in 1/10000 EUR.
    package var tenThousandths: Int

    package init(tenThousandths: Int) {
        precondition(tenThousandths >= 0, "a rate is never negative")
        self.tenThousandths = tenThousandths
    }

    /// Parses "0.0523", "0.05", "1". Returns nil for more than four decimals, a sign, or junk.
    package init?(_ text: String) {
        guard let value = FixedPoint.parse(text, decimals: 4, allowNegative: false) else { return nil }
        self.tenThousandths = value
    }

    /// "0.0523": always four decimals.
    package var description: String { FixedPoint.format(tenThousandths, decimals: 4) }

    package static func < (lhs: Rate, rhs: Rate) -> Bool { lhs.tenThousandths < rhs.tenThousandths }

    /// The exact charge for `minutes` minutes at this rate.
    package static func * (rate: Rate, minutes: Int) -> Charge {
        Charge(tenThousandths: rate.tenThousandths * minutes)
    }
}

extension Rate: TextCodable {
    package static let textForm = "a rate with at most 4 decimals"
}

/// An exact usage charge in 1/10000 EUR: what a rated call costs before any rounding. Only an
/// invoice line (a sum of charges) is rounded to cents, so per-call rounding errors never add up.
///
/// Encodes to JSON as a string with four decimals ("0.3138").
package struct Charge: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The amount in 1/10000 EUR.
    package var tenThousandths: Int

    package static let zero = Charge(tenThousandths: 0)

    package init(tenThousandths: Int) {
        self.tenThousandths = tenThousandths
    }

    /// Parses "0.3138" (at most four decimals, may be negative).
    package init?(_ text: String) {
        guard let value = FixedPoint.parse(text, decimals: 4, allowNegative: true) else { return nil }
        self.tenThousandths = value
    }

    /// "0.3138": always four decimals.
    package var description: String { FixedPoint.format(tenThousandths, decimals: 4) }

    /// Rounded once to whole cents, half away from zero.
    package var roundedToCents: Money {
        Money(cents: roundHalfUp(numerator: tenThousandths, denominator: 100))
    }

    package static func < (lhs: Charge, rhs: Charge) -> Bool { lhs.tenThousandths < rhs.tenThousandths }
    package static func + (lhs: Charge, rhs: Charge) -> Charge {
        Charge(tenThousandths: lhs.tenThousandths + rhs.tenThousandths)
    }
    package static func += (lhs: inout Charge, rhs: Charge) { lhs = lhs + rhs }
}

extension Charge: TextCodable {
    package static let textForm = "a charge with at most 4 decimals"
}

/// A percentage held exactly in basis points (24 % = 2400, 22.5 % = 2250), used for VAT rates.
/// Never negative.
///
/// Encodes to JSON as a string without trailing zeros ("24", "22.5").
package struct Percent: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Hundredths of a percent.
    package var basisPoints: Int

    package init(basisPoints: Int) {
        precondition(basisPoints >= 0, "a percentage here is never negative")
        self.basisPoints = basisPoints
    }

    /// Parses "24", "22.5", "9.55". Returns nil for more than two decimals, a sign, or junk.
    package init?(_ text: String) {
        guard let value = FixedPoint.parse(text, decimals: 2, allowNegative: false) else { return nil }
        self.basisPoints = value
    }

    /// "24", "22.5": no trailing zeros.
    package var description: String { FixedPoint.format(basisPoints, decimals: 2, trimZeros: true) }

    /// `amount` × this percentage, rounded once to cents half away from zero (how VAT is computed
    /// from the subtotal).
    package func of(_ amount: Money) -> Money {
        Money(cents: roundHalfUp(numerator: amount.cents * basisPoints, denominator: 10_000))
    }

    package static func < (lhs: Percent, rhs: Percent) -> Bool { lhs.basisPoints < rhs.basisPoints }
}

extension Percent: TextCodable {
    package static let textForm = "a percentage with at most 2 decimals"
}
