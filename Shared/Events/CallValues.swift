/// The closed sets of values that call events carry. On the wire each is its raw string, so the
/// JSON stays what it was; a message with a value outside the set fails to decode and goes to
/// the dead-letter topic rather than into a branch nobody wrote.

/// Where a tenant is in its life: in service (active, or suspended by the operator), in its notice
/// period after the contract ended (terminating), in its export window (terminated), gone (deleted).
package enum TenantStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case active, suspended, terminating, terminated, deleted

    /// Phones register and call while the tenant is active or serving its notice period.
    package var inService: Bool { self == .active || self == .terminating }
    /// The operator can suspend and resume it, and it can take new subscriptions.
    package var isOpen: Bool { self == .active || self == .suspended }
}

/// Where a call came from.
package enum CallOrigin: String, Codable, Sendable, Hashable {
    /// An authenticated user's phone.
    case device
    /// The operator's network.
    case trunk
}

/// Which way a call crossed the tenant's boundary.
package enum CallDirection: String, Codable, Sendable, Hashable, CaseIterable {
    /// From the operator's network to the tenant.
    case inbound
    /// From a tenant's phone out through the trunk.
    case outbound
    /// Between the tenant's own phones.
    case `internal`
}

/// Business or private use (business/private call separation); billing invoices them apart.
package enum Classification: String, Codable, Hashable, Sendable, CaseIterable {
    case business
    case `private`
}

/// How a plan's targets ring.
package enum RingStrategy: String, Codable, Sendable, Hashable {
    /// All at once.
    case parallel
    /// Stage after stage: targets with the same `stage` ring together, each stage for its targets' ring time.
    case sequential
}

/// The states a call passes through, as `call.state-changed` names them.
package enum CallState: String, Codable, Sendable, Hashable {
    case offered, ringing, answered, held, resumed, ended
}

/// Why nobody of a plan answered.
package enum PlanFailure: String, Codable, Sendable, Hashable {
    /// A target was busy (486 or 600).
    case busy
    /// Targets rang out, or were not there to ring (408, 480, 487).
    case noAnswer = "no-answer"
    /// Anything else: errors, refusals, unusable targets.
    case unavailable
}

/// Where the edge sends a route target's INVITE.
package enum RouteHop: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The operator's trunk the edge is configured with.
    case trunk
    /// "transport:host:port": a device's registered source, so devices behind NAT are reached.
    case address(String)

    package init(_ text: String) { self = text == "trunk" ? .trunk : .address(text) }

    package var description: String {
        switch self {
        case .trunk: "trunk"
        case .address(let address): address
        }
    }

    package init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
