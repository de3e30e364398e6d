import Events
import Foundation
import Hummingbird
import Logging
import Media
import Messaging
import Runtime
import ServiceLifecycle
import Synchronization
import Tenancy

/// The `recording` service: the media store (DESIGN §2, §7): prompts, voicemail greetings and
/// messages and call recordings (assembled from `media.audio`). Its internal HTTP
/// (for sip-edge, ivr and api, inside the cluster) serves objects by hash and takes uploads and
/// text-to-speech of prompts and greetings.
package enum RecordingService {
    package static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "recording", defaultHTTPPort: 8084)
        definition.routes = { router, context in
            MediaRoutes(library: library(context), token: context.configuration.internalToken, publisher: context.publisher).add(to: router)
        }
        definition.services = { context in
            let library = library(context)
            let assembler = AudioAssembler(db: context.db, library: library,
                                           voicemail: Voicemail(db: context.db, publisher: context.publisher, actor: "recording"),
                                           outbox: context.outbox, logger: context.logger)
            var services: [any Service] = [
                KeyRotation(keys: dataKeys(context), rotating: !context.configuration.previousMasterKeys.isEmpty, logger: context.logger),
                SystemPrompts(library: library, logger: context.logger),
                // Chunks are kept as they come, so this is not on the call path: the relaxed fetch wait.
                GroupConsumer(context: context, group: "recording", topic: .mediaAudio, messages: assembler.handle),
                // A call recording's facts (number, retention) come from the edge's call events.
                GroupConsumer(context: context, group: "recording-calls", topic: .callEvents) { header, message in
                    try await assembler.calls.handle(header, message, assembler: assembler)
                },
                MediaSweeper(db: context.db, library: library, assembler: assembler, logger: context.logger,
                             deployment: context.configuration.topicPrefix),
                ExportBuilder(db: context.db, library: library, deployment: context.configuration.topicPrefix, logger: context.logger),
            ]
            if let smtp = context.configuration.smtp {
                // Made here: a CA file that cannot be read stops the service with one clear line.
                let mailer = VoicemailMailer(db: context.db, library: library, mailer: try SMTPClient(configuration: smtp), from: smtp.from,
                                             logger: context.logger)
                services.append(GroupConsumer(context: context, group: "recording-mail", topic: .voicemailEvents, handle: mailer.handle))
            }
            return services
        }
        // A deleted tenant's key is gone from the database; this process forgets its copy too, and
        // its objects leave the store (every instance tries; a second finds nothing).
        // A terminated tenant's media is exported for its export window.
        definition.onControlEvent = { context, header, message in
            guard header.type == TenantStatusChanged.type,
                  let change = try? header.decode(message.value ?? [], as: TenantStatusChanged.self) else { return }
            if change.data.status == .terminated, let slug = try? TenantSlug(change.data.slug) {
                do {
                    try await MediaExports(db: context.db, deployment: context.configuration.topicPrefix).requestContractEnd(tenant: slug)
                } catch {
                    context.logger.error("a terminated tenant's export could not be asked for", metadata: ["tenant": "\(slug)", "error": "\(error)"])
                }
            }
            guard change.data.status == .deleted else { return }
            await dataKeys(context).forget(change.data.slug)
            do {
                let count = try await library(context).store.deleteAll(owner: change.data.slug)
                context.logger.info("a deleted tenant's media removed", metadata: ["tenant": "\(change.data.slug)", "objects": "\(count)"])
            } catch {
                context.logger.error("a deleted tenant's media could not be removed", metadata: ["tenant": "\(change.data.slug)", "error": "\(error)"])
            }
        }
        return definition
    }

    static func library(_ context: ServiceContext) -> MediaLibrary {
        let backing: any ObjectStore = switch context.configuration.mediaStore {
        case .file(let directory): FileObjectStore(root: directory)
        case .s3(let bucket): S3ObjectStore(configuration: bucket, client: context.httpClient)
        }
        return MediaLibrary(db: context.db, store: EncryptedObjectStore(backing: backing, keys: dataKeys(context)))
    }

    /// One cache of data keys in the process, shared by the routes and the services.
    static func dataKeys(_ context: ServiceContext) -> DataKeys {
        processDataKeys.withLock { keys in
            if let keys { return keys }
            let made = DataKeys(db: context.db, masterKey: context.configuration.masterKey, previous: context.configuration.previousMasterKeys)
            keys = made
            return made
        }
    }

    private static let processDataKeys = Mutex<DataKeys?>(nil)
}

