import Events
import Foundation
import Hummingbird
import Runtime
import Tenancy

/// Exports of a tenant's media (DESIGN §7): an admin asks for one (every recording, or those a
/// filter picks, and the voicemail messages); `recording` builds it in the background; the archive
/// is downloaded through a signed link until it expires. Contract end makes one by itself, kept
/// for the export window.
extension API {
    struct ExportRequest: Decodable {
        let number: String?
        let user: String?
        let direction: CallDirection?
        /// ISO 8601 times: recordings started from `from`, before `to`.
        let from: String?
        let to: String?
        let minSeconds: Int?
        let maxSeconds: Int?
        /// Include the voicemail messages; default true.
        let voicemail: Bool?
    }

    var exports: MediaExports { MediaExports(db: context.db, deployment: context.configuration.topicPrefix) }

    static func exportID(_ context: ServiceRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameter("export")) else { throw APIError.notFound("no such export") }
        return id
    }

    func addExportRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.post("tenants/:tenant/exports") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let asked = try await JSON.decode(ExportRequest.self, from: request)
            let filter = try Self.recordingFilter(number: asked.number, user: asked.user, direction: asked.direction, from: asked.from,
                                                  to: asked.to, minSeconds: asked.minSeconds, maxSeconds: asked.maxSeconds)
            let export = try await exports.request(tenant: tenant, filter: filter, voicemail: asked.voicemail ?? true, by: principal.actor,
                                                   from: context.clientAddress)
            return try JSON.response(export, status: .accepted)
        }
        v1.get("tenants/:tenant/exports") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let cursor = try page.after.map { text in
                guard let cursor = PageCursor(text), UUID(uuidString: cursor.id) != nil else { throw APIError.invalid("after is not a cursor of this list") }
                return cursor
            }
            let found = try await exports.list(tenant: tenant, after: cursor, limit: page.fetch)
            return try JSON.response(Page(found, limit: page.limit) { PageCursor(at: $0.createdAt, id: $0.id.uuidString.lowercased()).text })
        }
        v1.get("tenants/:tenant/exports/:export") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await exports.export(tenant: tenant, id: try Self.exportID(context)))
        }
        v1.post("tenants/:tenant/exports/:export/download-url") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let export = try await exports.export(tenant: tenant, id: try Self.exportID(context))
            guard export.isDownloadable() else {
                throw APIError.conflict("export \(export.id.uuidString.lowercased()) is \(export.status == .ready ? "expired" : export.status.rawValue), not ready")
            }
            return try JSON.response(signedURL(to: "/v1/tenants/\(tenant)/exports/\(export.id.uuidString.lowercased())/archive", for: principal))
        }
        // Without a bearer token: the signed link is the credential, checked before anything is read.
        v1.get("tenants/:tenant/exports/:export/archive") { request, context -> Response in
            let slug = try TenantSlug(try context.parameter("tenant"))
            let id = try Self.exportID(context)
            let (principal, _) = try await signedCaller(request, tenant: slug, making: "POST …/download-url")
            guard principal.role != .user else { throw APIError.forbidden("only a tenant admin may do this") }
            let export = try await exports.export(tenant: slug.value, id: id)
            guard export.isDownloadable(), let sha = export.sha256 else {
                throw APIError.notFound("export \(id.uuidString.lowercased()) is \(export.status == .ready ? "expired" : export.status.rawValue)")
            }
            // Streamed, and resumable with a Range.
            let download = try await media.download(sha256: sha, tenant: slug, range: request.headers[.range])
            if download.delivered {
                try await exports.downloaded(tenant: slug.value, id: id, by: principal.actor, from: context.clientAddress)
            }
            return download.response(disposition: "attachment; filename=\"\(slug.value)-\(id.uuidString.lowercased()).zip\"")
        }
    }
}
