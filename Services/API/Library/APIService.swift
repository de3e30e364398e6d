import Foundation
import Hummingbird
import MediaClient
import Runtime
import Tenancy

/// The `api` service: the control plane: REST API, authentication, provisioning, console (DESIGN §2).
package enum APIService {
    package static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "api", defaultHTTPPort: 8080)
        definition.routes = { router, context in
            let configuration = context.configuration
            let api = API(context: context, media: MediaStoreClient(baseURL: configuration.recordingURL, token: configuration.internalToken,
                                                                    client: context.httpClient))
            router.get("/openapi.yaml") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/yaml"],
                         body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
            }
            // On the router, not the group: unknown paths get the one error shape too.
            router.add(middleware: APIErrorMiddleware(logger: context.logger))
            let v1 = router.group("v1")
            api.addAuthRoutes(to: v1)
            api.addTenantRoutes(to: v1)
            api.addUserRoutes(to: v1)
            api.addNumberRoutes(to: v1)
            api.addGroupRoutes(to: v1)
            api.addScheduleRoutes(to: v1)
            api.addPromptRoutes(to: v1)
            api.addAnnouncementRoutes(to: v1)
            api.addMenuRoutes(to: v1)
            api.addVoicemailRoutes(to: v1)
            api.addRecordingRoutes(to: v1)
            api.addExportRoutes(to: v1)
            api.addBillingRoutes(to: v1)
        }
        return definition
    }
}

/// What every route handler uses: the caller's identity, the shared provisioning code, the
/// path's tenant.
struct API: Sendable {
    let context: ServiceContext
    let auth: Authenticator
    let throttle: LoginThrottle
    /// `recording`'s internal HTTP, where prompts and voicemail audio go.
    let media: MediaStoreClient
    /// Signs and checks the links to voicemail audio.
    let signedLinks: SignedLinks

    init(context: ServiceContext, media: MediaStoreClient) {
        self.context = context
        self.media = media
        signedLinks = SignedLinks(secret: context.configuration.signedURLSecret)
        auth = Authenticator(db: context.db, lifetime: .seconds(context.configuration.apiTokenMinutes * 60))
        throttle = LoginThrottle(perSource: context.configuration.apiLoginFailuresPerAddress)
    }

    var provisioning: Provisioning { Provisioning(db: context.db, publisher: context.publisher, logger: context.logger) }
    var lifecycle: TenantLifecycle { TenantLifecycle(db: context.db, publisher: context.publisher, logger: context.logger) }

    func dialplan(_ principal: Principal) -> DialplanConfiguration {
        DialplanConfiguration(db: context.db, publisher: context.publisher, actor: principal.actor)
    }

    /// The authenticated caller and the `:tenant` of the path, checked by `check` and known to exist.
    func tenantRequest(_ request: Request, _ context: ServiceRequestContext,
                       _ check: (Principal, String) throws -> Void) async throws -> (Principal, String) {
        let principal = try await auth.principal(request)
        let tenant = try context.parameter("tenant")
        try check(principal, tenant)
        _ = try await provisioning.tenant(tenant)
        return (principal, tenant)
    }
}

extension ServiceRequestContext {
    /// A path parameter, percent-decoded: clients send `+3726001000` as `%2B3726001000`.
    func parameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else { throw APIError.invalid("path parameter \(name) is not valid percent-encoding") }
        return decoded
    }
}
