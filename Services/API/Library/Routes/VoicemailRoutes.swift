import Foundation
import Hummingbird
import Runtime
import Tenancy

/// Voicemail boxes, their messages and greetings (DESIGN §6). Operators and the tenant's admins
/// reach every box of the tenant; a user reaches their own box and the boxes of their groups, and
/// no other: any other box is a 404, as if it did not exist. Audio goes through `recording` (the
/// media store's only writer); a message's audio is fetched through a short-lived signed link
/// (`SignedLinks`) that a player opens without the bearer token.
extension API {
    struct NewGroupBox: Decodable {
        let group: String
        /// 2–6 digits, not a user's extension.
        let number: String
        let email: String?
    }

    /// A new box with its PIN, shown this once.
    struct CreatedBox: Encodable {
        let box: VoicemailBox
        let pin: String
    }

    struct BoxChange: Decodable {
        let greetingMode: VoicemailBox.GreetingMode?
        let maxSeconds: Int?
        let minMs: Int?
        let quota: Int?
        let emailNotify: Bool?
        /// A group box's address; "" clears it.
        let email: String?
    }

    struct BoxPIN: Codable {
        let pin: String
    }

    struct MessageMove: Decodable {
        let folder: VoicemailFolder
    }

    struct Greetings: Encodable {
        let items: [Voicemail.Greeting]
    }

    func voicemail(_ principal: Principal) -> Voicemail {
        Voicemail(db: context.db, publisher: context.publisher, actor: principal.actor)
    }

    /// The box `number` when `principal` may open it: any box of the tenant for operators and its
    /// admins, their own and their groups' for a user. - Throws: 404 for any other.
    func openBox(_ principal: Principal, tenant: String, number: String) async throws -> VoicemailBox {
        guard Validation.isExtension(number) else { throw APIError.invalid("a box number is 2–6 digits") }
        guard principal.role == .user else { return try await voicemail(principal).box(tenant: tenant, number: number) }
        guard let box = try await voicemail(principal).boxes(tenant: tenant, visibleTo: principal.subject).first(where: { $0.number == number })
        else { throw APIError.notFound("tenant \(tenant) has no voicemail box \(number)") }
        return box
    }

    /// The caller, the path's tenant (checked by `check`) and the `:box` of the path, which the caller may open.
    func boxRequest(_ request: Request, _ context: ServiceRequestContext,
                    _ check: (Principal, String) throws -> Void = { try $0.requireMember(of: $1) }) async throws
        -> (Principal, String, VoicemailBox)
    {
        let (principal, tenant) = try await tenantRequest(request, context, check)
        return (principal, tenant, try await openBox(principal, tenant: tenant, number: try context.parameter("box")))
    }

