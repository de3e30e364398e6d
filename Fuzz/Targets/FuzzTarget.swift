import Media
import NIOCore
import SIP

/// The parsers that read bytes from the network (DESIGN §8), each driven the way the edge drives
/// it: parse, then read every value the edge reads. A target returns for any input; a trap is a
/// bug. libFuzzer runs them (`make fuzz`), and the corpus replay test runs them in a normal build.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// A datagram or framed message: start line, every header the edge reads (compact forms
    /// included), the SDP or DTMF body, the response the edge would build.
    case sipMessage = "sip-message"
    /// Bytes of a TCP or TLS stream, in chunks, through the Content-Length framing.
    case sipStream = "sip-stream"
    /// An SDP body (RFC 4566) as an offer or answer.
    case sdp
    /// An `Authorization` / `Proxy-Authorization` value, parsed and checked.
    case digest
    /// An RTP packet: the header, an RFC 4733 event in its payload, G.711 transcoding in place.
    case rtp
    /// The body of a SIP INFO carrying DTMF (`application/dtmf-relay`, `application/dtmf`).
    case dtmfInfo = "dtmf-info"

    /// Runs one input through the target.
    package func run(_ bytes: [UInt8]) {
        switch self {
        case .sipMessage: Self.sipMessage(bytes)
        case .sipStream: Self.sipStream(bytes)
        case .sdp: Self.sdp(bytes)
        case .digest: Self.digest(String(decoding: bytes, as: UTF8.self))
        case .rtp: Self.rtp(bytes)
        case .dtmfInfo: Self.dtmfInfo(bytes)
        }
    }

    /// An invariant of the parsers: when it fails, the fuzzer reports the input as a crash.
    static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant: \(message())") }
    }

    static func sipMessage(_ bytes: [UInt8]) {
        let message: SIPMessage
        do {
            message = try SIPParser.parseUnvalidated(bytes)
        } catch {
            if let partial = error.partial { readAsTheEdgeDoes(partial) }
            return
        }
        readAsTheEdgeDoes(message)
        guard (try? SIPParser.validate(message)) != nil else { return }
        // What passed validation still passes after the edge writes it out again.
        check((try? SIPParser.parse(message.serialized())) != nil, "a valid message fails to parse once serialized")
    }

    /// Every header and body the edge reads, through the same parsers.
    static func readAsTheEdgeDoes(_ message: SIPMessage) {
        for via in message.values("Via") {
            if let parsed = Via(via) { _ = (parsed.host, parsed.port, parsed.branch, parsed.transport) }
        }
        for name in ["From", "To", "Contact", "Route", "Record-Route", "P-Asserted-Identity", "Refer-To", "Diversion"] {
            for value in message.values(name) {
                guard let address = NameAddress(value) else { continue }
                _ = (address.tag, NameAddress.parameter("expires", in: value), SIPURI(address.uri)?.description)
                _ = SIPHeader.unbracketed(value)
            }
        }
        if let uri = message.requestURI, let parsed = SIPURI(uri) { _ = (parsed.parameter("transport"), parsed.description) }
        _ = message["CSeq"].flatMap(CSeq.init)
        _ = message["Max-Forwards"].flatMap(Int.init)
        _ = message["Expires"].flatMap(Int.init)
        _ = SIPHeader.splitList(message["Require"] ?? "")
        _ = message["Event"].flatMap(SIPEvent.init)?.description
        _ = SimpleMessageSummary.isAccepted(by: message.values("Accept"))
        for name in ["Authorization", "Proxy-Authorization"] { if let value = message[name] { digest(value) } }
        if let type = message["Content-Type"]?.lowercased() {
            if type.hasPrefix("application/sdp") { sdp(message.body) }
            _ = DTMFInfo(contentType: type, body: message.body)
        }
        if message.method != nil {
            let request = message.withReceived(host: "192.0.2.1", port: 5060)
            _ = request.response(400, "Bad Request", toTag: "fuzz").serialized()
        } else {
            var dialog = Dialog(callID: "c", localURI: "<sip:a@b>", localTag: "t", remoteURI: "<sip:c@d>", remoteTag: nil,
                                remoteTarget: "sip:c@d", localCSeq: 1)
            dialog.confirm(with: message)
            _ = dialog.request("BYE", via: "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfuzz", contact: nil).serialized()
        }
    }

    static func sipStream(_ bytes: [UInt8]) {
        // The first byte picks the chunk size, so the fuzzer explores every split of the stream.
        guard let first = bytes.first else { return }
        let chunk = Int(first % 64) + 1
        var decoder = SIPStreamDecoder(maximumMessageSize: 4096)
        var buffer = ByteBuffer()
        var offset = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            do {
                while let frame = try decoder.nextMessage(&buffer) {
                    check(frame.count <= 4096, "a frame beyond the limit")
                    sipMessage(frame)
                }
            } catch {
                _ = (error.status, error.reason, error.head.map { try? SIPParser.parseUnvalidated($0) })
                return
            }
        }
    }

    static func sdp(_ bytes: [UInt8]) {
        guard let offer = try? SessionDescription.parse(bytes) else { return }
        _ = (offer.g711, offer.telephoneEvent, offer.isHold, offer.direction.answer)
        // The edge answers only with formats it shares (else 488): with one, what it writes must parse.
        guard !offer.formats.isEmpty else { return }
        check((try? SessionDescription.parse(offer.serialized())) != nil, "an SDP the edge wrote does not parse")
    }

    static let authenticator = DigestAuthenticator(secret: Array("fuzz-secret".utf8))

    static func digest(_ header: String) {
        guard let credentials = DigestCredentials(header) else { return }
        _ = authenticator.check(authorization: credentials, method: "REGISTER", realm: credentials.realm,
                                ha1: DigestAuthenticator.hash(.md5, "\(credentials.username):\(credentials.realm):secret"))
    }

    static func rtp(_ bytes: [UInt8]) {
        guard let header = RTPHeader(bytes) else { return }
        let payloadEnd = bytes.count - header.padding
        check(header.payloadOffset <= payloadEnd, "the payload ends before it starts")
        let payload = bytes[header.payloadOffset..<payloadEnd]
        if let event = TelephoneEvent(payload: payload) {
            check(TelephoneEvent(payload: event.serialized) == event, "an RFC 4733 event does not survive a round trip")
            _ = event.key?.character
        }
        // The relay transcodes in place by table, indexed by every payload byte.
        for byte in payload { _ = (G711.ulawToALaw[Int(byte)], G711.alawToULaw[Int(byte)]) }
    }

    static func dtmfInfo(_ bytes: [UInt8]) {
        for type in DTMFInfo.contentTypes {
            if let info = DTMFInfo(contentType: type, body: bytes) { _ = (info.key.character, info.duration) }
        }
    }
}
