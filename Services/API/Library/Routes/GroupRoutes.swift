import Foundation
import Hummingbird
import Runtime
import Tenancy

/// Call sharing groups and their members; a member logs themself in and out.
extension API {
    struct NewGroup: Decodable {
        let name: String
        let strategy: String?
        let memberSeconds: Int?
        let totalSeconds: Int?
        let overflow: String?
    }

    struct NewMember: Decodable {
        /// An extension of the tenant or an E.164 number (a mobile).
        let member: String
        let ringSeconds: Int?
    }

    struct MemberLogin: Decodable {
        let loggedIn: Bool
    }

    /// The announcement played before the group rings; absent: none.
    struct Welcome: Codable {
        let announcement: String?
    }

    struct NewWelcome: Decodable {
        let announcement: String
    }

    func addGroupRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/groups") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let groups = try await dialplan(principal).groups(tenant: tenant, after: page.after, limit: page.fetch)
            return try JSON.response(Page(groups, limit: page.limit) { $0.name })
        }
        v1.post("tenants/:tenant/groups") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let new = try await JSON.decode(NewGroup.self, from: request)
            let config = dialplan(principal)
            try await config.createGroup(tenant: tenant, name: new.name, strategy: new.strategy ?? "ring-all",
                                         memberSeconds: new.memberSeconds ?? 20, totalSeconds: new.totalSeconds ?? 60,
                                         overflow: new.overflow ?? "none", replacing: false)
            return try JSON.response(try await config.group(tenant: tenant, name: new.name), status: .created)
        }
        v1.get("tenants/:tenant/groups/:group") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await dialplan(principal).group(tenant: tenant, name: try context.parameter("group")))
        }
        v1.put("tenants/:tenant/groups/:group") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("group")
            let change = try await JSON.decode(NewGroup.self, from: request)
            guard change.name == name else { throw APIError.invalid("the body's name must be the group's, \(name)") }
            let config = dialplan(principal)
            let current = try await config.group(tenant: tenant, name: name)
            try await config.createGroup(tenant: tenant, name: name, strategy: change.strategy ?? current.strategy,
                                         memberSeconds: change.memberSeconds ?? current.memberSeconds,
                                         totalSeconds: change.totalSeconds ?? current.totalSeconds, overflow: change.overflow ?? current.overflow)
            return try JSON.response(try await config.group(tenant: tenant, name: name))
        }
        v1.delete("tenants/:tenant/groups/:group") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await dialplan(principal).deleteGroup(tenant: tenant, name: try context.parameter("group"))
            return JSON.noContent()
        }
        v1.get("tenants/:tenant/groups/:group/welcome") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let announcement = try await dialplan(principal).welcome(tenant: tenant, group: try context.parameter("group"))
            return try JSON.response(Welcome(announcement: announcement))
        }
        v1.put("tenants/:tenant/groups/:group/welcome") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let welcome = try await JSON.decode(NewWelcome.self, from: request)
            try await dialplan(principal).setWelcome(tenant: tenant, group: try context.parameter("group"), announcement: welcome.announcement)
            return try JSON.response(Welcome(announcement: welcome.announcement))
        }
        v1.delete("tenants/:tenant/groups/:group/welcome") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await dialplan(principal).setWelcome(tenant: tenant, group: try context.parameter("group"), announcement: nil)
            return JSON.noContent()
        }
        v1.post("tenants/:tenant/groups/:group/members") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("group")
            let new = try await JSON.decode(NewMember.self, from: request)
            let config = dialplan(principal)
            try await config.addMember(tenant: tenant, group: name, member: new.member, ringSeconds: new.ringSeconds)
            return try JSON.response(try await config.group(tenant: tenant, name: name), status: .created)
        }
        v1.delete("tenants/:tenant/groups/:group/members/:member") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await dialplan(principal).removeMember(tenant: tenant, group: try context.parameter("group"),
                                                       member: try context.parameter("member"))
            return JSON.noContent()
        }
        v1.put("tenants/:tenant/groups/:group/members/:member/login") { request, context -> Response in
            let member = try context.parameter("member")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: member) }
            let name = try context.parameter("group")
            let login = try await JSON.decode(MemberLogin.self, from: request)
            let config = dialplan(principal)
            try await config.setLoggedIn(tenant: tenant, group: name, member: member, loggedIn: login.loggedIn)
            return try JSON.response(try await config.group(tenant: tenant, name: name))
        }
    }
}