    /// The `:message` of the path; one that is no UUID is no message.
    static func messageID(_ context: ServiceRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameter("message")) else { throw APIError.notFound("no such message") }
        return id
    }

    static func greetingKind(_ context: ServiceRequestContext) throws -> GreetingKind {
        guard let kind = GreetingKind(rawValue: try context.parameter("kind")) else {
            throw APIError.notFound("greetings are unavailable, busy, temporary and name")
        }
        return kind
    }

    static func wav(_ bytes: [UInt8], disposition: String) -> Response {
        Response(status: .ok, headers: [.contentType: "audio/wav", .contentDisposition: disposition, .cacheControl: "private, no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func addVoicemailRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        addVoicemailBoxRoutes(to: v1)
        addVoicemailMessageRoutes(to: v1)
        addVoicemailGreetingRoutes(to: v1)
    }

    private func addVoicemailBoxRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/voicemail/boxes") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireMember(of: $1) }
            let page = try PageRequest(request)
            let boxes = try await voicemail(principal).boxes(tenant: tenant, visibleTo: principal.role == .user ? principal.subject : nil)
                .filter { $0.number > page.after ?? "" }
            return try JSON.response(Page(Array(boxes.prefix(page.fetch)), limit: page.limit) { $0.number })
        }
        v1.post("tenants/:tenant/voicemail/boxes") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let new = try await JSON.decode(NewGroupBox.self, from: request)
            let store = voicemail(principal)
            let pin = try await store.createGroupBox(tenant: tenant, group: new.group, number: new.number, email: new.email)
            return try JSON.response(CreatedBox(box: try await store.box(tenant: tenant, number: new.number), pin: pin), status: .created)
        }
        v1.get("tenants/:tenant/voicemail/boxes/:box") { request, context -> Response in
            try JSON.response(try await boxRequest(request, context).2)
        }
        v1.patch("tenants/:tenant/voicemail/boxes/:box") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            let change = try await JSON.decode(BoxChange.self, from: request)
            // What the box costs the tenant, and where a group's messages go, are the admins' to say.
            if principal.role == .user, change.quota != nil || change.email != nil {
                throw APIError.forbidden("only a tenant admin may change a box's quota or e-mail")
            }
            let settings = Voicemail.Settings(greetingMode: change.greetingMode, maxSeconds: change.maxSeconds, minMs: change.minMs,
                                              quota: change.quota, emailNotify: change.emailNotify,
                                              email: change.email.map { $0.isEmpty ? nil : $0 })
            return try JSON.response(try await voicemail(principal).update(tenant: tenant, box: box.number, settings))
        }
        v1.delete("tenants/:tenant/voicemail/boxes/:box") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context) { try $0.requireAdmin(of: $1) }
            guard box.group != nil else {
                throw APIError.conflict("box \(box.number) is user \(box.owner ?? box.number)'s; it goes when the user is deleted")
            }
            try await voicemail(principal).deleteGroupBox(tenant: tenant, number: box.number)
            return JSON.noContent()
        }
        v1.post("tenants/:tenant/voicemail/boxes/:box/pin/reset") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(BoxPIN(pin: try await voicemail(principal).resetPIN(tenant: tenant, box: box.number)))
        }
        v1.put("tenants/:tenant/voicemail/boxes/:box/pin") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            let store = voicemail(principal)
            // A PIN of one's choosing is the box's people's own; an admin resets it instead.
            guard principal.role != .operator, try await store.mayOpen(tenant: tenant, box: box.number, extension: principal.subject) else {
                throw APIError.forbidden("only the box's user (or a member of its group) chooses its PIN; an admin resets it")
            }
            let change = try await JSON.decode(BoxPIN.self, from: request)
            try await store.changePIN(tenant: tenant, box: box.number, pin: change.pin)
            return JSON.noContent()
        }
    }

    private func addVoicemailMessageRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/voicemail/boxes/:box/messages") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            let folder = try request.uri.queryParameters["folder"].map { raw in
                guard let folder = VoicemailFolder(rawValue: String(raw)) else { throw APIError.invalid("folder must be new, heard or saved") }
                return folder
            }
            // At most the box's quota: one page.
            let messages = try await voicemail(principal).messages(tenant: tenant, box: box.number, folder: folder)
            return try JSON.response(Page(messages, limit: messages.count) { $0.id.uuidString.lowercased() })
        }
        v1.get("tenants/:tenant/voicemail/boxes/:box/messages/:message") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            return try JSON.response(try await voicemail(principal).message(tenant: tenant, box: box.number, id: try Self.messageID(context)))
        }
        v1.patch("tenants/:tenant/voicemail/boxes/:box/messages/:message") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            let id = try Self.messageID(context)
            let move = try await JSON.decode(MessageMove.self, from: request)
            let store = voicemail(principal)
            try await store.move(tenant: tenant, box: box.number, id: id, to: move.folder)
            return try JSON.response(try await store.message(tenant: tenant, box: box.number, id: id))
        }
        v1.delete("tenants/:tenant/voicemail/boxes/:box/messages/:message") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            try await voicemail(principal).delete(tenant: tenant, box: box.number, id: try Self.messageID(context))
            return JSON.noContent()
        }
        v1.post("tenants/:tenant/voicemail/boxes/:box/messages/:message/audio-url") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            let message = try await voicemail(principal).message(tenant: tenant, box: box.number, id: try Self.messageID(context))
            return try JSON.response(signedURL(to: "/v1/tenants/\(tenant)/voicemail/boxes/\(box.number)/messages/\(message.id.uuidString.lowercased())/audio",
                                               for: principal))
        }
        // Without a bearer token: the signed link is the credential, checked before anything is read.
        v1.get("tenants/:tenant/voicemail/boxes/:box/messages/:message/audio") { request, context -> Response in
            let slug = try TenantSlug(try context.parameter("tenant"))
            let number = try context.parameter("box")
            guard Validation.isExtension(number) else { throw APIError.invalid("a box number is 2–6 digits") }
            let id = try Self.messageID(context)
            let (principal, download) = try await signedCaller(request, tenant: slug, making: "POST …/audio-url")
            // Only while the caller still reaches the box.
            let box = try await openBox(principal, tenant: slug.value, number: number)
            let store = voicemail(principal)
            let message = try await store.message(tenant: slug.value, box: box.number, id: id)
            let wav = try await media.object(sha256: message.sha256, tenant: slug)
            try await store.audioAccessed(tenant: slug.value, box: box.number, id: id, download: download)
            let name = "voicemail-\(box.number)-\(id.uuidString.lowercased()).wav"
            return Self.wav(wav, disposition: download ? "attachment; filename=\"\(name)\"" : "inline; filename=\"\(name)\"")
        }
    }

    private func addVoicemailGreetingRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/voicemail/boxes/:box/greetings") { request, context -> Response in
            let (_, tenant, box) = try await boxRequest(request, context)
            let greetings = try await Voicemail.greetings(box: box.number, slug: try TenantSlug(tenant), on: self.context.db)
            return try JSON.response(Greetings(items: GreetingKind.allCases.compactMap { greetings[$0] }))
        }
        v1.put("tenants/:tenant/voicemail/boxes/:box/greetings/:kind") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            let kind = try Self.greetingKind(context)
            let upload = try await Self.audioUpload(request)
            let greeting = try await media.uploadGreeting(upload, kind: kind, box: box.number, tenant: try TenantSlug(tenant), actor: principal.actor)
            return try JSON.response(greeting, status: .created)
        }
        v1.post("tenants/:tenant/voicemail/boxes/:box/greetings/:kind/speech") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            let kind = try Self.greetingKind(context)
            let speech = try await JSON.decode(NewSpeech.self, from: request)
            let greeting = try await media.speakGreeting(try speech.checkedText(), language: speech.language, kind: kind, box: box.number,
                                                         tenant: try TenantSlug(tenant), actor: principal.actor)
            return try JSON.response(greeting, status: .created)
        }
        v1.get("tenants/:tenant/voicemail/boxes/:box/greetings/:kind") { request, context -> Response in
            let (_, tenant, box) = try await boxRequest(request, context)
            let kind = try Self.greetingKind(context)
            let wav = try await media.greetingAudio(kind: kind, box: box.number, tenant: try TenantSlug(tenant))
            return Self.wav(wav, disposition: "inline; filename=\"greeting-\(box.number)-\(kind.rawValue).wav\"")
        }
        v1.delete("tenants/:tenant/voicemail/boxes/:box/greetings/:kind") { request, context -> Response in
            let (principal, tenant, box) = try await boxRequest(request, context)
            try await voicemail(principal).removeGreeting(tenant: tenant, box: box.number, kind: try Self.greetingKind(context))
            return JSON.noContent()
        }
    }
}
