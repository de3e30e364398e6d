/// Something a tenant can subscribe to: a plan or an add-on, priced per month excluding VAT.
///
/// The catalogue is data (the operator's price list), not code: the billing service loads it and
/// subscriptions copy the item they were sold with, so a later price change does not rewrite
/// past invoices.
package struct CatalogueItem: Codable, Hashable, Sendable {
    package enum Kind: String, Codable, Hashable, Sendable {
        /// The per-user base product (call sharing, unlimited mobile, ...).
        case plan
        /// Anything bought on top: IVR, recording per number, minutes bundles.
        case addon
    }

    /// What one unit of `quantity` is.
    package enum Unit: String, Codable, Hashable, Sendable {
        /// Per user: the subscription's quantity is the number of users.
        case user
        /// Once per tenant (e.g. IVR).
        case tenant
        /// Per phone number (e.g. recording); the subscription names the number.
        case number
        /// A bundle of included minutes (international minutes).
        case bundle
    }

    /// Stable identifier ("mobile-unlimited", "recording-60d").
    package var code: String
    package var kind: Kind
    /// Shown on invoices.
    package var name: String
    package var unit: Unit
    /// Per unit and month, excluding VAT.
    package var monthlyPrice: Money
    /// International minutes per unit and full month, for bundles; nil when none are included.
    package var includedMinutes: Int?
    /// Entitlements the item grants ("ivr", "recording.retention.60d", ...).
    package var features: [String]

    package init(
        code: String, kind: Kind, name: String, unit: Unit, monthlyPrice: Money, includedMinutes: Int? = nil,
        features: [String] = []
    ) {
        self.code = code
        self.kind = kind
        self.name = name
        self.unit = unit
        self.monthlyPrice = monthlyPrice
        self.includedMinutes = includedMinutes
        self.features = features
    }

    /// Throws `PricingError.invalidCatalogueItem` for an empty code, a negative price or negative
    /// included minutes.
    package func validate() throws {
        func fail(_ reason: String) -> PricingError { .invalidCatalogueItem(code: code, reason: reason) }
        if code.isEmpty { throw fail("empty code") }
        if monthlyPrice < .zero { throw fail("negative monthly price \(monthlyPrice)") }
        if let includedMinutes, includedMinutes < 0 { throw fail("negative included minutes \(includedMinutes)") }
    }
}

/// The operator's price list: catalogue items by code.
package struct Catalogue: Codable, Hashable, Sendable {
    /// In the order given (how they are listed to customers).
    package let items: [CatalogueItem]

    /// Throws `PricingError.invalidCatalogueItem` for an invalid item or a code used twice.
    package init(_ items: [CatalogueItem]) throws {
        var seen = Set<String>()
        for item in items {
            try item.validate()
            guard seen.insert(item.code).inserted else {
                throw PricingError.invalidCatalogueItem(code: item.code, reason: "code used twice")
            }
        }
        self.items = items
    }

    package init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode([CatalogueItem].self))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(items)
    }

    /// The item with this code, or nil.
    package func item(_ code: String) -> CatalogueItem? {
        items.first { $0.code == code }
    }
}

/// What the pricing functions refuse. Each case names the offending record so the caller can
/// report it; none is recoverable by retrying with the same input.
package enum PricingError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidCatalogueItem(code: String, reason: String)
    case invalidSubscription(id: String, reason: String)
    case invalidCall(callID: String, reason: String)
    /// A call handed to an invoice lies outside the invoice's month.
    case callOutsidePeriod(callID: String, day: Day, period: BillingPeriod)
    /// No prefix of the rate table matches the destination: the rate table is incomplete.
    case noRate(callID: String, destination: String)
    case invalidRateTable(prefix: String, reason: String)

    package var description: String {
        switch self {
        case .invalidCatalogueItem(let code, let reason): "catalogue item \(code): \(reason)"
        case .invalidSubscription(let id, let reason): "subscription \(id): \(reason)"
        case .invalidCall(let callID, let reason): "call \(callID): \(reason)"
        case .callOutsidePeriod(let callID, let day, let period): "call \(callID) on \(day) is not in \(period)"
        case .noRate(let callID, let destination): "call \(callID): no rate for destination \(destination)"
        case .invalidRateTable(let prefix, let reason): "rate table prefix \"\(prefix)\": \(reason)"
        }
    }
}
