import Events
import Foundation
import Logging
import Messaging
import Metrics
import Postgres
import SIP
import Tenancy

/// REGISTER (RFC 3261 §10): the tenant is the AOR's domain, the device authenticates with digest
/// (MD5 or SHA-256) as the AOR's user, bindings live in the tenant's `registrations` table so an
/// edge restart keeps them, and every change is published on `sip.registrations`. A device that
/// registers anew is told its message-waiting state.
struct Registrar: Sendable {
    let db: PostgresClient
    let publisher: EventPublisher
    let directory: TenantDirectory
    let authenticator: DeviceAuthenticator
    let messageWaiting: MessageWaiting
    let edge: Int
    let logger: Logger

    static let defaultExpires = 3600
    static let minimumExpires = 60
    static let maximumExpires = 7200

    func handle(_ request: SIPMessage, source: SIPSource) async -> SIPMessage {
        let toTag = String(UUID().uuidString.prefix(8)).lowercased()
        guard let to = request["To"].flatMap(NameAddress.init), let aor = SIPURI(to.uri), let user = aor.user, !user.isEmpty else {
            return request.response(400, "Malformed To", toTag: toTag)
        }
        let tenant: EdgeTenant?
        do {
            tenant = try await directory.tenant(domain: aor.host)
        } catch {
            logger.error("tenant lookup failed", metadata: ["error": "\(error)"])
            return request.response(503, "Directory unavailable", toTag: toTag)
        }
        guard let tenant else { return request.response(404, "Unknown domain", toTag: toTag) }
        guard tenant.inService else { return request.response(403, "Tenant suspended", toTag: toTag) }

        let deviceID: UUID
        switch await authenticator.authenticate(request, tenant: tenant, source: source, toTag: toTag, proxy: false) {
        case .answer(let response):
            return response
        case .authenticated(let id, let username):
            guard username == user else { return request.response(403, "Username does not match the AOR", toTag: toTag) }
            deviceID = id
        }

        let aorText = "sip:\(user)@\(tenant.sipDomain)"
        do {
            return try await updateBindings(request, tenant: tenant, aor: aorText, deviceID: deviceID, source: source, toTag: toTag)
        } catch let error as RegistrarRefusal {
            var response = request.response(error.status, error.reason, toTag: toTag)
            if error.status == 423 { response.add("Min-Expires", String(Self.minimumExpires)) }
            return response
        } catch {
            logger.error("binding update failed", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
            return request.response(500, "Binding update failed", toTag: toTag)
        }
    }

    struct RegistrarRefusal: Error {
        let status: Int
        let reason: String
    }

    private func updateBindings(_ request: SIPMessage, tenant: EdgeTenant, aor: String, deviceID: UUID?,
                                source: SIPSource, toTag: String) async throws -> SIPMessage {
        let schema = tenant.slug.schema
        let contacts = request.values("Contact")
        let headerExpires = request["Expires"].flatMap(Int.init)
        let callID = request["Call-ID"] ?? ""
        let cseq = request["CSeq"].flatMap(CSeq.init)?.number ?? 0
        var changes: [RegistrationChanged] = []
        var fresh: [(contact: String, takesNotify: Bool)] = []
        if contacts == ["*"] {
            guard headerExpires == 0, contacts.count == 1 else { throw RegistrarRefusal(status: 400, reason: "* needs Expires: 0") }
            let removed = try await db.query("DELETE FROM \(identifier: schema).registrations WHERE aor = \(aor) RETURNING contact")
            for row in removed {
                changes.append(RegistrationChanged(aor: aor, contact: try row.decode("contact"), expires: 0,
                                                   userAgent: request["User-Agent"], source: source.description, edge: edge))
            }
        } else if !contacts.isEmpty {
            // One contact (the usual case) is one statement; several are one transaction.
            let store: (PostgresConnection) async throws -> Void = { connection in
                for contact in contacts {
                    guard let address = NameAddress(contact), SIPURI(address.uri) != nil else {
                        throw RegistrarRefusal(status: 400, reason: "Malformed Contact")
                    }
                    let requested = NameAddress.parameter("expires", in: contact).flatMap(Int.init) ?? headerExpires ?? Self.defaultExpires
                    if requested == 0 {
                        try await connection.query("DELETE FROM \(identifier: schema).registrations WHERE aor = \(aor) AND contact = \(address.uri)")
                        changes.append(RegistrationChanged(aor: aor, contact: address.uri, expires: 0, userAgent: request["User-Agent"],
                                                           source: source.description, edge: edge))
                        continue
                    }
                    guard requested >= Self.minimumExpires else { throw RegistrarRefusal(status: 423, reason: "Interval Too Brief") }
                    let expires = min(requested, Self.maximumExpires)
                    // A repeated or older CSeq of the same Call-ID is out of order (RFC 3261 §10.3 step 7):
                    // then the conditional update changes nothing and returns no row. A binding is fresh
                    // when it is new or its Call-ID changed: the device restarted (§10.2.4 keeps one
                    // Call-ID per boot) and knows nothing of its message waiting.
                    let stored = try await connection.query("""
                        WITH previous AS (
                            SELECT call_id FROM \(identifier: schema).registrations WHERE aor = \(aor) AND contact = \(address.uri))
                        INSERT INTO \(identifier: schema).registrations (aor, contact, device_id, expires_at, user_agent, source, transport, edge, call_id, cseq, updated_at)
                        VALUES (\(aor), \(address.uri), \(deviceID), now() + make_interval(secs => \(expires)), \(request["User-Agent"]),
                                \(source.description), \(source.transport), \(edge), \(callID), \(Int(cseq)), now())
                        ON CONFLICT (aor, contact) DO UPDATE SET device_id = EXCLUDED.device_id, expires_at = EXCLUDED.expires_at,
                            user_agent = EXCLUDED.user_agent, source = EXCLUDED.source, transport = EXCLUDED.transport, edge = EXCLUDED.edge,
                            call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq, updated_at = now()
                        WHERE registrations.call_id IS DISTINCT FROM EXCLUDED.call_id OR registrations.cseq < EXCLUDED.cseq
                        RETURNING NOT EXISTS (SELECT 1 FROM previous WHERE previous.call_id = registrations.call_id) AS fresh
                        """)
                    guard let row = stored.first else { throw RegistrarRefusal(status: 500, reason: "Out of order CSeq") }
                    if try row.decode("fresh", as: Bool.self) {
                        fresh.append((address.uri, request.takesNotify(of: SIPEvent.messageSummary, contact: contact)))
                    }
                    changes.append(RegistrationChanged(aor: aor, contact: address.uri, expires: expires, userAgent: request["User-Agent"],
                                                       source: source.description, edge: edge))
                }
            }
            if contacts.count == 1 {
                try await db.withConnection { try await store($0) }
            } else {
                try await db.withTransaction { try await store($0) }
            }
        }
        // Expired bindings of this AOR go now (the rest of the table is swept elsewhere); the live ones are the answer.
        let current = try await db.query("""
            WITH expired AS (DELETE FROM \(identifier: schema).registrations WHERE aor = \(aor) AND expires_at <= now())
            SELECT contact, GREATEST(1, EXTRACT(EPOCH FROM expires_at - now())::int) AS remaining
            FROM \(identifier: schema).registrations WHERE aor = \(aor) AND expires_at > now() ORDER BY contact
            """)
        var response = request.response(200, toTag: toTag)
        for row in current {
            response.add("Contact", "<\(try row.decode("contact", as: String.self))>;expires=\(try row.decode("remaining", as: Int.self))")
        }
        response.add("Date", SIPDate.format(Date()))
        // The binding is durable in PostgreSQL, so the device gets its answer now; listeners learn of
        // it through the event a moment later (a lost event only delays them until the next refresh).
        if !changes.isEmpty {
            let publisher = self.publisher
            let logger = self.logger
            let slug = tenant.slug.value
            Task { [changes] in
                for change in changes {
                    do {
                        try await publisher.publish(Envelope(tenant: slug, data: change), key: "\(slug)/\(aor)")
                    } catch {
                        logger.warning("registration event not published", metadata: ["tenant": "\(slug)", "error": "\(error)"])
                    }
                }
            }
        }
        if let deviceID {
            let now = ContinuousClock.now
            for (contact, takesNotify) in fresh {
                let binding = NewBinding(tenant: tenant, deviceID: deviceID, contact: contact, source: source, takesNotify: takesNotify, at: now)
                Task { [messageWaiting] in await messageWaiting.registered(binding) }
            }
        }
        SIPMetrics.registrations.increment()
        return response
    }
}
