import Foundation
import HTTPTypes
import Hummingbird
import MediaClient

extension MediaStoreClient.Download {
    /// The response that passes the download on as `recording` sends it (never whole in memory):
    /// its status and length, the part a `Range` asked for, and `disposition`.
    func response(disposition: String) -> Response {
        var headers: HTTPFields = [.cacheControl: "private, no-store", .contentDisposition: disposition]
        for (name, value) in self.headers where name.lowercased() != "content-length" {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let body = self.body
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: ResponseBody(contentLength: length) { writer in
                            try await writer.write(body)
                            try await writer.finish(nil)
                        })
    }

    /// A whole file or a part of it was sent (not a 416): what the audit log counts as a download.
    var delivered: Bool { status == 200 || status == 206 }
}
