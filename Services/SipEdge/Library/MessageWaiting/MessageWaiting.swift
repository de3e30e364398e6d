import Events
import Foundation
import Logging
import Messaging
import Postgres
import SIP
import Tenancy

/// A registration binding that is new, or whose Call-ID changed (the phone restarted and its lamp
/// with it), as the registrar stored it.
struct NewBinding: Sendable {
    let tenant: EdgeTenant
    let deviceID: UUID
    /// The Contact URI the device registered.
    let contact: String
    let source: SIPSource
    /// Whether its REGISTER said it takes NOTIFY (`Allow`, `Allow-Events`, `methods`): only then does
    /// it get one outside a subscription, which no RFC defines.
    let takesNotify: Bool
    let at: ContinuousClock.Instant
}

/// Message-waiting indication (RFC 3842, DESIGN §6). A device SUBSCRIBEs to `message-summary` for
/// its user's box or a group box the user may open, authenticated like REGISTER; the edge answers
/// and NOTIFYs at once, again on every `voicemail.box-changed` of the box, and when the device
/// registers anew. Subscriptions live in this instance only: each edge holds those made through
/// it and reads every event, and its NOTIFYs reach the device through the NAT binding or
/// connection the SUBSCRIBE came over, as calls to a device leave through the edge it registered with.
struct MessageWaiting: Sendable {
    let db: PostgresClient
    let directory: TenantDirectory
    let authenticator: DeviceAuthenticator
    let voicemail: Voicemail
    let transport: SIPTransport
    let transactions: ClientTransactions
    let serverTransactions: ServerTransactions
    let subscriptions: SummarySubscriptions
    let logger: Logger
    /// How long after a new registration the edge looks for the device's subscriptions: a phone
    /// subscribes right after it registers, and that subscription's first NOTIFY already tells it.
    var registrationGrace: Duration = .seconds(2)

    static let defaultExpires = 3600
    static let minimumExpires = 60
    static let maximumExpires = 3600

    // MARK: SUBSCRIBE

    /// Handles a SUBSCRIBE. Returns the response when the edge refuses or challenges it; nil when a
    /// subscription took it (its 200 OK is sent, then its NOTIFY).
    func handle(_ request: SIPMessage, source: SIPSource) async -> SIPMessage? {
        let toTag = SIPTransport.randomToken()
        guard let eventText = request["Event"] else { return request.response(400, "Missing Event", toTag: toTag) }
        guard let event = SIPEvent(eventText) else { return request.response(400, "Malformed Event", toTag: toTag) }
        guard event.type == SIPEvent.messageSummary else {
            var response = request.response(489, toTag: toTag)
            response.add("Allow-Events", SIPEvent.messageSummary)
            return response
        }
        guard SimpleMessageSummary.isAccepted(by: request.values("Accept")) else {
            var response = request.response(406, toTag: toTag)
            response.add("Accept", SimpleMessageSummary.contentType)
            return response
        }
        let requested = request["Expires"].flatMap(Int.init) ?? Self.defaultExpires
        if requested > 0 && requested < Self.minimumExpires {
            var response = request.response(423, toTag: toTag)
            response.add("Min-Expires", String(Self.minimumExpires))
            return response
        }
        let expires = min(requested, Self.maximumExpires)
        // A subscription is a dialog (RFC 6665 §4.1.2): NOTIFYs go to the Contact, in the From's tag.
        guard let contact = request["Contact"].flatMap(NameAddress.init), SIPURI(contact.uri) != nil else {
            return request.response(400, "Missing Contact", toTag: toTag)
        }
        guard let from = request["From"].flatMap(NameAddress.init), let fromTag = from.tag, !fromTag.isEmpty else {
            return request.response(400, "From has no tag", toTag: toTag)
        }
        guard let cseq = request["CSeq"].flatMap(CSeq.init) else { return request.response(400, "Malformed CSeq", toTag: toTag) }
        if let tag = request["To"].flatMap(NameAddress.init)?.tag {
            let id = SubscriptionID(callID: request["Call-ID"] ?? "", localTag: tag, remoteTag: fromTag)
            return await refresh(id, request, event: event, cseq: cseq.number, expires: expires, contact: contact.uri, source: source)
        }
        return await subscribe(request, event: event, expires: expires, contact: contact.uri, from: from, fromTag: fromTag,
                               cseq: cseq.number, source: source, toTag: toTag)
    }

