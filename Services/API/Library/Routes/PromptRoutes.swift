import Foundation
import Hummingbird
import MediaClient
import NIOCore
import Runtime
import Tenancy

/// The tenant's prompts: uploads and text-to-speech, kept by `recording` (the media store's only
/// writer), which these routes pass through to.
extension API {
    struct NewSpeech: Decodable {
        let text: String
        let language: Language

        /// The text to speak, checked: 1–`maximumSpeech` code points and no control characters
        /// but line breaks and tabs (a NUL once reached the synthesizer and came back as a 503).
        func checkedText() throws -> String {
            guard (1...API.maximumSpeech).contains(text.unicodeScalars.count) else {
                throw APIError.invalid("text must be 1–\(API.maximumSpeech) characters")
            }
            guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" && $0 != "\r" }) else {
                throw APIError.invalid("text must not hold control characters")
            }
            return text
        }
    }

    /// The longest text spoken (recording's limit), in code points as the document counts them.
    static let maximumSpeech = 2000

    /// What an upload may be sent as. `recording` knows the format by the bytes; this keeps out
    /// what a client plainly did not mean as audio.
    static let audioTypes: Set<String> = ["audio/wav", "audio/x-wav", "audio/mpeg", "audio/ogg"]

    /// An uploaded audio file (a prompt or a greeting): its bytes, sent as one of `audioTypes`, at
    /// most `MediaStoreClient.maximumUpload`.
    static func audioUpload(_ request: Request) async throws -> [UInt8] {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard audioTypes.contains(type) else {
            throw APIError.invalid("send the file as Content-Type audio/wav, audio/x-wav, audio/mpeg or audio/ogg, "
                                   + "not \(String(reflecting: type))")
        }
        var request = request
        do {
            return Array(buffer: try await request.collectBody(upTo: MediaStoreClient.maximumUpload))
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, code: "too_large",
                           message: "the file is larger than \(MediaStoreClient.maximumUpload >> 20) MB")
        }
    }

    func addPromptRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("tenants/:tenant/prompts") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let page = try PageRequest(request)
            // Paged here, in Swift's order of names, as the cursor compares them.
            let prompts = try await media.prompts(tenant: try TenantSlug(tenant)).sorted { $0.name < $1.name }
                .filter { $0.name > page.after ?? "" }
            return try JSON.response(Page(Array(prompts.prefix(page.fetch)), limit: page.limit) { $0.name })
        }
        v1.put("tenants/:tenant/prompts/:prompt") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let language = try request.uri.queryParameters["language"].map { code in
                guard let language = Language(rawValue: String(code)) else { throw APIError.invalid("language must be et or en") }
                return language
            }
            let upload = try await Self.audioUpload(request)
            let prompt = try await media.upload(upload, name: try context.parameter("prompt"), tenant: try TenantSlug(tenant),
                                                language: language)
            return try JSON.response(prompt, status: .created)
        }
        v1.post("tenants/:tenant/prompts/:prompt/speech") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let speech = try await JSON.decode(NewSpeech.self, from: request)
            let prompt = try await media.speak(try speech.checkedText(), language: speech.language, name: try context.parameter("prompt"),
                                               tenant: try TenantSlug(tenant))
            return try JSON.response(prompt, status: .created)
        }
        v1.get("tenants/:tenant/prompts/:prompt/audio") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let name = try context.parameter("prompt")
            let wav = try await media.audio(name: name, tenant: try TenantSlug(tenant))
            return Response(status: .ok, headers: [.contentType: "audio/wav", .contentDisposition: "inline; filename=\"\(name).wav\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: wav)))
        }
        v1.delete("tenants/:tenant/prompts/:prompt") { request, context -> Response in
            let (_, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            try await media.delete(name: try context.parameter("prompt"), tenant: try TenantSlug(tenant))
            return JSON.noContent()
        }
    }
}
