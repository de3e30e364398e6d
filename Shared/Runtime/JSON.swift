import Foundation
import Hummingbird

/// JSON responses of every service's HTTP: one encoder (ISO 8601 dates, sorted keys).
package enum JSON {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    package static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: Array(try encoder.encode(value)))))
    }

    package static func noContent() -> Response { Response(status: .noContent) }
}
