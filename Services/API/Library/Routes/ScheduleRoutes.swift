import Foundation
import Hummingbird
import Runtime
import Tenancy

/// Working-hours schedules with weekly periods and exception days.
extension API {
    struct NewSchedule: Decodable {
        let name: String
        let open: String
        let closed: String
    }

    struct NewPeriod: Decodable {
        /// ISO weekdays, 1 = Monday.
        let days: [Int]
        let opens: String
        let closes: String
    }

    struct NewException: Decodable {
        let day: String
        let opens: String?
        let closes: String?
        let label: String?
    }

    func addScheduleRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/schedules") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let schedules = try await dialplan(principal).schedules(tenant: tenant, after: page.after, limit: page.fetch)
            return try JSON.response(Page(schedules, limit: page.limit) { $0.name })
        }
        v1.post("tenants/:tenant/schedules") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let new = try await JSON.decode(NewSchedule.self, from: request)
            let config = dialplan(principal)
            try await config.createSchedule(tenant: tenant, name: new.name, open: new.open, closed: new.closed, replacing: false)
            return try JSON.response(try await config.schedule(tenant: tenant, name: new.name), status: .created)
        }
        v1.get("tenants/:tenant/schedules/:schedule") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await dialplan(principal).schedule(tenant: tenant, name: try context.parameter("schedule")))
        }
        v1.post("tenants/:tenant/schedules/:schedule/periods") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("schedule")
            let period = try await JSON.decode(NewPeriod.self, from: request)
            let config = dialplan(principal)
            _ = try await config.schedule(tenant: tenant, name: name)
            try await config.addPeriod(tenant: tenant, schedule: name, days: period.days, opens: period.opens, closes: period.closes)
            return try JSON.response(try await config.schedule(tenant: tenant, name: name), status: .created)
        }
        v1.delete("tenants/:tenant/schedules/:schedule") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await dialplan(principal).deleteSchedule(tenant: tenant, name: try context.parameter("schedule"))
            return JSON.noContent()
        }
        // A period is named by its weekday and opening time: …/periods/1/09:00.
        v1.delete("tenants/:tenant/schedules/:schedule/periods/:weekday/:opens") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("schedule")
            guard let weekday = Int(try context.parameter("weekday")) else { throw APIError.invalid("weekday is 1 (Monday) to 7 (Sunday)") }
            let config = dialplan(principal)
            _ = try await config.schedule(tenant: tenant, name: name)
            try await config.removePeriod(tenant: tenant, schedule: name, days: [weekday], opens: try context.parameter("opens"))
            return try JSON.response(try await config.schedule(tenant: tenant, name: name))
        }
        v1.delete("tenants/:tenant/schedules/:schedule/exceptions/:day") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("schedule")
            let config = dialplan(principal)
            _ = try await config.schedule(tenant: tenant, name: name)
            try await config.removeException(tenant: tenant, schedule: name, day: try context.parameter("day"))
            return try JSON.response(try await config.schedule(tenant: tenant, name: name))
        }
        v1.post("tenants/:tenant/schedules/:schedule/exceptions") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("schedule")
            let exception = try await JSON.decode(NewException.self, from: request)
            let config = dialplan(principal)
            _ = try await config.schedule(tenant: tenant, name: name)
            try await config.addException(tenant: tenant, schedule: name, day: exception.day, opens: exception.opens,
                                          closes: exception.closes, label: exception.label)
            return try JSON.response(try await config.schedule(tenant: tenant, name: name), status: .created)
        }
    }
}