/// What `/internal/speech` made, kept for the process's life (bounded: the oldest go first).
actor SpokenTexts {
    private var made: [String: String] = [:]
    private var order: [String] = []
    static let limit = 2_000

    private static func key(_ speech: MediaRoutes.Speech, _ tenant: TenantSlug) -> String { "\(tenant.value)|\(speech.language)|\(speech.text)" }

    func sha256(of speech: MediaRoutes.Speech, tenant: TenantSlug) -> String? { made[Self.key(speech, tenant)] }

    func remember(_ sha: String, of speech: MediaRoutes.Speech, tenant: TenantSlug) {
        let key = Self.key(speech, tenant)
        if made.updateValue(sha, forKey: key) == nil { order.append(key) }
        if order.count > Self.limit { made[order.removeFirst()] = nil }
    }
}

/// `recording`'s internal HTTP: `/internal/speech/{tenant}` (POST text-to-speech of an unnamed object),
/// `/internal/media/{tenant}/{sha256}` (an object the tenant may read; `?as=wav` a call recording
/// as WAV), `/internal/prompts/{tenant}` (list), `/internal/prompts/{tenant}/{name}` (PUT an upload,
/// GET the audio, DELETE), `/internal/prompts/{tenant}/{name}/speech` (POST text-to-speech),
/// `/internal/voicemail/{tenant}/{box}/greetings/{kind}` (PUT an upload, GET the audio) and its
/// `/speech` (POST text-to-speech). A greeting's change is audited as the `X-Switchboard-Actor`
/// the API sends (its caller), else as `recording`.
struct MediaRoutes: Sendable {
    let library: MediaLibrary
    /// `SWITCHBOARD_INTERNAL_TOKEN`: what every request must carry (none when empty).
    let token: String
    let publisher: EventPublisher
    /// The largest upload taken: 20 MB.
    static let maximumUpload = 20 << 20

    struct Speech: Decodable, Hashable {
        let text: String
        let language: String
    }

    /// Text already spoken, by tenant: the menus of voicemail say the same counts and dates often.
    let spoken = SpokenTexts()