    private func subscribe(_ request: SIPMessage, event: SIPEvent, expires: Int, contact: String, from: NameAddress, fromTag: String,
                           cseq: UInt32, source: SIPSource, toTag: String) async -> SIPMessage? {
        guard let fromURI = SIPURI(from.uri), let user = fromURI.user, !user.isEmpty else {
            return request.response(400, "Malformed From", toTag: toTag)
        }
        guard let box = Self.box(of: request) else { return request.response(404, "No such voicemail box", toTag: toTag) }
        let tenant: EdgeTenant
        do {
            guard let found = try await directory.tenant(domain: fromURI.host) else { return request.response(404, "Unknown domain", toTag: toTag) }
            tenant = found
        } catch {
            logger.error("tenant lookup failed", metadata: ["error": "\(error)"])
            return request.response(503, "Directory unavailable", toTag: toTag)
        }
        guard tenant.inService else { return request.response(403, "Tenant suspended", toTag: toTag) }
        let deviceID: UUID
        switch await authenticator.authenticate(request, tenant: tenant, source: source, toTag: toTag, proxy: false) {
        case .answer(let response):
            return response
        case .authenticated(let id, let username):
            // A device subscribes as its own user (From), as it calls.
            guard username == user else { return request.response(403, "From does not match the credentials", toTag: toTag) }
            deviceID = id
        }
        let watched: VoicemailBox
        do {
            let owner = try await authenticator.user(of: deviceID, tenant: tenant)
            // Its own box, or one of its groups': the boxes the user may open.
            let boxes = try await voicemail.boxes(tenant: tenant.slug.value, visibleTo: owner.extension)
            guard let visible = boxes.first(where: { $0.number == box }) else {
                return box == owner.extension ? request.response(404, "No voicemail box", toTag: toTag)
                    : request.response(403, "Not your voicemail box", toTag: toTag)
            }
            watched = visible
        } catch {
            logger.error("voicemail box lookup failed", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
            return request.response(503, "Directory unavailable", toTag: toTag)
        }
        let now = ContinuousClock.now
        let dialog = Dialog(callID: request["Call-ID"] ?? "", localURI: Self.withoutTag(request["To"] ?? ""), localTag: toTag,
                            remoteURI: Self.withoutTag(request["From"] ?? ""), remoteTag: fromTag, remoteTarget: contact,
                            routeSet: request.values("Record-Route"), localCSeq: 0, remoteCSeq: cseq)
        let subscription = SummarySubscription(
            id: SubscriptionID(callID: dialog.callID, localTag: toTag, remoteTag: fromTag), box: BoxKey(tenant: tenant.slug.value, box: box),
            account: "sip:\(box)@\(tenant.sipDomain)", event: event, source: SIPTarget(source), dialog: dialog,
            created: now, expires: now + .seconds(expires), summary: watched.summary, edge: transport.address)
        guard let first = subscriptions.add(subscription, fetch: expires == 0, now: now) else {
            var response = request.response(503, "Too many subscriptions", toTag: toTag)
            response.add("Retry-After", "60")
            return response
        }
        logger.debug("message-waiting subscription", metadata: ["tenant": "\(tenant.slug)", "box": "\(box)", "expires": "\(expires)",
                                                               "source": "\(source)"])
        await accept(request, expires: expires, source: source, toTag: toTag)
        await send(first)
        return nil
    }

    private func refresh(_ id: SubscriptionID, _ request: SIPMessage, event: SIPEvent, cseq: UInt32, expires: Int, contact: String,
                         source: SIPSource) async -> SIPMessage? {
        let now = ContinuousClock.now
        switch subscriptions.refresh(id, event: event, cseq: cseq, until: expires == 0 ? nil : now + .seconds(expires), contact: contact,
                                     source: SIPTarget(source), now: now) {
        case .unknown:
            return request.response(481)
        case .outOfOrder:
            return request.response(500, "CSeq out of order")
        case .accepted(let notify):
            await accept(request, expires: expires, source: source, toTag: id.localTag)
            if let notify { await send(notify) }
            return nil
        }
    }

    /// The 200 OK, sent before the NOTIFY it announces (§4.2.1.1: it carries the expiry the
    /// notifier chose), and kept for retransmissions of the SUBSCRIBE.
    private func accept(_ request: SIPMessage, expires: Int, source: SIPSource, toTag: String) async {
        var response = request.response(200, toTag: toTag)
        response.add("Expires", String(expires))
        response.add("Contact", transport.contact(transport: source.transport))
        serverTransactions.complete(request, source: source.description, response: response.serialized())
        do {
            try await transport.send(response, to: SIPTarget(source))
        } catch {
            logger.debug("SUBSCRIBE answer not sent", metadata: ["source": "\(source)", "error": "\(error)"])
        }
    }

    /// The box a SUBSCRIBE names: the Request-URI's user, else the To's; a box number is 2–6 digits.
    static func box(of request: SIPMessage) -> String? {
        let user = request.requestURI.flatMap(SIPURI.init)?.user ?? request["To"].flatMap(NameAddress.init).flatMap { SIPURI($0.uri)?.user }
        guard let user, (2...6).contains(user.count), user.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return user
    }

    /// A From or To value without its tag (the dialog adds the tags itself).
    static func withoutTag(_ value: String) -> String {
        guard let address = NameAddress(value) else { return value }
        return "<\(address.uri)>"
    }

    // MARK: Changes

    /// A box's counts changed: a NOTIFY in each subscription to it held here.
    func changed(_ change: VoicemailBoxChanged, tenant: String) async {
        let outgoing = subscriptions.changed(BoxKey(tenant: tenant, box: change.box), to: change.summary, now: .now)
        await withDiscardingTaskGroup { group in
            for notify in outgoing { group.addTask { await send(notify) } }
        }
    }

    /// Ends the subscriptions whose time is up, each with its final NOTIFY.
    func sweep() async {
        for notify in subscriptions.expired(now: .now) { await send(notify) }
    }

    /// Whether `registered` would send this binding anything: it takes NOTIFY, or one of its
    /// subscriptions is held here. Most registrations need neither, and so no task.
    func expectsNotice(_ binding: NewBinding) -> Bool {
        binding.takesNotify || subscriptions.holdsAny(tenant: binding.tenant.slug.value, source: SIPTarget(binding.source), contact: binding.contact)
    }

    /// A device registered anew: after a moment, the current counts in the subscriptions it held
    /// from before, or when it holds none here and takes NOTIFY, in an unsolicited one for its
    /// user's box. Runs off the REGISTER's path.
    func registered(_ binding: NewBinding) async {
        try? await Task.sleep(for: registrationGrace)
        if let resent = subscriptions.registered(tenant: binding.tenant.slug.value, source: SIPTarget(binding.source), contact: binding.contact,
                                                 at: binding.at, now: .now) {
            for notify in resent { await send(notify) }
            return
        }
        guard binding.takesNotify else { return }
        do {
            let user = try await authenticator.user(of: binding.deviceID, tenant: binding.tenant)
            guard let summary = try await Voicemail.summary(ofUser: user.extension, slug: binding.tenant.slug, on: db) else { return }
            await sendUnsolicited(summary, box: user.extension, binding: binding)
        } catch {
            logger.warning("message waiting not sent to a new registration", metadata: ["tenant": "\(binding.tenant.slug)", "error": "\(error)"])
        }
    }

    // MARK: NOTIFY

    /// Sends a NOTIFY of a subscription as a client transaction; its answer sends the next one, or
    /// removes the subscription.
    private func send(_ notify: SummarySubscriptions.Outgoing) async {
        SIPMetrics.mwiNotifiesSent.increment()
        let target = notify.source.reaching(contact: notify.request.requestURI ?? "", isConnected: transport.canReach)
        await transactions.start(notify.request, to: target) { event in
            guard let status = Self.finalStatus(event) else { return }
            if !(200..<300).contains(status ?? 0) {
                SIPMetrics.mwiNotifiesFailed.increment()
                logger.debug("NOTIFY failed", metadata: ["tenant": "\(notify.box.tenant)", "box": "\(notify.box.box)", "target": "\(target)",
                                                        "status": "\(status.map(String.init) ?? "no answer")"])
            }
            guard let next = subscriptions.answered(notify.id, status: status, now: .now) else { return }
            Task { await self.send(next) }
        }
    }

    /// A NOTIFY outside any subscription (as Asterisk and most PBXs send to phones that do not
    /// subscribe), to the contact the device just registered. It carries `Subscription-State:
    /// active`, which RFC 6665 makes mandatory in every NOTIFY and strict parsers insist on.
    private func sendUnsolicited(_ summary: MessageSummary, box: String, binding: NewBinding) async {
        let source = SIPTarget(binding.source)
        let target = source.reaching(contact: binding.contact, isConnected: transport.canReach)
        let domain = binding.tenant.sipDomain
        let counts = SimpleMessageSummary(account: "sip:\(box)@\(domain)", new: summary.new, old: summary.old,
                                          urgentNew: summary.urgentNew, urgentOld: summary.urgentOld)
        // From the box, to the user's address of record (the box of a user is numbered by their extension).
        var dialog = Dialog(callID: "\(SIPTransport.randomToken(16))@\(transport.advertisedHost)", localURI: "<sip:\(box)@\(domain)>",
                            localTag: SIPTransport.randomToken(), remoteURI: "<sip:\(box)@\(domain)>", remoteTag: nil,
                            remoteTarget: binding.contact, localCSeq: 0)
        var notify = dialog.request("NOTIFY", via: transport.via(transport: target.transport, branch: SIPTransport.newBranch()),
                                    contact: transport.contact(transport: target.transport), body: counts.body,
                                    contentType: SimpleMessageSummary.contentType)
        notify.add("Event", SIPEvent.messageSummary)
        notify.add("Subscription-State", SubscriptionState.active(expires: nil).description)
        SIPMetrics.mwiNotifiesSent.increment()
        let logger = self.logger
        await transactions.start(notify, to: target) { event in
            guard let status = Self.finalStatus(event), !(200..<300).contains(status ?? 0) else { return }
            // Many devices refuse what they did not subscribe to (481, 489): counted, not retried.
            SIPMetrics.mwiNotifiesFailed.increment()
            logger.debug("unsolicited NOTIFY refused", metadata: ["tenant": "\(binding.tenant.slug)", "target": "\(target)",
                                                                 "status": "\(status.map(String.init) ?? "no answer")"])
        }
    }

    /// The final status a client transaction reported: `.some(nil)` for no answer; nil for a provisional one.
    private static func finalStatus(_ event: ClientTransactionEvent) -> Int?? {
        switch event {
        case .response(let response):
            guard let status = response.status, status >= 200 else { return nil }
            return .some(status)
        case .timeout:
            return .some(nil)
        }
    }
}
