import Crypto
import Foundation

/// Short-lived links to a voicemail message's audio (DESIGN §7: listen and download through
/// signed URLs bound to one object and one caller). A link names the tenant, the box, the message,
/// the token of the caller it was made for and when it expires, with an HMAC-SHA256 over all of
/// them (`SWITCHBOARD_SIGNED_URL_SECRET`, the same on every api instance): any instance checks it
/// without state, and a player (an `<audio>` element, a download) fetches it without the bearer
/// token, which never appears in a URL.
package struct AudioLinks: Sendable {
    /// How long a link is valid: long enough to start playing, short enough that a link copied out
    /// of a browser's history is dead.
    package static let lifetime: TimeInterval = 300

    /// What a link says.
    package struct Link: Sendable, Equatable {
        package var tenant: String
        package var box: String
        package var message: UUID
        /// The id of the token it was made for; the link dies with the token.
        package var caller: UUID
        /// Unix time, in seconds.
        package var expires: Int

        package init(tenant: String, box: String, message: UUID, caller: UUID, expires: Int) {
            self.tenant = tenant
            self.box = box
            self.message = message
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

    /// A link for the caller, valid from `now` for `lifetime`.
    package func link(tenant: String, box: String, message: UUID, caller: UUID, now: Date = Date()) -> Link {
        Link(tenant: tenant, box: box, message: message, caller: caller, expires: Int(now.timeIntervalSince1970 + Self.lifetime))
    }

    /// The link's path and query, relative to the API's address.
    package func path(_ link: Link) -> String {
        "/v1/tenants/\(link.tenant)/voicemail/boxes/\(link.box)/messages/\(link.message.uuidString.lowercased())/audio"
            + "?expires=\(link.expires)&by=\(link.caller.uuidString.lowercased())&signature=\(signature(link))"
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

    /// One field a line: none of them can hold a newline (a slug, digits, UUIDs, a number).
    private static func signed(_ link: Link) -> Data {
        Data(["voicemail-audio", link.tenant, link.box, link.message.uuidString.lowercased(), link.caller.uuidString.lowercased(),
              String(link.expires)].joined(separator: "\n").utf8)
    }
}
