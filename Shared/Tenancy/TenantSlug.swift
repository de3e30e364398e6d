import Postgres

/// A tenant's short name: 2–40 characters of a–z, 0–9 and `_`, starting with a letter. Its schema
/// is `tenant_<slug>`; validation here is what keeps tenant input out of SQL text.
package struct TenantSlug: Sendable, Hashable, CustomStringConvertible, Codable {
    package let value: String

    package init(_ value: String) throws {
        let bytes = Array(value.utf8)
        let valid = (2...40).contains(bytes.count)
            && bytes.first.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) } == true
            && bytes.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_")
            }
        guard valid else {
            throw TenancyError.invalid("tenant slug \(String(reflecting: value)) must be 2–40 characters of a–z, 0–9 and _, starting with a letter")
        }
        self.value = value
    }

    /// The tenant's schema, `tenant_<slug>`.
    package var schema: SQLIdentifier {
        // A valid slug always makes a valid identifier (≤ 47 bytes of [a-z0-9_]).
        (try? SQLIdentifier("tenant_" + value)) ?? SQLIdentifier.unreachable
    }

    package var description: String { value }
}

extension SQLIdentifier {
    fileprivate static var unreachable: SQLIdentifier {
        preconditionFailure("a valid tenant slug always forms a valid schema name")
    }
}

/// Errors of provisioning and migrations, with what the user should know.
package enum TenancyError: Error, CustomStringConvertible, Equatable {
    /// Input that does not fit (bad slug, number, time zone, ...).
    case invalid(String)
    /// Something with that name already exists.
    case conflict(String)
    /// The tenant, user or number does not exist.
    case notFound(String)

    package var description: String {
        switch self {
        case .invalid(let text), .conflict(let text), .notFound(let text): text
        }
    }
}
