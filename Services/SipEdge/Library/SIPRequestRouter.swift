import Foundation
import Logging
import Metrics
import SIP

/// Turns received bytes into responses: parsing and validation, transaction matching, then the
/// method's handler. Everything that goes wrong becomes a SIP status or a counted drop.
struct SIPRequestRouter: Sendable {
    let registrar: Registrar
    let transactions: ServerTransactions
    let logger: Logger
    /// Option tags this edge implements; a Require naming another gets 420 (RFC 3261 §8.2.2.3).
    static let supportedExtensions: Set<String> = ["path", "outbound"]
    static let allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE"

    func handle(_ bytes: [UInt8], source: SIPSource) async -> [UInt8]? {
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 }) { return nil }  // keep-alive (RFC 5626 CRLF)
        let message: SIPMessage
        do {
            message = try SIPParser.parseUnvalidated(bytes)
        } catch {
            drop("unparseable", source: source, error: error)
            return nil
        }
        guard message.method != nil else { return nil }  // responses: no client transactions yet
        do {
            try SIPParser.validate(message)
        } catch {
            SIPMetrics.malformed(error.status).increment()
            // A request too broken to carry the headers of a response is dropped.
            guard message["Via"] != nil, message["Call-ID"] != nil, message["CSeq"] != nil else {
                drop("no headers to answer with", source: source, error: error)
                return nil
            }
            return withReceived(message.response(error.status, error.reason), source: source)?.serialized()
        }
        if case .some(let resend) = transactions.retransmission(of: message, source: source.description) {
            return resend
        }
        let response = await respond(to: message, source: source)
        guard var response else { return nil }
        response = withReceived(response, source: source) ?? response
        let bytes = response.serialized()
        transactions.complete(message, source: source.description, response: bytes)
        return bytes
    }

    /// A 503 for a request that arrives while the edge is saturated.
    func overloaded(_ bytes: [UInt8]) -> [UInt8]? {
        SIPMetrics.overloadRejections.increment()
        guard let message = try? SIPParser.parse(bytes), message.method != nil, message.method != "ACK" else { return nil }
        var response = message.response(503, "Overloaded")
        response.add("Retry-After", "5")
        return response.serialized()
    }

    private func respond(to request: SIPMessage, source: SIPSource) async -> SIPMessage? {
        let method = request.method ?? ""
        if method != "ACK" && method != "CANCEL", let required = request["Require"] {
            let unsupported = SIPHeader.splitList(required).filter { !Self.supportedExtensions.contains($0.lowercased()) }
            if !unsupported.isEmpty {
                var response = request.response(420)
                response.add("Unsupported", unsupported.joined(separator: ", "))
                return response
            }
        }
        if let maxForwards = request["Max-Forwards"].flatMap(Int.init), maxForwards == 0, method != "REGISTER", method != "OPTIONS" {
            return request.response(483)
        }
        switch method {
        case "REGISTER":
            return await registrar.handle(request, source: source)
        case "OPTIONS":
            var response = request.response(200, toTag: String(UUID().uuidString.prefix(8)).lowercased())
            response.add("Allow", Self.allow)
            response.add("Accept", "application/sdp")
            response.add("Supported", Self.supportedExtensions.sorted().joined(separator: ", "))
            return response
        case "ACK":
            return nil
        default:
            var response = request.response(501, "Not Implemented yet")
            response.add("Allow", "OPTIONS, REGISTER")
            return response
        }
    }

    /// Adds received/rport to the top Via of a response (RFC 3261 §18.2.1, RFC 3581), so the answer
    /// reaches a client behind NAT.
    private func withReceived(_ response: SIPMessage, source: SIPSource) -> SIPMessage? {
        guard let index = response.headers.firstIndex(where: { $0.name == "Via" }) else { return response }
        var copy = response
        var via = copy.headers[index].value
        if let top = SIPHeader.splitList(via).first, top.count != via.count {
            // Only the first Via of a combined header line is the client's.
            via = top
            copy.headers.insert(SIPHeader(name: "Via", value: String(response.headers[index].value.dropFirst(top.count + 1)).trimmingSIPWhitespace()), at: index + 1)
        }
        var parameters = via.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        parameters = parameters.map { $0.trimmingSIPWhitespace() == "rport" ? "rport=\(source.port)" : $0 }
        parameters.append("received=\(source.host)")
        copy.headers[index].value = parameters.joined(separator: ";")
        return copy
    }

    private func drop(_ why: String, source: SIPSource, error: any Error) {
        SIPMetrics.dropped(why).increment()
        logger.debug("SIP message dropped", metadata: ["reason": "\(why)", "source": "\(source)", "error": "\(error)"])
    }
}
