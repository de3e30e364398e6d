import Foundation
import Hummingbird
import Logging
import MediaClient
import Postgres
import Runtime
import Tenancy

/// Every error the API answers with, in one JSON shape: `{"error": {"code": "...", "message": "..."}}`.
/// `code` is stable (clients switch on it); `message` says in words what is wrong.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    /// For 429: when to try again (the Retry-After header).
    var retryAfterSeconds: Int? = nil

    static func invalid(_ message: String) -> APIError { APIError(status: .badRequest, code: "invalid_request", message: message) }
    static func unauthenticated(_ message: String) -> APIError { APIError(status: .unauthorized, code: "unauthenticated", message: message) }
    static func forbidden(_ message: String) -> APIError { APIError(status: .forbidden, code: "forbidden", message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, code: "not_found", message: message) }
    static func conflict(_ message: String) -> APIError { APIError(status: .conflict, code: "conflict", message: message) }
    static func unavailable(_ message: String) -> APIError { APIError(status: .serviceUnavailable, code: "unavailable", message: message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"switchboard\"" }
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        let body = ErrorBody(error: .init(code: code, message: message))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Array((try? JSON.encoder.encode(body)) ?? Data()))))
    }

    private struct ErrorBody: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    /// What the client is told about any error: our own as they are, validation and lookups of the
    /// shared code as 400/404/409, Hummingbird's by their status; anything else is a 500 whose
    /// detail goes to the log only.
    static func from(_ error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError: return error
        case TenancyError.invalid(let message): return .invalid(message)
        case TenancyError.notFound(let message): return .notFound(message)
        case TenancyError.conflict(let message): return .conflict(message)
        case let error as MediaStoreClient.Failure:
            switch error.reason {
            case .invalid: return .invalid(error.message)
            case .notFound: return .notFound(error.message)
            case .conflict: return .conflict(error.message)
            case .tooLarge: return APIError(status: .contentTooLarge, code: "too_large", message: error.message)
            case .unavailable:
                logger.error("media store failed", metadata: ["error": "\(error)"])
                return .unavailable("the media store is unavailable; try again later")
            }
        // Class 22, data exception: a value that does not fit where it goes is the caller's.
        case let error as PostgresError where error.sqlState?.hasPrefix("22") == true: return .invalid(error.message)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound(error.body ?? "no such resource")
            case .methodNotAllowed: return APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "method not allowed here")
            case .contentTooLarge: return APIError(status: .contentTooLarge, code: "too_large", message: "the request body is too large")
            default:
                return APIError(status: error.status, code: error.status.code < 500 ? "invalid_request" : "internal",
                                message: error.body ?? error.status.reasonPhrase)
            }
        default:
            logger.error("request failed", metadata: ["error": "\(error)"])
            return APIError(status: .internalServerError, code: "internal", message: "internal error; the operator's logs have the details")
        }
    }
}

/// Turns every error below it into an `APIError` (the one JSON shape), including Hummingbird's own
/// 404 for unknown paths.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw APIError.from(error, logger: logger)
        }
    }
}

/// JSON in and out: ISO 8601 dates, stable key order, bodies of at most 64 KiB.
extension JSON {
    static let maximumBody = 64 * 1024

    /// The request's JSON body as `T`; a 400 that names the field for anything else.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maximumBody)
        } catch {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "the request body is larger than \(maximumBody) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch DecodingError.keyNotFound(let key, let context) {
            throw APIError.invalid("missing field \(path(context.codingPath + [key]))")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw APIError.invalid("field \(path(context.codingPath)) has the wrong type")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw APIError.invalid("field \(path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw APIError.invalid("the body must be a JSON object")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(body)" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

/// One page of a list: `items`, and `next`, the cursor of the following page (absent on the last).
struct Page<Item: Encodable>: Encodable {
    let items: [Item]
    let next: String?

    /// A page from up to `limit + 1` rows fetched after the cursor: the extra row only says there is more.
    init(_ rows: [Item], limit: Int, key: (Item) -> String) {
        items = Array(rows.prefix(limit))
        next = rows.count > limit ? items.last.map(key) : nil
    }
}

/// `?limit=` (1–200, default 50) and `?after=` (the `next` of the previous page).
struct PageRequest {
    let limit: Int
    let after: String?

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let raw = query["limit"] {
            guard let limit = Int(String(raw)), (1...200).contains(limit) else { throw APIError.invalid("limit must be 1–200") }
            self.limit = limit
        } else {
            limit = 50
        }
        after = query["after"].map(String.init)
        if let after, after.unicodeScalars.count > 200 { throw APIError.invalid("after is not a cursor of this list") }
    }

    /// Rows to fetch: one more than the page, to know whether another follows.
    var fetch: Int { limit + 1 }
}
