import Foundation
import Hummingbird
import Runtime
import Tenancy

/// Announcements (voice messages): prompts played in order, then a destination or hang up.
extension API {
    struct NewAnnouncement: Decodable {
        let name: String
        let prompts: [String]
        let next: String?

        var view: AnnouncementView { AnnouncementView(name: name, prompts: prompts, next: next ?? "none") }
    }

    func addAnnouncementRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/announcements") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let announcements = try await dialplan(principal).announcements(tenant: tenant, after: page.after, limit: page.fetch)
            return try JSON.response(Page(announcements, limit: page.limit) { $0.name })
        }
        v1.post("tenants/:tenant/announcements") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let new = try await JSON.decode(NewAnnouncement.self, from: request)
            let config = dialplan(principal)
            try await config.createAnnouncement(tenant: tenant, new.view, replacing: false)
            return try JSON.response(try await config.announcement(tenant: tenant, name: new.name), status: .created)
        }
        v1.get("tenants/:tenant/announcements/:announcement") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await dialplan(principal).announcement(tenant: tenant, name: try context.parameter("announcement")))
        }
        v1.put("tenants/:tenant/announcements/:announcement") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("announcement")
            let change = try await JSON.decode(NewAnnouncement.self, from: request)
            guard change.name == name else { throw APIError.invalid("the body's name must be the announcement's, \(name)") }
            let config = dialplan(principal)
            _ = try await config.announcement(tenant: tenant, name: name)
            try await config.createAnnouncement(tenant: tenant, change.view)
            return try JSON.response(try await config.announcement(tenant: tenant, name: name))
        }
        v1.delete("tenants/:tenant/announcements/:announcement") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await dialplan(principal).deleteAnnouncement(tenant: tenant, name: try context.parameter("announcement"))
            return JSON.noContent()
        }
    }
}
