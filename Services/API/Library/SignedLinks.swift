import Crypto
import Foundation

/// Short-lived links to one resource of the API (DESIGN §7: listen and download through signed
/// URLs bound to one object and one caller): a voicemail message's audio, a call recording's, an
/// export. A link is the resource's path, the token of the caller it was made for and when it
/// expires, with an HMAC-SHA256 over all three (`SWITCHBOARD_SIGNED_URL_SECRET`, the same on every
/// api instance): any instance checks it without state, and a player (an `<audio>` element, a
/// download) fetches it without the bearer token, which never appears in a URL.
package struct SignedLinks: Sendable {
    /// How long a link is valid: long enough to start playing, short enough that a link copied out
    /// of a browser's history is dead.
    package static let lifetime: TimeInterval = 300

    /// What a link says.
    package struct Link: Sendable, Equatable {
        /// The resource: a path of the API without its query.
        package var path: String
        /// The id of the token it was made for; the link dies with the token.
        package var caller: UUID
        /// Unix time, in seconds.
        package var expires: Int

        package init(path: String, caller: UUID, expires: Int) {
            self.path = path
            self.caller = caller
            self.expires = expires
        }

        package var expiresAt: Date { Date(timeIntervalSince1970: TimeInterval(expires)) }
    }

    package enum Refusal: Error, Equatable {
        /// The signature is not this link's: changed, or made with another key.
        case forged
        case expired
    }

    // Key bytes; a SymmetricKey is made per use (it is not Sendable).
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }

    package init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    /// A link to `path` for the caller, valid from `now` for `lifetime`.
    package func link(to path: String, caller: UUID, now: Date = Date()) -> Link {
        Link(path: path, caller: caller, expires: Int(now.timeIntervalSince1970 + Self.lifetime))
    }

    /// The link's path and query, relative to the API's address.
    package func url(_ link: Link) -> String {
        "\(link.path)?expires=\(link.expires)&by=\(link.caller.uuidString.lowercased())&signature=\(signature(link))"
    }

    /// Base64url without padding: it goes in a query as it is.
    package func signature(_ link: Link) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Self.signed(link), using: key)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Checks a presented link: its signature first (in constant time), then its expiry.
    package func verify(_ link: Link, signature: String, now: Date = Date()) throws(Refusal) {
        var base64 = signature.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard signature.count == 43, let mac = Data(base64Encoded: base64),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.signed(link), using: key)
        else { throw .forged }
        guard now.timeIntervalSince1970 < TimeInterval(link.expires) else { throw .expired }
    }

    /// One field a line: none of them can hold a newline (a path has none, then a UUID, a number).
    private static func signed(_ link: Link) -> Data {
        Data(["signed-link", link.path, link.caller.uuidString.lowercased(), String(link.expires)].joined(separator: "\n").utf8)
    }
}

import Hummingbird
import Runtime
import Tenancy

extension API {
    /// A signed link as the API hands it out.
    struct SignedURL: Encodable {
        /// Relative to the API's address; plays (or shows) inline.
        let url: String
        /// The same, as a download.
        let downloadUrl: String
        let expiresAt: Date
    }

    /// A link to `path` for the principal.
    func signedURL(to path: String, for principal: Principal) -> SignedURL {
        let link = signedLinks.link(to: path, caller: principal.tokenID)
        let url = signedLinks.url(link)
        return SignedURL(url: url, downloadUrl: url + "&download=1", expiresAt: link.expiresAt)
    }

    /// The caller a signed link to this request's path was made for, once its signature, expiry
    /// and token hold and the caller still belongs to the tenant; and whether it asks for a download.
    /// Checked before anything is read. - Parameter making: the request that makes such links, for the errors.
    func signedCaller(_ request: Request, tenant slug: TenantSlug, making: String) async throws -> (principal: Principal, download: Bool) {
        let query = request.uri.queryParameters
        guard let expires = query["expires"].flatMap({ Int(String($0)) }), let caller = query["by"].flatMap({ UUID(uuidString: String($0)) }),
              let signature = query["signature"].map(String.init) else {
            throw APIError.invalid("a signed link carries expires, by and signature: \(making) makes one")
        }
        let download: Bool
        switch query["download"].map(String.init) {
        case nil, "0": download = false
        case "1": download = true
        default: throw APIError.invalid("download must be 0 or 1")
        }
        do throws(SignedLinks.Refusal) {
            try signedLinks.verify(SignedLinks.Link(path: request.uri.path, caller: caller, expires: expires), signature: signature)
        } catch {
            switch error {
            case .forged: throw APIError.forbidden("the link is not valid; \(making) makes one")
            case .expired: throw APIError.forbidden("the link has expired; \(making) makes a new one")
            }
        }
        // Bound to its caller: dead once their token is.
        guard let principal = try await auth.principal(tokenID: caller), principal.role == .operator || principal.tenant == slug.value else {
            throw APIError.forbidden("the link's caller has logged out; \(making) makes a new one")
        }
        return (principal, download)
    }
}
