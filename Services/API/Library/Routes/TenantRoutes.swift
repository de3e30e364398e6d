import Events
import Foundation
import Hummingbird
import Pricing
import Runtime
import Tenancy

/// Tenants: operators create, list, suspend and resume them; a tenant's own people read it.
extension API {
    struct NewTenant: Decodable {
        let slug: String
        let name: String
        let sipDomain: String
        let timeZone: String?
    }

    struct Termination: Decodable {
        /// Days of service left; the configured notice period when absent.
        let noticeDays: Int?
    }

    struct Limits: Decodable {
        let concurrentCalls: Int?
        let internationalCalls: Int?
    }

    /// A merge patch (RFC 7396) of the limits: a field left out stays as it is, `null` removes it.
    struct LimitsPatch: Decodable {
        let concurrentCalls: Int??
        let internationalCalls: Int??

        enum CodingKeys: String, CodingKey { case concurrentCalls, internationalCalls }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func field(_ key: CodingKeys) throws -> Int?? {
                guard container.contains(key) else { return nil }
                return try container.decodeNil(forKey: key) ? .some(nil) : .some(try container.decode(Int.self, forKey: key))
            }
            concurrentCalls = try field(.concurrentCalls)
            internationalCalls = try field(.internationalCalls)
        }
    }

    /// What the tenant's admins set for the whole tenant: the language of its system prompts.
    struct Settings: Codable {
        let language: Language
    }

    func addTenantRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants") { request, _ -> Response in
            try await auth.principal(request).requireOperator()
            let page = try PageRequest(request)
            return try JSON.response(Page(try await provisioning.listTenants(after: page.after, limit: page.fetch), limit: page.limit) { $0.slug })
        }
        v1.post("tenants") { request, _ -> Response in
            let principal = try await auth.principal(request)
            try principal.requireOperator()
            let new = try await JSON.decode(NewTenant.self, from: request)
            let tenant = try await provisioning.createTenant(slug: new.slug, name: new.name, sipDomain: new.sipDomain,
                                                             timeZone: new.timeZone ?? "Europe/Tallinn", actor: principal.actor)
            return try JSON.response(tenant, status: .created)
        }
        v1.get("tenants/:tenant") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireMember(of: $1) }
            return try JSON.response(try await provisioning.tenant(tenant))
        }
        for (action, status) in [("suspend", TenantStatus.suspended), ("resume", .active)] {
            v1.post("tenants/:tenant/\(action)") { request, context -> Response in
                let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireOperator(of: $1) }
                return try JSON.response(try await provisioning.setStatus(tenant: tenant, to: status, actor: principal.actor))
            }
        }
        v1.post("tenants/:tenant/terminate") { request, context -> Response in
            // An operator ends the contract, or the tenant's admin gives notice.
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let termination = try await JSON.decode(Termination.self, from: request)
            let configuration = self.context.configuration
            let noticeDays = termination.noticeDays ?? configuration.noticeDays
            // The notice period is the contract's: only the operator may shorten it.
            if noticeDays < configuration.noticeDays && principal.role != .operator {
                throw APIError.forbidden("the contract's notice is \(configuration.noticeDays) days; only the operator can shorten it")
            }
            let today = Day.today(in: TimeZone(identifier: "UTC")!)
            return try JSON.response(try await lifecycle.terminate(tenant: tenant, today: today, noticeDays: noticeDays,
                                                                   exportDays: configuration.exportDays, actor: principal.actor))
        }
        v1.get("tenants/:tenant/export") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return Response(status: .ok, headers: [.contentType: "application/json", .contentDisposition: "attachment; filename=\"\(tenant).json\""],
                            body: .init(byteBuffer: ByteBuffer(string: try await lifecycle.export(tenant: tenant))))
        }
        v1.get("tenants/:tenant/limits") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await dialplan(principal).limits(tenant: tenant))
        }
        v1.put("tenants/:tenant/limits") { request, context -> Response in
            // The toll-fraud guard is the operator's: tenants cannot raise it.
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireOperator(of: $1) }
            let limits = try await JSON.decode(Limits.self, from: request)
            try await dialplan(principal).setLimits(tenant: tenant, concurrentCalls: .some(limits.concurrentCalls),
                                                    internationalCalls: .some(limits.internationalCalls))
            return try JSON.response(try await dialplan(principal).limits(tenant: tenant))
        }
        v1.patch("tenants/:tenant/limits") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireOperator(of: $1) }
            let patch = try await JSON.decode(LimitsPatch.self, from: request)
            try await dialplan(principal).setLimits(tenant: tenant, concurrentCalls: patch.concurrentCalls, internationalCalls: patch.internationalCalls)
            return try JSON.response(try await dialplan(principal).limits(tenant: tenant))
        }
        v1.get("tenants/:tenant/settings") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(Settings(language: try await dialplan(principal).language(tenant: tenant)))
        }
        v1.put("tenants/:tenant/settings") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let settings = try await JSON.decode(Settings.self, from: request)
            try await dialplan(principal).setLanguage(tenant: tenant, settings.language)
            return try JSON.response(Settings(language: try await dialplan(principal).language(tenant: tenant)))
        }
    }
}
