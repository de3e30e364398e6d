import Foundation
import Hummingbird
import Runtime
import Tenancy

/// IVR menus: a greeting, a choice per key, timeout and invalid-key branches (the IVR add-on is
/// needed to route a number to one, not to build one).
extension API {
    struct NewMenu: Decodable {
        let name: String
        let greeting: String
        let timeoutSeconds: Int?
        let retries: Int?
        let invalidPrompt: String?
        let timeoutPrompt: String?
        let final: String?
        let directDial: Bool?
        let options: [String: String]?

        /// The menu, with `MenuView`'s defaults for what is absent.
        var view: MenuView {
            var menu = MenuView(name: name, greeting: greeting, options: options ?? [:])
            menu.timeoutSeconds = timeoutSeconds ?? menu.timeoutSeconds
            menu.retries = retries ?? menu.retries
            menu.invalidPrompt = invalidPrompt ?? menu.invalidPrompt
            menu.timeoutPrompt = timeoutPrompt ?? menu.timeoutPrompt
            menu.final = final ?? menu.final
            menu.directDial = directDial ?? menu.directDial
            return menu
        }
    }

    func addMenuRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/menus") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let menus = try await dialplan(principal).menus(tenant: tenant, after: page.after, limit: page.fetch)
            return try JSON.response(Page(menus, limit: page.limit) { $0.name })
        }
        v1.post("tenants/:tenant/menus") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let new = try await JSON.decode(NewMenu.self, from: request)
            let config = dialplan(principal)
            try await config.createMenu(tenant: tenant, new.view, replacing: false)
            return try JSON.response(try await config.menu(tenant: tenant, name: new.name), status: .created)
        }
        v1.get("tenants/:tenant/menus/:menu") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await dialplan(principal).menu(tenant: tenant, name: try context.parameter("menu")))
        }
        v1.put("tenants/:tenant/menus/:menu") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("menu")
            let change = try await JSON.decode(NewMenu.self, from: request)
            guard change.name == name else { throw APIError.invalid("the body's name must be the menu's, \(name)") }
            let config = dialplan(principal)
            _ = try await config.menu(tenant: tenant, name: name)
            try await config.createMenu(tenant: tenant, change.view)
            return try JSON.response(try await config.menu(tenant: tenant, name: name))
        }
        v1.delete("tenants/:tenant/menus/:menu") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await dialplan(principal).deleteMenu(tenant: tenant, name: try context.parameter("menu"))
            return JSON.noContent()
        }
    }
}
