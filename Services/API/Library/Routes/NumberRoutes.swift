import Foundation
import Hummingbird
import Runtime
import Tenancy

/// Numbers (DIDs): the operator assigns them from its ranges; the tenant's admins say where their
/// calls go.
extension API {
    struct NewNumber: Decodable {
        let number: String
        /// Where calls go: user:EXT, group:NAME, schedule:NAME, voicemail, …; default none.
        let destination: String?
    }

    struct NumberRoute: Decodable {
        let destination: String
    }

    func addNumberRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/numbers") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let numbers = try await provisioning.listNumbers(tenant: tenant, after: page.after, limit: page.fetch)
            return try JSON.response(Page(numbers, limit: page.limit) { $0.number })
        }
        v1.post("tenants/:tenant/numbers") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireOperator(of: $1) }
            let new = try await JSON.decode(NewNumber.self, from: request)
            if let destination = new.destination { try await dialplan(principal).checkNumberDestination(tenant: tenant, destination) }
            try await provisioning.assignNumber(tenant: tenant, number: new.number, actor: principal.actor)
            if let destination = new.destination {
                try await dialplan(principal).routeNumber(tenant: tenant, number: new.number, to: destination)
            }
            return try JSON.response(try await number(new.number, of: tenant), status: .created)
        }
        v1.get("tenants/:tenant/numbers/:number") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await number(try context.parameter("number"), of: tenant))
        }
        v1.put("tenants/:tenant/numbers/:number") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let number = try context.parameter("number")
            let route = try await JSON.decode(NumberRoute.self, from: request)
            try await dialplan(principal).routeNumber(tenant: tenant, number: number, to: route.destination)
            return try JSON.response(try await self.number(number, of: tenant))
        }
    }

    private func number(_ number: String, of tenant: String) async throws -> Provisioning.NumberAssignment {
        guard let found = try await provisioning.listNumbers(tenant: tenant, only: number).first else {
            throw APIError.notFound("tenant \(tenant) has no number \(number)")
        }
        return found
    }
}
