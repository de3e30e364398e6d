import Foundation
import Testing

@testable import Recording

/// The signer held to AWS's published examples of header-based Signature Version 4 for S3 ("Signature
/// Calculations for the Authorization Header: Transferring Payload in a Single Chunk"): their key,
/// bucket and time, their expected signatures.
@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let signer = SigV4Signer(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    /// 2013-05-24T00:00:00Z.
    static let date = Date(timeIntervalSince1970: 1_369_353_600)
    static let host = "examplebucket.s3.amazonaws.com"
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func authorization(_ request: SigV4Signer.Request) -> String? {
        signer.sign(request, at: date).first { $0.name == "authorization" }?.value
    }

    /// The header's `SignedHeaders=…` and `Signature=…`.
    static func signed(_ request: SigV4Signer.Request) -> (headers: String, signature: String)? {
        guard let fields = authorization(request)?.split(separator: " ").dropFirst().map({ $0.split(separator: "=") }),
              fields.count == 3 else { return nil }
        return (String(fields[1][1].dropLast()), String(fields[2][1]))
    }

    @Test("GET Object: canonical request, string to sign and signature as published")
    func getObject() {
        let request = SigV4Signer.Request(method: "GET", path: "/test.txt", headers: ["Host": Self.host, "Range": "bytes=0-9"],
                                          payloadSHA256: Self.emptyHash)
        #expect(SigV4Signer.canonicalRequest(request, timestamp: "20130524T000000Z") == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(Self.signer.stringToSign(request, timestamp: "20130524T000000Z") == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        let headers = Self.signer.sign(request, at: Self.date)
        #expect(headers.map(\.name) == ["x-amz-date", "x-amz-content-sha256", "authorization"])
        #expect(headers.first?.value == "20130524T000000Z")
        #expect(Self.authorization(request) == """
            AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
            SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
            Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
            """)
    }

    @Test("PUT Object: a payload hash, a Date header and an escaped `$` in the key")
    func putObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        #expect(SigV4Signer.sha256(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let request = SigV4Signer.Request(
            method: "PUT", path: "/test$file.text",
            headers: ["Host": Self.host, "Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
            payloadSHA256: SigV4Signer.sha256(body))
        #expect(SigV4Signer.canonicalRequest(request, timestamp: "20130524T000000Z").hasPrefix("PUT\n/test%24file.text\n\n"))
        #expect(Self.signed(request)?.headers == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(Self.signed(request)?.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET Bucket Lifecycle and List Objects: query parameters, with and without values, sorted")
    func queries() {
        let lifecycle = SigV4Signer.Request(method: "GET", path: "/", query: ["lifecycle": ""],
                                            headers: ["Host": Self.host], payloadSHA256: Self.emptyHash)
        #expect(Self.signed(lifecycle)?.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        let list = SigV4Signer.Request(method: "GET", path: "/", query: ["prefix": "J", "max-keys": "2"],
                                       headers: ["Host": Self.host], payloadSHA256: Self.emptyHash)
        #expect(SigV4Signer.canonicalRequest(list, timestamp: "20130524T000000Z").hasPrefix("GET\n/\nmax-keys=2&prefix=J\n"))
        #expect(Self.signed(list)?.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("escaping keeps the unreserved characters and a path's slashes; values are trimmed and their spaces collapsed")
    func escaping() {
        #expect(SigV4Signer.escape(path: "/a b/ü~_.-/x+y=z") == "/a%20b/%C3%BC~_.-/x%2By%3Dz")
        let spaced = SigV4Signer.Request(method: "GET", path: "/", headers: ["Host": Self.host, "X-Thing": "  a   b  "],
                                         payloadSHA256: Self.emptyHash)
        #expect(SigV4Signer.canonicalRequest(spaced, timestamp: "20130524T000000Z").contains("\nx-thing:a b\n"))
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 1_700_000_000.75)) == "20231114T221320Z")
    }
}
