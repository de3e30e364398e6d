/// One side of a dialog (RFC 3261 §12) as a UA keeps it: identifiers, the remote target, and the
/// local CSeq, from which it makes in-dialog requests and the ACK of a 2xx.
package struct Dialog: Sendable {
    package var callID: String
    package var localURI: String
    package var localTag: String
    package var remoteURI: String
    package var remoteTag: String?
    /// The remote party's Contact: the Request-URI of in-dialog requests.
    package var remoteTarget: String
    package var routeSet: [String]
    package var localCSeq: UInt32
    /// The highest CSeq seen from the remote side; an older one is out of order (§12.2.2).
    package var remoteCSeq: UInt32?

    package init(callID: String, localURI: String, localTag: String, remoteURI: String, remoteTag: String?,
                 remoteTarget: String, routeSet: [String] = [], localCSeq: UInt32, remoteCSeq: UInt32? = nil) {
        self.callID = callID
        self.localURI = localURI
        self.localTag = localTag
        self.remoteURI = remoteURI
        self.remoteTag = remoteTag
        self.remoteTarget = remoteTarget
        self.routeSet = routeSet
        self.localCSeq = localCSeq
        self.remoteCSeq = remoteCSeq
    }

    /// Takes the remote side's tag, target and route set from the 2xx that established the dialog
    /// (RFC 3261 §12.1.2: the route set is the Record-Route reversed).
    package mutating func confirm(with response: SIPMessage) {
        remoteTag = response["To"].flatMap(NameAddress.init)?.tag
        remoteTarget = response["Contact"].flatMap(NameAddress.init)?.uri ?? remoteTarget
        routeSet = response.values("Record-Route").reversed()
    }

    /// A new in-dialog request; `via` is the top Via with a fresh branch.
    package mutating func request(_ method: String, via: String, contact: String?, body: [UInt8] = [],
                                  contentType: String? = nil) -> SIPMessage {
        if method != "ACK" { localCSeq += 1 }
        return makeRequest(method, cseq: localCSeq, via: via, contact: contact, body: body, contentType: contentType)
    }

    /// The ACK of a 2xx to the INVITE with `cseq` (§13.2.2.4): a request of its own, same CSeq number.
    package func ack(cseq: UInt32, via: String, body: [UInt8] = []) -> SIPMessage {
        makeRequest("ACK", cseq: cseq, via: via, contact: nil, body: body, contentType: body.isEmpty ? nil : "application/sdp")
    }

    private func makeRequest(_ method: String, cseq: UInt32, via: String, contact: String?, body: [UInt8],
                             contentType: String?) -> SIPMessage {
        var message = SIPMessage(startLine: .request(method: method, uri: SIPHeader.unbracketed(remoteTarget)))
        message.add("Via", via)
        message.add("Max-Forwards", "70")
        for route in routeSet { message.add("Route", route) }
        message.add("From", "\(localURI);tag=\(localTag)")
        message.add("To", remoteTag.map { "\(remoteURI);tag=\($0)" } ?? remoteURI)
        message.add("Call-ID", callID)
        message.add("CSeq", "\(cseq) \(method)")
        if let contact { message.add("Contact", contact) }
        if let contentType { message.add("Content-Type", contentType) }
        message.body = body
        return message
    }

    /// Checks the CSeq of a request from the remote side; false for one out of order.
    package mutating func acceptRemote(cseq: UInt32, method: String) -> Bool {
        if method == "ACK" || method == "CANCEL" { return true }
        if let last = remoteCSeq, cseq <= last { return false }
        remoteCSeq = cseq
        return true
    }
}

extension SIPHeader {
    /// The URI of a name-addr (`"Bob" <sip:bob@host>;tag=1` → `sip:bob@host`), or the text itself.
    package static func unbracketed(_ value: String) -> String {
        if let address = NameAddress(value) { return address.uri }
        return value
    }
}
