import Foundation
import Hummingbird
import Runtime
import Tenancy

/// Users, their SIP device and their own settings (forwarding, outbound identity). Admins manage
/// everyone of their tenant; a user reads and changes their own.
extension API {
    struct NewUser: Decodable {
        let `extension`: String
        let name: String
        let email: String?
        let mobile: String?
        let role: String?
        /// Console password (needs `email`).
        let password: String?
        /// The device's SIP password; generated when absent.
        let sipPassword: String?
    }

    struct UserUpdate: Decodable {
        let name: String?
        /// "" clears it.
        let email: String?
        /// "" clears it.
        let mobile: String?
        let role: String?
        let password: String?
    }

    struct SIPCredentials: Encodable {
        let username: String
        let domain: String
        /// Shown this once; only digest hashes are stored.
        let password: String
    }

    struct CreatedUser: Encodable {
        let user: User
        let sip: SIPCredentials
        /// The voicemail box's PIN: shown this once.
        let voicemailPin: String
    }

    struct NewSIPPassword: Decodable {
        let password: String?
    }

    struct ForwardingChange: Decodable {
        /// A destination, or null to remove the rule.
        let to: String?
        let noAnswerSeconds: Int?
    }

    struct OutboundIdentityChange: Decodable {
        let callerId: String?
        let defaultClass: String?
    }

    static let forwardingConditions: Set<String> = ["always", "busy", "no-answer", "unregistered"]

    func addUserRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/users") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let users = try await provisioning.listUsers(tenant: tenant, after: page.after, limit: page.fetch)
            return try JSON.response(Page(users, limit: page.limit) { $0.extension_ })
        }
        v1.post("tenants/:tenant/users") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let new = try await JSON.decode(NewUser.self, from: request)
            let (user, secret, pin) = try await provisioning.createUser(
                tenant: tenant, extension: new.extension, name: new.name, password: new.sipPassword, mobile: new.mobile,
                email: new.email, role: new.role ?? "user", consolePassword: new.password, actor: principal.actor)
            let domain = try await provisioning.tenant(tenant).sipDomain
            return try JSON.response(CreatedUser(user: user, sip: SIPCredentials(username: user.extension_, domain: domain, password: secret),
                                                 voicemailPin: pin), status: .created)
        }
        v1.get("tenants/:tenant/users/:extension") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            return try JSON.response(try await provisioning.user(tenant: tenant, extension: ext))
        }
        v1.patch("tenants/:tenant/users/:extension") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            let update = try await JSON.decode(UserUpdate.self, from: request)
            if principal.role == .user, update.role != nil || update.email != nil {
                throw APIError.forbidden("only a tenant admin may change a role or an e-mail")
            }
            let changes = Provisioning.UserChanges(
                name: update.name, email: update.email.map { $0.isEmpty ? nil : $0 }, mobile: update.mobile.map { $0.isEmpty ? nil : $0 },
                role: update.role, consolePassword: update.password)
            let user = try await provisioning.updateUser(tenant: tenant, extension: ext, changes, actor: principal.actor)
            if update.password != nil || update.role != nil { try await auth.revokeAll(tenant: tenant, subject: ext) }
            return try JSON.response(user)
        }
        v1.delete("tenants/:tenant/users/:extension") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await provisioning.deleteUser(tenant: tenant, extension: ext, actor: principal.actor)
            try await auth.revokeAll(tenant: tenant, subject: ext)
            return JSON.noContent()
        }
        v1.get("tenants/:tenant/users/:extension/device") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            return try JSON.response(try await provisioning.device(tenant: tenant, extension: ext))
        }
        v1.post("tenants/:tenant/users/:extension/device/password") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            let change = try await JSON.decode(NewSIPPassword.self, from: request)
            let secret = try await provisioning.resetSIPPassword(tenant: tenant, extension: ext, password: change.password, actor: principal.actor)
            let domain = try await provisioning.tenant(tenant).sipDomain
            return try JSON.response(SIPCredentials(username: ext, domain: domain, password: secret))
        }
        v1.get("tenants/:tenant/users/:extension/forwarding") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            return try JSON.response(try await dialplan(principal).forwarding(tenant: tenant, extension: ext))
        }
        v1.put("tenants/:tenant/users/:extension/forwarding/:when") { request, context -> Response in
            let ext = try context.parameter("extension")
            let when = try context.parameter("when")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            guard Self.forwardingConditions.contains(when) else {
                throw APIError.notFound("forwarding conditions are always, busy, no-answer and unregistered")
            }
            let change = try await JSON.decode(ForwardingChange.self, from: request)
            let config = dialplan(principal)
            try await config.setForwarding(tenant: tenant, extension: ext, when: when, to: change.to, noAnswerSeconds: change.noAnswerSeconds)
            return try JSON.response(try await config.forwarding(tenant: tenant, extension: ext))
        }
        v1.get("tenants/:tenant/users/:extension/outbound-identity") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            return try JSON.response(try await dialplan(principal).outboundIdentity(tenant: tenant, extension: ext))
        }
        v1.put("tenants/:tenant/users/:extension/outbound-identity") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            let change = try await JSON.decode(OutboundIdentityChange.self, from: request)
            let config = dialplan(principal)
            try await config.setOutboundIdentity(tenant: tenant, extension: ext, callerID: change.callerId, defaultClass: change.defaultClass)
            return try JSON.response(try await config.outboundIdentity(tenant: tenant, extension: ext))
        }
    }
}