    func add(to router: Router<ServiceRequestContext>) {
        let media = router.group("internal").add(middleware: InternalTokenMiddleware(token: token))
        media.get("media/:tenant/:sha256") { request, context -> Response in
            try await handling {
                let tenant = try TenantSlug(try context.parameters.require("tenant"))
                guard let (key, kind) = try await library.readable(sha256: try context.parameters.require("sha256").lowercased(), tenant: tenant)
                else { return Self.error(.notFound, "no such object") }
                // A call recording is kept as Ogg Opus; `?as=wav` gives it as a stereo WAV file.
                if kind == "recording", request.uri.queryParameters["as"] == "wav" {
                    guard let opus = try await library.store.get(key) else { return Self.error(.notFound, "no such object") }
                    return try MediaDownload.recordingWAV(opus, request: request)
                }
                let type = switch kind {
                case "recording": "audio/ogg"
                case "export": "application/zip"
                default: "audio/wav"
                }
                if let length = try await library.store.size(key) {
                    return MediaDownload.object(key, length: length, contentType: type, store: library.store, request: request)
                }
                // A system prompt this store lacks is made again.
                guard let bytes = try await library.object(sha256: key.sha256, tenant: tenant) else { return Self.error(.notFound, "no such object") }
                return Self.wav(bytes)
            }
        }
        media.get("prompts/:tenant") { _, context -> Response in
            try await handling {
                try JSON.response(try await library.prompts(tenant: try TenantSlug(try context.parameters.require("tenant"))))
            }
        }
        media.get("prompts/:tenant/:name") { _, context -> Response in
            try await handling {
                let tenant = try TenantSlug(try context.parameters.require("tenant"))
                guard let prompt = try await library.prompt(named: try context.parameters.require("name"), tenant: tenant),
                      let bytes = try await library.object(sha256: prompt.sha256, tenant: tenant) else {
                    return Self.error(.notFound, "no such prompt")
                }
                return Self.wav(bytes)
            }
        }
        media.put("prompts/:tenant/:name") { request, context -> Response in
            try await handling {
                var request = request
                let tenant = try TenantSlug(try context.parameters.require("tenant"))
                let name = try context.parameters.require("name")
                try MediaLibrary.validate(name: name)
                let upload = Array(buffer: try await request.collectBody(upTo: Self.maximumUpload))
                let wav = try await AudioConverter.prompt(from: upload)
                let language = request.uri.queryParameters["language"].map(String.init)
                return try JSON.response(try await library.savePrompt(wav, name: name, tenant: tenant, source: .upload,
                                                                      language: language, text: nil), status: .created)
            }
        }
        media.post("prompts/:tenant/:name/speech") { request, context -> Response in
            try await handling {
                var request = request
                let tenant = try TenantSlug(try context.parameters.require("tenant"))
                let name = try context.parameters.require("name")
                try MediaLibrary.validate(name: name)
                let speech = try await Self.speech(in: &request)
                let wav = try await AudioConverter.speech(speech.text, language: speech.language)
                return try JSON.response(try await library.savePrompt(wav, name: name, tenant: tenant, source: .tts,
                                                                      language: speech.language, text: speech.text), status: .created)
            }
        }
        media.get("voicemail/:tenant/:box/greetings/:kind") { _, context -> Response in
            try await handling {
                let (tenant, box, kind) = try Self.greeting(context)
                guard let bytes = try await library.greeting(kind, box: box, tenant: tenant) else {
                    return Self.error(.notFound, "box \(box) has no \(kind.rawValue) greeting")
                }
                return Self.wav(bytes)
            }
        }
        media.put("voicemail/:tenant/:box/greetings/:kind") { request, context -> Response in
            try await handling {
                var request = request
                let (tenant, box, kind) = try Self.greeting(context)
                let voicemail = voicemail(request)
                // Before the conversion: a box that is none is a quick 404.
                _ = try await voicemail.box(tenant: tenant.value, number: box)
                let upload = Array(buffer: try await request.collectBody(upTo: Self.maximumUpload))
                let wav = try await AudioConverter.prompt(from: upload)
                return try JSON.response(try await library.saveGreeting(wav, kind: kind, box: box, tenant: tenant, source: .upload, text: nil,
                                                                        voicemail: voicemail), status: .created)
            }
        }
        media.post("voicemail/:tenant/:box/greetings/:kind/speech") { request, context -> Response in
            try await handling {
                var request = request
                let (tenant, box, kind) = try Self.greeting(context)
                let voicemail = voicemail(request)
                _ = try await voicemail.box(tenant: tenant.value, number: box)
                let speech = try await Self.speech(in: &request)
                let wav = try await AudioConverter.speech(speech.text, language: speech.language)
                return try JSON.response(try await library.saveGreeting(wav, kind: kind, box: box, tenant: tenant, source: .tts,
                                                                        text: speech.text, voicemail: voicemail), status: .created)
            }
        }
        media.post("speech/:tenant") { request, context -> Response in
            try await handling {
                var request = request
                let tenant = try TenantSlug(try context.parameters.require("tenant"))
                let speech = try await Self.speech(in: &request)
                if let sha = await spoken.sha256(of: speech, tenant: tenant) { return try JSON.response(["sha256": sha]) }
                let wav = try await AudioConverter.speech(speech.text, language: speech.language)
                let sha = try await library.storeObject(wav, kind: "prompt", tenant: tenant, on: library.db).sha256
                await spoken.remember(sha, of: speech, tenant: tenant)
                return try JSON.response(["sha256": sha], status: .created)
            }
        }
        media.delete("prompts/:tenant/:name") { _, context -> Response in
            try await handling {
                try await library.deletePrompt(named: try context.parameters.require("name"),
                                               tenant: try TenantSlug(try context.parameters.require("tenant")))
                return JSON.noContent()
            }
        }
    }

