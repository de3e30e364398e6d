import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Runtime
import Tenancy

/// The tenant's prompts, voicemail greetings and message audio as the API and the CLI reach them:
/// through `recording`'s internal HTTP (`SWITCHBOARD_RECORDING_URL`), since only `recording` writes
/// the media store (DESIGN §7). It converts uploads, speaks text and refuses to delete a prompt in
/// use; its refusals come back as
/// `Failure`s with its reason.
package struct MediaStoreClient: Sendable {
    /// What `recording` refused, or that it did not answer.
    package struct Failure: Error, CustomStringConvertible {
        package enum Reason: Sendable {
            case invalid, notFound, conflict, tooLarge
            /// `recording` did not answer, or answered with its own failure.
            case unavailable
        }

        package let reason: Reason
        package let message: String
        package var description: String { message }
    }

    /// The largest upload: `recording` takes no more.
    package static let maximumUpload = 20 << 20
    /// Conversion and text-to-speech run sox and espeak-ng: seconds on a busy machine. The rest is
    /// quick, and bounds how long a request waits while `recording` is away (the client retries
    /// connecting until then).
    static let convertTimeout: TimeAmount = .seconds(60)
    static let timeout: TimeAmount = .seconds(10)

    /// `http://host:port` of `recording`.
    let baseURL: String
    /// `SWITCHBOARD_INTERNAL_TOKEN`.
    let token: String
    let client: HTTPClient

    /// - Parameter client: the process's (`ServiceContext.httpClient`), shut down by its owner.
    package init(baseURL: String, token: String, client: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = client
    }

    /// With a client of its own, for a process without one (the CLI): `shutdown()` when done.
    package init(baseURL: String, token: String) {
        self.init(baseURL: baseURL, token: token, client: HTTPClient(eventLoopGroupProvider: .singleton))
    }

    /// Closes the connections of a client of its own.
    package func shutdown() async throws {
        try await client.shutdown()
    }

    /// `text` spoken in `language` as one of the tenant's objects (not a named prompt): what a
    /// voicemail menu says that changes from call to call. - Returns: its SHA-256.
    package func speech(_ text: String, language: Language, tenant: TenantSlug) async throws -> String {
        struct Spoken: Decodable { let sha256: String }
        let body = try JSONEncoder().encode(["text": text, "language": language.rawValue])
        let answer = try await send(.POST, "/internal/speech/\(tenant.value)", body: Array(body), contentType: "application/json",
                                    timeout: Self.convertTimeout)
        return try JSONDecoder().decode(Spoken.self, from: Data(answer)).sha256
    }

    /// The tenant's prompts and the system prompts in its language, by name.
    package func prompts(tenant: TenantSlug) async throws -> [PromptView] {
        try JSONDecoder().decode([PromptView].self, from: Data(try await send(.GET, "/internal/prompts/\(tenant.value)")))
    }

    /// Stores a WAV, MP3 or OGG file as the prompt `name` (replacing one of that name), converted to 8 kHz mono.
    package func upload(_ bytes: [UInt8], name: String, tenant: TenantSlug, language: Language? = nil) async throws -> PromptView {
        let query = language.map { "?language=\($0.rawValue)" } ?? ""
        let answer = try await send(.PUT, "/internal/prompts/\(tenant.value)/\(try Self.checked(name))\(query)", body: bytes,
                                    contentType: "application/octet-stream", timeout: Self.convertTimeout)
        return try JSONDecoder().decode(PromptView.self, from: Data(answer))
    }

    /// Makes the prompt `name` by text-to-speech.
    package func speak(_ text: String, language: Language, name: String, tenant: TenantSlug) async throws -> PromptView {
        struct Speech: Encodable {
            let text: String
            let language: Language
        }
        let body = Array(try JSONEncoder().encode(Speech(text: text, language: language)))
        let answer = try await send(.POST, "/internal/prompts/\(tenant.value)/\(try Self.checked(name))/speech", body: body,
                                    contentType: "application/json", timeout: Self.convertTimeout)
        return try JSONDecoder().decode(PromptView.self, from: Data(answer))
    }

    /// The prompt's audio, an 8 kHz mono WAV file.
    package func audio(name: String, tenant: TenantSlug) async throws -> [UInt8] {
        try await send(.GET, "/internal/prompts/\(tenant.value)/\(try Self.checked(name))")
    }

    /// Deletes the tenant's own prompt `name`. - Throws: `.conflict` while an announcement or menu plays it.
    package func delete(name: String, tenant: TenantSlug) async throws {
        _ = try await send(.DELETE, "/internal/prompts/\(tenant.value)/\(try Self.checked(name))")
    }

    /// Any object of the tenant by its hash: a voicemail message's audio, say (an 8 kHz mono WAV file).
    package func object(sha256: String, tenant: TenantSlug) async throws -> [UInt8] {
        guard sha256.count == 64, sha256.allSatisfy({ $0.isHexDigit }) else { throw Failure(reason: .invalid, message: "not a SHA-256") }
        return try await send(.GET, "/internal/media/\(tenant.value)/\(sha256.lowercased())")
    }

    /// An object as `recording` sends it, to be passed on as it comes: an export's archive, or a
    /// call recording (Ogg Opus in the store) as an 8 kHz stereo WAV file (`asWAV`: caller left,
    /// callee right); whole, or the part a client's `Range` header asks for.
    package struct Download: Sendable {
        /// 200, 206 (a part), or 416 (a range past the end).
        package let status: Int
        /// Content-Type, Content-Length, Content-Range and Accept-Ranges, as `recording` gave them.
        package let headers: [(name: String, value: String)]
        package let length: Int?
        package let body: HTTPClientResponse.Body
    }

    /// A download may last as long as the client takes to read a large export.
    static let downloadTimeout: TimeAmount = .hours(6)

    package func download(sha256: String, tenant: TenantSlug, asWAV: Bool = false, range: String?) async throws -> Download {
        guard sha256.count == 64, sha256.allSatisfy({ $0.isHexDigit }) else { throw Failure(reason: .invalid, message: "not a SHA-256") }
        var request = HTTPClientRequest(url: baseURL + "/internal/media/\(tenant.value)/\(sha256.lowercased())" + (asWAV ? "?as=wav" : ""))
        if let (name, value) = InternalHTTP.authorization(token: token) { request.headers.add(name: name, value: value) }
        if let range { request.headers.add(name: "Range", value: range) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: Self.downloadTimeout)
        } catch {
            throw Failure(reason: .unavailable, message: "the media store (recording at \(baseURL)) did not answer: \(error)")
        }
        guard [200, 206, 416].contains(response.status.code) else {
            let answer = (try? await response.body.collect(upTo: 64 * 1024)).map { Array(buffer: $0) } ?? []
            throw Self.failure(status: response.status, answer: answer)
        }
        let passed = ["content-type", "content-length", "content-range", "accept-ranges"]
        return Download(status: Int(response.status.code),
                        headers: response.headers.filter { passed.contains($0.name.lowercased()) }.map { ($0.name, $0.value) },
                        length: response.headers.first(name: "content-length").flatMap(Int.init), body: response.body)
    }

    /// Sets a box's greeting from a WAV, MP3 or OGG file, converted to 8 kHz mono. `actor` is who
    /// the audit log names.
    package func uploadGreeting(_ bytes: [UInt8], kind: GreetingKind, box: String, tenant: TenantSlug,
                                actor: String) async throws -> Voicemail.Greeting {
        let answer = try await send(.PUT, try Self.greetingPath(kind, box, tenant), body: bytes, contentType: "application/octet-stream",
                                    actor: actor, timeout: Self.convertTimeout)
        return try JSONDecoder().decode(Voicemail.Greeting.self, from: Data(answer))
    }

    /// Sets a box's greeting by text-to-speech.
    package func speakGreeting(_ text: String, language: Language, kind: GreetingKind, box: String, tenant: TenantSlug,
                               actor: String) async throws -> Voicemail.Greeting {
        struct Speech: Encodable {
            let text: String
            let language: Language
        }
        let body = Array(try JSONEncoder().encode(Speech(text: text, language: language)))
        let answer = try await send(.POST, try Self.greetingPath(kind, box, tenant) + "/speech", body: body, contentType: "application/json",
                                    actor: actor, timeout: Self.convertTimeout)
        return try JSONDecoder().decode(Voicemail.Greeting.self, from: Data(answer))
    }

    /// A box's greeting's audio, an 8 kHz mono WAV file.
    package func greetingAudio(kind: GreetingKind, box: String, tenant: TenantSlug) async throws -> [UInt8] {
        try await send(.GET, try Self.greetingPath(kind, box, tenant))
    }

    /// A box number is digits, and so a safe path segment.
    private static func greetingPath(_ kind: GreetingKind, _ box: String, _ tenant: TenantSlug) throws -> String {
        guard Validation.isExtension(box) else { throw Failure(reason: .invalid, message: "a box number is 2–6 digits") }
        return "/internal/voicemail/\(tenant.value)/\(box)/greetings/\(kind.rawValue)"
    }

    /// A name that is a prompt's, and so a safe path segment.
    private static func checked(_ name: String) throws -> String {
        guard Validation.isPromptName(name) else {
            throw Failure(reason: .invalid,
                          message: "prompt name \(String(reflecting: name)): 1–63 of a–z, 0–9, - and _, not starting with - or _")
        }
        return name
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, actor: String? = nil,
                      timeout: TimeAmount = Self.timeout) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let (name, value) = InternalHTTP.authorization(token: token) { request.headers.add(name: name, value: value) }
        if let actor { request.headers.add(name: "X-Switchboard-Actor", value: actor) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
        }
        let status: HTTPResponseStatus
        let answer: [UInt8]
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = response.status
            // A prompt or a message of ten minutes is under 10 MB.
            answer = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch {
            throw Failure(reason: .unavailable, message: "the media store (recording at \(baseURL)) did not answer: \(error)")
        }
        guard !(200..<300).contains(status.code) else { return answer }
        throw Self.failure(status: status, answer: answer)
    }

    /// recording's refusals are {"error": "..."}.
    private static func failure(status: HTTPResponseStatus, answer: [UInt8]) -> Failure {
        struct Refusal: Decodable { let error: String }
        let message = (try? JSONDecoder().decode(Refusal.self, from: Data(answer)))?.error ?? status.reasonPhrase
        let reason: Failure.Reason = switch status {
        case .badRequest: .invalid
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .tooLarge
        default: .unavailable
        }
        return Failure(reason: reason, message: reason == .unavailable ? "the media store failed (\(status.code)): \(message)" : message)
    }
}
