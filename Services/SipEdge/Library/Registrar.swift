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
    let writer: BindingWriter
    let edge: Int
    let logger: Logger

    static let defaultExpires = 3600
    static let minimumExpires = 60
    static let maximumExpires = 7200

    func handle(_ request: SIPMessage, source: SIPSource) async -> SIPMessage {
        let toTag = SIPTransport.randomToken(8)
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
        let userAgent = request["User-Agent"]
        var changes: [RegistrationChanged] = []
        var fresh: [(contact: String, takesNotify: Bool)] = []
        // The usual REGISTER (one contact, a refresh) is answered from its write; others list the AOR afterwards.
        var answered: [(contact: String, remaining: Int)]?
        if contacts == ["*"] {
            guard headerExpires == 0 else { throw RegistrarRefusal(status: 400, reason: "* needs Expires: 0") }
            let removed = try await db.query("DELETE FROM \(identifier: schema).registrations WHERE aor = \(aor) RETURNING contact")
            for row in removed {
                changes.append(RegistrationChanged(aor: aor, contact: try row.decode("contact"), expires: 0,
                                                   userAgent: userAgent, source: source.description, edge: edge))
            }
        } else if !contacts.isEmpty {
            // Every contact is checked before any is stored.
            var requests: [(uri: String, contact: String, expires: Int)] = []
            for contact in contacts {
                guard let address = NameAddress(contact), SIPURI(address.uri) != nil else {
                    throw RegistrarRefusal(status: 400, reason: "Malformed Contact")
                }
                let requested = NameAddress.parameter("expires", in: contact).flatMap(Int.init) ?? headerExpires ?? Self.defaultExpires
                guard requested == 0 || requested >= Self.minimumExpires else { throw RegistrarRefusal(status: 423, reason: "Interval Too Brief") }
                requests.append((address.uri, contact, min(requested, Self.maximumExpires)))
            }
            let cseq = request["CSeq"].flatMap(CSeq.init)?.number ?? 0
            for (uri, contact, expires) in requests {
                if expires == 0 {
                    try await db.query("DELETE FROM \(identifier: schema).registrations WHERE aor = \(aor) AND contact = \(uri)")
                    changes.append(RegistrationChanged(aor: aor, contact: uri, expires: 0, userAgent: userAgent, source: source.description, edge: edge))
                    continue
                }
                let outcome = try await writer.write(BindingWriter.Write(
                    schema: schema, aor: aor, contact: uri, deviceID: deviceID, expires: expires, userAgent: userAgent,
                    source: source.description, transport: source.transport, callID: request["Call-ID"] ?? "", cseq: Int(cseq)))
                // A repeated or older CSeq of the same Call-ID is out of order (RFC 3261 §10.3 step 7).
                guard outcome.stored else { throw RegistrarRefusal(status: 500, reason: "Out of order CSeq") }
                if outcome.fresh { fresh.append((uri, request.takesNotify(of: SIPEvent.messageSummary, contact: contact))) }
                // A refresh that only extends the expiry is not news: events say where a device is reached.
                if outcome.changed {
                    changes.append(RegistrationChanged(aor: aor, contact: uri, expires: expires, userAgent: userAgent,
                                                       source: source.description, edge: edge))
                }
                answered = requests.count == 1 ? outcome.bindings : nil
            }
        }
        var response = request.response(200, toTag: toTag)
        if answered == nil { answered = try await liveBindings(aor: aor, schema: schema) }
        for binding in answered ?? [] {
            response.add("Contact", "<\(binding.contact)>;expires=\(binding.remaining)")
        }
        response.add("Date", SIPDate.format(Date()))
        // The binding is durable in PostgreSQL, so the device gets its answer now; listeners learn of
        // it through the event a moment later.
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
                guard messageWaiting.expectsNotice(binding) else { continue }
                Task { [messageWaiting] in await messageWaiting.registered(binding) }
            }
        }
        SIPMetrics.registrations.increment()
        return response
    }

    /// The AOR's live bindings with their remaining seconds; expired ones of this AOR go now (the rest
    /// of the table is swept elsewhere).
    private func liveBindings(aor: String, schema: SQLIdentifier) async throws -> [(contact: String, remaining: Int)] {
        try await db.query("""
            WITH expired AS (DELETE FROM \(identifier: schema).registrations WHERE aor = \(aor) AND expires_at <= now())
            SELECT contact, GREATEST(1, EXTRACT(EPOCH FROM expires_at - now())::int) AS remaining
            FROM \(identifier: schema).registrations WHERE aor = \(aor) AND expires_at > now() ORDER BY contact
            """).map { (try $0.decode("contact"), try $0.decode("remaining")) }
    }
}
