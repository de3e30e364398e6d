import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import SIP

/// Turns received bytes into responses: parsing and validation, transaction matching, then the
/// method's handler. Everything that goes wrong becomes a SIP status or a counted drop.
struct SIPRequestRouter: Sendable {
    let registrar: Registrar
    let calls: CallController
    let messageWaiting: MessageWaiting
    let transactions: ServerTransactions
    let clientTransactions: ClientTransactions
    let sequencer = MessageSequencer()
    let logger: Logger
    /// Option tags this edge implements; a Require naming another gets 420 (RFC 3261 §8.2.2.3).
    static let supportedExtensions: Set<String> = ["path", "outbound"]
    static let allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, SUBSCRIBE"

    /// Takes one received message and handles it in order with the others of its call; `reply` gets
    /// the response to send back, if any, and `finished` is called once the message is handled (or
    /// dropped). Called from the receive loop, in arrival order. Returns the answer to send at once
    /// instead (an overload refusal, made without a task), after calling `finished`.
    func submit(_ bytes: [UInt8], source: SIPSource, load: SIPLoad = .idle, reply: @escaping @Sendable ([UInt8]) async -> Void,
                finished: @escaping @Sendable () -> Void = {}) -> [UInt8]? {
        switch admit(bytes, source: source, load: load, reply: reply, finished: finished) {
        case .refused(let refusal): refusal
        case .taken: nil
        }
    }

    private enum Admission {
        case refused([UInt8])
        /// Being handled by this task (nil: dropped at once).
        case taken(Task<Void, Never>?)
    }

    private func admit(_ bytes: [UInt8], source: SIPSource, load: SIPLoad, reply: @escaping @Sendable ([UInt8]) async -> Void,
                       finished: @escaping @Sendable () -> Void) -> Admission {
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 }) {  // keep-alive (RFC 5626 CRLF)
            finished()
            return .taken(nil)
        }
        let message: SIPMessage
        do {
            message = try SIPParser.parseUnvalidated(bytes)
        } catch {
            // A request whose headers parsed but whose body did not (a Content-Length past the end of
            // a datagram) is answered 400 like any other malformed request (RFC 3261 §18.3).
            guard let partial = error.partial, partial.method != nil else {
                drop("unparseable", source: source, error: error)
                finished()
                return .taken(nil)
            }
            return .taken(sequencer.enqueue(key: partial["Call-ID"] ?? "") {
                if let response = refusal(partial, error, source: source) { await reply(response) }
                finished()
            })
        }
        if load.refuses(message), (try? SIPParser.validate(message)) != nil, !isUnderway(message, source: source) {
            finished()
            return .refused(overloaded(message, source: source))
        }
        return .taken(sequencer.enqueue(key: message["Call-ID"] ?? "") {
            if let response = await handle(parsed: message, source: source) { await reply(response) }
            finished()
        })
    }

    /// Handles one message and returns the response to send back (for a stream, where messages
    /// arrive one after another anyway).
    func handle(_ bytes: [UInt8], source: SIPSource) async -> [UInt8]? {
        let box = NIOLockedValueBox<[UInt8]?>(nil)
        switch admit(bytes, source: source, load: .idle, reply: { response in box.withLockedValue { $0 = response } }, finished: {}) {
        case .refused(let refusal): return refusal
        case .taken(let task): await task?.value
        }
        return box.withLockedValue { $0 }
    }

    /// A retransmission of a request being handled, or an INVITE of a live call: never refused, or
    /// the client would hear 503 for work already accepted.
    private func isUnderway(_ request: SIPMessage, source: SIPSource) -> Bool {
        transactions.holds(request, source: source.description) || calls.registry.call(sipCallID: request["Call-ID"] ?? "") != nil
    }


    private func handle(parsed message: SIPMessage, source: SIPSource) async -> [UInt8]? {
        guard message.method != nil else {
            if (try? SIPParser.validate(message)) != nil, await !clientTransactions.receive(message) {
                calls.unmatched(message)
            }
            return nil
        }
        do {
            try SIPParser.validate(message)
        } catch {
            return refusal(message, error, source: source)
        }
        let request = message.withReceived(host: source.host, port: source.port)
        // The ACK, and an INVITE of a live call (retransmission or re-INVITE), go to the call as they are.
        if request.method == "ACK" || (request.method == "INVITE" && calls.registry.call(sipCallID: request["Call-ID"] ?? "") != nil) {
            return await respond(to: request, source: source)?.serialized()
        }
        if case .some(let resend) = transactions.retransmission(of: request, source: source.description) {
            return resend
        }
        guard let response = await respond(to: request, source: source) else { return nil }
        let bytes = response.serialized()
        transactions.complete(message, source: source.description, response: bytes)
        return bytes
    }

    /// The answer to a malformed request: its status and reason, or nothing when the request is an
    /// ACK or too broken to carry the headers of a response (then it is dropped and counted).
    private func refusal(_ request: SIPMessage, _ error: SIPParseError, source: SIPSource) -> [UInt8]? {
        SIPMetrics.malformed(error.status).increment()
        guard request.method != "ACK", request["Via"] != nil, request["Call-ID"] != nil, request["CSeq"] != nil else {
            drop("no headers to answer with", source: source, error: error)
            return nil
        }
        return request.withReceived(host: source.host, port: source.port).response(error.status, error.reason).serialized()
    }

    /// The answer to a request that broke a stream's framing (513 when too large, 400 without a
    /// Content-Length), when its header block can carry a response.
    func framingRefusal(_ error: SIPStreamDecoder.FramingError, source: SIPSource) -> [UInt8]? {
        guard let head = error.head else {
            SIPMetrics.malformed(error.status).increment()
            return nil
        }
        let request: SIPMessage
        do {
            request = try SIPParser.parseUnvalidated(head)
        } catch {
            guard let partial = error.partial else { return nil }
            request = partial
        }
        guard request.method != nil else { return nil }
        return refusal(request, SIPParseError(error.status, error.reason), source: source)
    }

    /// The 503 for a request refused because the edge is saturated (`SIPLoad`).
    private func overloaded(_ request: SIPMessage, source: SIPSource) -> [UInt8] {
        SIPMetrics.overloadRejections.increment()
        var response = request.withReceived(host: source.host, port: source.port).response(503, "Overloaded")
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
            var response = request.response(200, toTag: SIPTransport.randomToken(8))
            response.add("Allow", Self.allow)
            response.add("Allow-Events", SIPEvent.messageSummary)
            response.add("Accept", "application/sdp")
            response.add("Supported", Self.supportedExtensions.sorted().joined(separator: ", "))
            return response
        case "INVITE", "ACK", "BYE", "CANCEL", "INFO", "UPDATE":
            return await calls.handle(request, source: source)
        case "SUBSCRIBE":
            return await messageWaiting.handle(request, source: source)
        default:
            var response = request.response(501)
            response.add("Allow", Self.allow)
            return response
        }
    }

    private func drop(_ why: String, source: SIPSource, error: any Error) {
        SIPMetrics.dropped(why).increment()
        logger.debug("SIP message dropped", metadata: ["reason": "\(why)", "source": "\(source)", "error": "\(error)"])
    }
}
