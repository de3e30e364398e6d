import Events
import Foundation
import Hummingbird
import Pricing
import Runtime
import Tenancy

/// Call recording (DESIGN §7): the recording policy of numbers and users, the recordings with
/// search, listening and downloading through signed links, legal holds and deletion, and the
/// tenant's audit log. Admins see every recording of their tenant; a user sees their own when
/// their policy lets them (`visible`), and for them any other does not exist (404).
extension API {
    struct NumberPolicyChange: Decodable {
        let policy: RecordingPolicy
        let notice: Bool?
    }

    func recordings(_ principal: Principal, _ context: ServiceRequestContext) -> CallRecordingArchive {
        CallRecordingArchive(db: self.context.db, actor: principal.actor, address: context.clientAddress)
    }

    /// The extension whose recordings a user may see; nil for admins and operators (all).
    static func recordingViewer(_ principal: Principal) -> String? {
        principal.role == .user ? principal.subject : nil
    }

    func addRecordingRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        addRecordingPolicyRoutes(to: v1)
        v1.get("tenants/:tenant/recordings") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireMember(of: $1) }
            let page = try PageRequest(request)
            var filter = try Self.recordingFilter(request)
            if let after = page.after {
                guard let cursor = PageCursor(after) else { throw APIError.invalid("after is not a cursor of this list") }
                filter.after = cursor
            }
            filter.limit = page.fetch
            let found = try await recordings(principal, context).list(tenant: tenant, filter, visibleTo: Self.recordingViewer(principal))
            return try JSON.response(Page(found, limit: page.limit) { PageCursor(at: $0.startedAt, id: $0.id).text })
        }
        v1.get("tenants/:tenant/recordings/:recording") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireMember(of: $1) }
            return try JSON.response(try await recordings(principal, context).recording(
                tenant: tenant, id: try context.parameter("recording"), visibleTo: Self.recordingViewer(principal)))
        }
        v1.post("tenants/:tenant/recordings/:recording/audio-url") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireMember(of: $1) }
            let recording = try await recordings(principal, context).recording(
                tenant: tenant, id: try context.parameter("recording"), visibleTo: Self.recordingViewer(principal))
            guard recording.sha256 != nil else { throw APIError.conflict("recording \(recording.id) is not stored yet") }
            return try JSON.response(signedURL(to: "/v1/tenants/\(tenant)/recordings/\(recording.id)/audio", for: principal))
        }
        // Without a bearer token: the signed link is the credential, checked before anything is read.
        v1.get("tenants/:tenant/recordings/:recording/audio") { request, context -> Response in
            let slug = try TenantSlug(try context.parameter("tenant"))
            let (principal, download) = try await signedCaller(request, tenant: slug, making: "POST …/audio-url")
            let archive = recordings(principal, context)
            // Only while the caller may still see it.
            let recording = try await archive.recording(tenant: slug.value, id: try context.parameter("recording"),
                                                        visibleTo: Self.recordingViewer(principal))
            guard let sha = recording.sha256 else { throw APIError.conflict("recording \(recording.id) is not stored yet") }
            // Decoded as it is sent; a player may seek with a Range.
            let wav = try await media.download(sha256: sha, tenant: slug, asWAV: true, range: request.headers[.range])
            if wav.delivered { try await archive.accessed(tenant: slug.value, id: recording.id, download: download) }
            let name = "recording-\(recording.id).wav"
            return wav.response(disposition: download ? "attachment; filename=\"\(name)\"" : "inline; filename=\"\(name)\"")
        }
        v1.post("tenants/:tenant/recordings/:recording/hold") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await recordings(principal, context).setHold(true, tenant: tenant, id: try context.parameter("recording")))
        }
        v1.post("tenants/:tenant/recordings/:recording/release") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await recordings(principal, context).setHold(false, tenant: tenant, id: try context.parameter("recording")))
        }
        v1.delete("tenants/:tenant/recordings/:recording") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await recordings(principal, context).delete(tenant: tenant, id: try context.parameter("recording"))
            return JSON.noContent()
        }
        v1.get("tenants/:tenant/audit-log") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            let query = request.uri.queryParameters
            let after: Int?
            if let cursor = page.after {
                guard let id = Int(cursor) else { throw APIError.invalid("after is not a cursor of this list") }
                after = id
            } else {
                after = nil
            }
            let action = query["action"].map(String.init)
            if let action, action.unicodeScalars.count > 100 { throw APIError.invalid("action is at most 100 characters") }
            let entries = try await AuditLog.entries(tenant: tenant, AuditLog.Filter(action: action, after: after, limit: page.fetch), db: self.context.db)
            return try JSON.response(Page(entries, limit: page.limit) { String($0.id) })
        }
    }

    private func addRecordingPolicyRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/numbers/:number/recording") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await numberPolicy(try context.parameter("number"), of: tenant, principal))
        }
        v1.put("tenants/:tenant/numbers/:number/recording") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let number = try context.parameter("number")
            let change = try await JSON.decode(NumberPolicyChange.self, from: request)
            try await dialplan(principal).setNumberRecordingPolicy(tenant: tenant, number: number, policy: change.policy, notice: change.notice ?? true)
            return try JSON.response(try await numberPolicy(number, of: tenant, principal))
        }
        v1.get("tenants/:tenant/users/:extension/recording") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdminOrSelf(of: $1, extension: ext) }
            return try JSON.response(try await dialplan(principal).userRecordingPolicy(tenant: tenant, extension: ext))
        }
        v1.put("tenants/:tenant/users/:extension/recording") { request, context -> Response in
            let ext = try context.parameter("extension")
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let change = try await JSON.decode(UserRecordingPolicy.Change.self, from: request)
            let policy = UserRecordingPolicy(extension: ext, policy: change.policy, notice: change.notice, visible: change.visible ?? false)
            try await dialplan(principal).setUserRecordingPolicy(tenant: tenant, policy)
            return try JSON.response(try await dialplan(principal).userRecordingPolicy(tenant: tenant, extension: ext))
        }
    }

    private func numberPolicy(_ number: String, of tenant: String, _ principal: Principal) async throws -> NumberRecordingPolicy {
        guard let policy = try await dialplan(principal).numberRecordingPolicies(tenant: tenant).first(where: { $0.number == number }) else {
            throw APIError.notFound("tenant \(tenant) has no number \(number)")
        }
        return policy
    }

    /// The search of `GET …/recordings`: number, user, direction, from, to (ISO 8601), minSeconds, maxSeconds.
    static func recordingFilter(_ request: Request) throws -> CallRecordingFilter {
        let query = request.uri.queryParameters
        func text(_ name: String) -> String? { query[Substring(name)].map(String.init) }
        func seconds(_ name: String) throws -> Int? {
            guard let value = text(name) else { return nil }
            guard let seconds = Int(value) else { throw APIError.invalid("\(name) must be 0–86400") }
            return seconds
        }
        var direction: CallDirection?
        if let value = text("direction") {
            guard let parsed = CallDirection(rawValue: value) else { throw APIError.invalid("direction must be inbound or outbound") }
            direction = parsed
        }
        return try recordingFilter(number: text("number"), user: text("user"), direction: direction, from: text("from"), to: text("to"),
                                   minSeconds: try seconds("minSeconds"), maxSeconds: try seconds("maxSeconds"))
    }

    /// A search of recordings (a listing's, or an export's), checked: texts of at most 100
    /// characters, times in ISO 8601, lengths 0–86400 s, calls in or out.
    static func recordingFilter(number: String?, user: String?, direction: CallDirection?, from: String?, to: String?,
                                minSeconds: Int?, maxSeconds: Int?) throws -> CallRecordingFilter {
        for (name, value) in [("number", number), ("user", user), ("from", from), ("to", to)] where (value?.unicodeScalars.count ?? 0) > 100 {
            throw APIError.invalid("\(name) is at most 100 characters")
        }
        if direction == .internal { throw APIError.invalid("direction must be inbound or outbound") }
        for (name, value) in [("minSeconds", minSeconds), ("maxSeconds", maxSeconds)] where !(0...86_400).contains(value ?? 0) {
            throw APIError.invalid("\(name) must be 0–86400")
        }
        func time(_ text: String?, _ name: String) throws -> Date? {
            guard let text else { return nil }
            guard let date = Self.time(text) else { throw APIError.invalid("\(name) must be an ISO 8601 time, such as 2026-12-01T00:00:00Z") }
            return date
        }
        return CallRecordingFilter(number: number, user: user, direction: direction, from: try time(from, "from"), to: try time(to, "to"),
                                   minSeconds: minSeconds, maxSeconds: maxSeconds)
    }

    /// An ISO 8601 time (2026-12-01T09:30:00Z, or with an offset). A day or an hour that does not
    /// exist (2026-02-30, 24:00) is refused: the formatter alone would roll it over into the next.
    static func time(_ text: String) -> Date? {
        guard let date = ISO8601DateFormatter().date(from: text) else { return nil }
        let fields = text.prefix(19).split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard fields.count == 6, Day(year: fields[0], month: fields[1], day: fields[2]) != nil, fields[3] < 24, fields[4] < 60, fields[5] < 60
        else { return nil }
        return date
    }
}
