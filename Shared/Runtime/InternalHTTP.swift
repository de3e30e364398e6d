import Hummingbird

/// The services' internal HTTP (`/internal/…`, inside the cluster: sip-edge and api calling
/// recording) is reached with a shared secret, `SWITCHBOARD_INTERNAL_TOKEN`, as a bearer token:
/// without it anyone who can reach a pod's port could read every tenant's audio.
package enum InternalHTTP {
    /// The header a client sends; none when no token is configured (one machine).
    package static func authorization(token: String) -> (name: String, value: String)? {
        token.isEmpty ? nil : ("Authorization", "Bearer \(token)")
    }
}

/// Refuses a request to the internal routes without the configured token (401); lets every
/// request through when no token is configured.
package struct InternalTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let expected: [UInt8]

    package init(token: String) {
        expected = token.isEmpty ? [] : Array("Bearer \(token)".utf8)
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !expected.isEmpty else { return try await next(request, context) }
        let given = Array((request.headers[.authorization] ?? "").utf8)
        // The same time whatever the token's first wrong byte.
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        guard difference == 0 else {
            return Response(status: .unauthorized, headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"error":"the internal HTTP needs its token"}"#)))
        }
        return try await next(request, context)
    }
}
