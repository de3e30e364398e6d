import Events
import Foundation
import Logging
import Postgres
import SIP

/// Starts calls and hands each later request of a call to it. A new INVITE from a device is
/// authenticated (407) as the user of its From, in the tenant of its domain; one from the
/// operator's trunk belongs to the tenant of the called DID.
struct CallController: Sendable {
    let env: CallEnvironment
    let registry: CallRegistry
    let supervisor: CallSupervisor
    let directory: TenantDirectory
    let authenticator: DeviceAuthenticator

    /// Handles a request that is not REGISTER or OPTIONS. Returns the response when the edge
    /// answers at once (refusals, challenges, requests outside any call); nil when a call took it.
    func handle(_ request: SIPMessage, source: SIPSource) async -> SIPMessage? {
        let method = request.method ?? ""
        let callID = request["Call-ID"] ?? ""
        if let call = registry.call(sipCallID: callID) {
            let party: Party = call.setup.invite["Call-ID"] == callID ? .caller : .callee
            call.post(.request(request, from: party, source: source))
            return nil
        }
        switch method {
        case "ACK":
            return nil  // for a refusal the edge already forgot, or a stray
        case "INVITE" where request["To"].flatMap(NameAddress.init)?.tag == nil:
            return await newCall(request, source: source)
        default:
            return request.response(481)
        }
    }

    /// A response no client transaction claimed: a 2xx retransmission for a branch of a call.
    func unmatched(_ response: SIPMessage) {
        guard let status = response.status, (200..<300).contains(status),
              response["CSeq"].flatMap(CSeq.init)?.method == "INVITE",
              let call = registry.call(sipCallID: response["Call-ID"] ?? "") else { return }
        call.post(.lateSuccess(response))
    }

    private func newCall(_ invite: SIPMessage, source: SIPSource) async -> SIPMessage? {
        let toTag = SIPTransport.randomToken()
        guard !supervisor.isDraining else { return Self.draining(invite, toTag: toTag) }
        guard let requestURI = invite.requestURI.flatMap(SIPURI.init), let dialled = requestURI.user, !dialled.isEmpty,
              let from = invite["From"].flatMap(NameAddress.init), let fromURI = SIPURI(from.uri) else {
            return invite.response(400, "Malformed Request-URI or From", toTag: toTag)
        }
        let origin: CallOrigin
        let tenant: EdgeTenant
        var callerIdentity = from
        var callerExtension: String?
        do {
            if env.trunks?.isTrunk(host: source.host) == true {
                origin = .trunk
                let number = dialled.hasPrefix("+") ? dialled : "+" + dialled
                guard let owner = try await directory.tenant(number: number) else {
                    return invite.response(404, "Number not assigned", toTag: toTag)
                }
                tenant = owner
                guard tenant.inService else { return invite.response(480, "Number not in service", toTag: toTag) }
                callerIdentity.parameters = ""
            } else {
                origin = .device
                guard let owner = try await directory.tenant(domain: fromURI.host) else {
                    return invite.response(403, "Unknown domain", toTag: toTag)
                }
                tenant = owner
                guard tenant.inService else { return invite.response(403, "Tenant suspended", toTag: toTag) }
                switch await authenticator.authenticate(invite, tenant: tenant, source: source, toTag: toTag, proxy: true) {
                case .answer(let response):
                    return response
                case .authenticated(let deviceID, let username):
                    // A device calls only as its own user (From), which keeps tenants and users apart.
                    guard username == fromURI.user else { return invite.response(403, "From does not match the credentials", toTag: toTag) }
                    let user = try await authenticator.user(of: deviceID, tenant: tenant)
                    callerExtension = user.extension
                    callerIdentity = NameAddress("\"\(user.name)\" <sip:\(user.extension)@\(tenant.sipDomain)>") ?? from
                }
            }
        } catch {
            env.logger.error("call setup lookup failed", metadata: ["error": "\(error)"])
            return invite.response(503, "Directory unavailable", toTag: toTag)
        }
        guard tenant.status == .active else { return invite.response(403, "Tenant suspended", toTag: toTag) }
        guard !invite.body.isEmpty else { return invite.response(488, "An SDP offer is required", toTag: toTag) }
        let offer: SessionDescription
        do {
            offer = try SessionDescription.parse(invite.body)
        } catch {
            return invite.response(488, "Unusable SDP: \(error.description)", toTag: toTag)
        }

        let media: MediaSession
        do {
            media = try await MediaSession.open(host: env.transport.advertisedHost, ports: env.rtpPorts)
        } catch {
            env.logger.error("no media ports", metadata: ["error": "\(error)"])
            return invite.response(503, "No media ports", toTag: toTag)
        }
        let setup = CallSetup(id: "\(env.edge)-\(UUID().uuidString.lowercased())", tenant: tenant, origin: origin,
                              invite: invite, source: source, offer: offer, callerIdentity: callerIdentity,
                              callerExtension: callerExtension, dialled: dialled)
        let call: Call
        do {
            call = try Call(setup: setup, env: env, registry: registry, media: media)
        } catch {
            await media.close()
            return invite.response(error.status, error.reason, toTag: toTag)
        }
        guard supervisor.start(call) else {
            await media.close()
            return Self.draining(invite, toTag: toTag)
        }
        registry.add(call, callerCallID: invite["Call-ID"] ?? "")
        env.serverTransactions.forget(invite, source: source.description)
        return nil
    }

    /// The answer to a new call while the edge drains: try another edge (RFC 3261 §21.5.4).
    private static func draining(_ invite: SIPMessage, toTag: String) -> SIPMessage {
        SIPMetrics.callsRefusedDraining.increment()
        var response = invite.response(503, "Edge shutting down", toTag: toTag)
        response.add("Retry-After", "30")
        return response
    }
}
