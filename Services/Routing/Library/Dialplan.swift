import Events
import Foundation
import Postgres
import Tenancy

/// Routing's decision for an offered call (DESIGN §3). This first dialplan handles extensions
/// (every registered device of the user at once), the tenant's DIDs from the trunk (the number's
/// user), and external numbers (out through the trunk, presenting the caller's own DID or the
/// company's main number).
struct Dialplan: Sendable {
    let db: PostgresClient
    let countryCode: String
    static let ringSeconds = 30

    func route(_ offer: CallOffered, tenant slug: TenantSlug) async throws -> CallRoute {
        let schema = slug.schema
        if offer.origin == "trunk" {
            guard case .external(let number) = Dialled.classify(offer.dialled, countryCode: countryCode) else {
                return .rejected(404, "Number not assigned")
            }
            let rows = try await db.query("""
                SELECT u.extension FROM \(identifier: schema).numbers n JOIN \(identifier: schema).users u ON u.id = n.user_id
                WHERE n.e164 = \(number) AND n.destination_kind = 'user'
                """)
            guard let row = rows.first else { return .rejected(480, "Number has no destination yet") }
            return try await ringUser(extension: try row.decode("extension"), schema: schema)
        }
        switch Dialled.classify(offer.dialled, countryCode: countryCode) {
        case .extension(let number):
            return try await ringUser(extension: number, schema: schema)
        case .external(let number):
            let presented = try await presentedNumber(of: offer.callerExtension, tenant: slug)
            return CallRoute(targets: [RouteTarget(uri: "sip:\(number)@trunk", ringSeconds: 60, via: "trunk")],
                             strategy: "parallel", presentedNumber: presented, classification: "business", reject: nil)
        case .invalid:
            return .rejected(484, "Address Incomplete")
        }
    }

    /// Every live registration of the user with this extension, rung at once.
    private func ringUser(extension number: String, schema: SQLIdentifier) async throws -> CallRoute {
        let users = try await db.query("SELECT id FROM \(identifier: schema).users WHERE extension = \(number)")
        guard let user = users.first else { return .rejected(404, "No such extension") }
        let userID: UUID = try user.decode("id")
        let contacts = try await db.query("""
            SELECT r.contact, r.source, r.transport FROM \(identifier: schema).registrations r
            JOIN \(identifier: schema).devices d ON d.id = r.device_id
            WHERE d.user_id = \(userID) AND r.expires_at > now() ORDER BY r.updated_at DESC
            """)
        guard !contacts.isEmpty else { return .rejected(480, "Not registered") }
        let targets = try contacts.map { row in
            // Sent to where the REGISTER came from, so a device behind NAT is reached.
            RouteTarget(uri: try row.decode("contact"), ringSeconds: Self.ringSeconds,
                        via: "\(try row.decode("transport", as: String.self).lowercased()):\(try row.decode("source", as: String.self))")
        }
        return CallRoute(targets: targets, strategy: "parallel", presentedNumber: nil, classification: "business", reject: nil)
    }

    /// The caller's own DID, else the tenant's main number.
    private func presentedNumber(of callerExtension: String?, tenant slug: TenantSlug) async throws -> String? {
        if let callerExtension {
            let own = try await db.query("""
                SELECT n.e164 FROM \(identifier: slug.schema).numbers n JOIN \(identifier: slug.schema).users u ON u.id = n.user_id
                WHERE u.extension = \(callerExtension) ORDER BY n.e164 LIMIT 1
                """)
            if let row = own.first { return try row.decode("e164") }
        }
        let main = try await db.query("SELECT e164 FROM platform.numbers WHERE tenant = \(slug.value) AND is_main")
        return try main.first?.decode("e164")
    }
}

extension CallRoute {
    static func rejected(_ status: Int, _ reason: String) -> CallRoute {
        CallRoute(targets: [], strategy: "parallel", presentedNumber: nil, classification: "business",
                  reject: RouteRejection(status: status, reason: reason))
    }
}