    /// The store as the request's actor (`X-Switchboard-Actor`): the API's caller, for the audit log.
    private func voicemail(_ request: Request) -> Voicemail {
        let actor = request.headers.first { $0.name.canonicalName == "x-switchboard-actor" }.map { String($0.value.prefix(200)) } ?? ""
        return Voicemail(db: library.db, publisher: publisher, actor: actor.isEmpty ? "recording" : actor)
    }

    /// The tenant, box and kind of a greeting's path.
    private static func greeting(_ context: ServiceRequestContext) throws -> (TenantSlug, String, GreetingKind) {
        let tenant = try TenantSlug(try context.parameters.require("tenant"))
        let box = try context.parameters.require("box")
        guard Validation.isExtension(box) else { throw MediaLibrary.Failure.invalid("a box number is 2–6 digits") }
        guard let kind = GreetingKind(rawValue: try context.parameters.require("kind")) else {
            throw MediaLibrary.Failure.notFound("greetings are unavailable, busy, temporary and name")
        }
        return (tenant, box, kind)
    }

    /// Input errors as 400/404/409 with the reason; the rest is the server's (500, logged by the router).
    private func handling(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let failure as AudioConverter.Failure {
            if case .unusable(let reason) = failure { return Self.error(.badRequest, reason) }
            throw failure
        } catch let failure as MediaLibrary.Failure {
            switch failure {
            case .invalid(let reason): return Self.error(.badRequest, reason)
            case .notFound(let reason): return Self.error(.notFound, reason)
            case .conflict(let reason): return Self.error(.conflict, reason)
            }
        } catch let failure as TenancyError {
            switch failure {
            case .invalid(let reason): return Self.error(.badRequest, reason)
            case .notFound(let reason): return Self.error(.notFound, reason)
            case .conflict(let reason): return Self.error(.conflict, reason)
            }
        }
    }

    /// A text-to-speech request's body. - Throws: `.invalid` (a 400) when it is not one.
    private static func speech(in request: inout Request) async throws -> Speech {
        let body = try await request.collectBody(upTo: 64 * 1024)
        guard let speech = try? JSONDecoder().decode(Speech.self, from: Data(body.readableBytesView)) else {
            throw MediaLibrary.Failure.invalid("the body must be {\"text\": …, \"language\": \"et\" or \"en\"}")
        }
        return speech
    }

    private static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        (try? JSON.response(["error": message], status: status)) ?? Response(status: status)
    }

    private static func wav(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A master key rotation (`SWITCHBOARD_MASTER_KEY_PREVIOUS` set): every data key is wrapped anew by
/// the current master key once at start-up (every instance tries; the second finds nothing left).
struct KeyRotation: Service {
    let keys: DataKeys
    let rotating: Bool
    let logger: Logger

    func run() async throws {
        if rotating {
            do {
                let (rewrapped, unreadable) = try await keys.rewrapAll()
                logger.info("master key rotation: data keys rewrapped", metadata: ["rewrapped": "\(rewrapped)", "unreadable": "\(unreadable)"])
                if unreadable > 0 {
                    logger.error("master key rotation: some data keys open with no configured master key",
                                 metadata: ["count": "\(unreadable)"])
                }
            } catch {
                logger.error("master key rotation failed; data keys are rewrapped as they are used", metadata: ["error": "\(error)"])
            }
        }
        try? await gracefulShutdown()
    }
}
