import Foundation
import Logging
import NIOConcurrencyHelpers
import SIP

/// What a client transaction reports to its transaction user.
enum ClientTransactionEvent: Sendable {
    case response(SIPMessage)
    /// No final response in time (Timer B/F) or the transport failed: the TU treats it as a 408.
    case timeout
}

/// The edge's client transactions (RFC 3261 §17.1): each request the edge sends runs the
/// `ClientTransaction` state machine, whose timers retransmit over UDP and give up; responses are
/// matched by the top Via's branch and method (§17.1.3) and handed to the transaction user in order.
final class ClientTransactions: Sendable {
    private struct Entry {
        var machine: ClientTransaction
        let request: SIPMessage
        let target: SIPTarget
        let onEvent: @Sendable (ClientTransactionEvent) -> Void
        var timers: [SIPTimer: Task<Void, Never>] = [:]
        var lastResponse: SIPMessage?
    }

    private let transport: SIPTransport
    private let logger: Logger
    private let table = NIOLockedValueBox<[String: Entry]>([:])

    init(transport: SIPTransport, logger: Logger) {
        self.transport = transport
        self.logger = logger
    }

    var count: Int { table.withLockedValue { $0.count } }

    /// Sends `request` (its top Via carries the branch) and reports responses through `onEvent`.
    func start(_ request: SIPMessage, to target: SIPTarget, onEvent: @escaping @Sendable (ClientTransactionEvent) -> Void) async {
        let key = Self.key(request)
        var machine = ClientTransaction(isInvite: request.method == "INVITE", reliable: target.transport != "UDP")
        let actions = machine.start()
        table.withLockedValue { $0[key] = Entry(machine: machine, request: request, target: target, onEvent: onEvent) }
        await perform(actions, key: key)
    }

    /// Hands a response to its transaction. False when none matches (a stray, or a 2xx
    /// retransmission after the INVITE transaction ended, which the dialog handles).
    func receive(_ response: SIPMessage) async -> Bool {
        guard let status = response.status else { return false }
        let key = Self.key(response)
        let actions: [TransactionAction]? = table.withLockedValue { table in
            guard var entry = table[key] else { return nil }
            let actions = entry.machine.receive(status: status)
            entry.lastResponse = response
            table[key] = entry
            return actions
        }
        guard let actions else { return false }
        await perform(actions, key: key)
        return true
    }

    private func fire(_ timer: SIPTimer, key: String) async {
        let actions = table.withLockedValue { table -> [TransactionAction] in
            guard var entry = table[key] else { return [] }
            let actions = entry.machine.fire(timer)
            table[key] = entry
            return actions
        }
        await perform(actions, key: key)
    }

    private func perform(_ actions: [TransactionAction], key: String) async {
        for action in actions {
            guard let entry = table.withLockedValue({ $0[key] }) else { return }
            switch action {
            case .send:
                do {
                    try await transport.send(entry.request, to: entry.target)
                } catch {
                    logger.debug("SIP send failed", metadata: ["target": "\(entry.target)", "error": "\(error)"])
                    let more = table.withLockedValue { table -> [TransactionAction] in
                        guard var entry = table[key] else { return [] }
                        let actions = entry.machine.transportError()
                        table[key] = entry
                        return actions
                    }
                    await perform(more, key: key)
                    return
                }
            case .sendAck:
                if let response = entry.lastResponse {
                    try? await transport.send(Self.ack(for: entry.request, response: response), to: entry.target)
                }
            case .passUp:
                if let response = entry.lastResponse { entry.onEvent(.response(response)) }
            case .timeout:
                entry.onEvent(.timeout)
            case .start(let timer, let duration):
                let task = Task { [weak self] in
                    try? await Task.sleep(for: duration)
                    guard !Task.isCancelled else { return }
                    await self?.fire(timer, key: key)
                }
                table.withLockedValue { table in
                    table[key]?.timers[timer]?.cancel()
                    table[key]?.timers[timer] = task
                }
            case .cancel(let timer):
                table.withLockedValue { table in
                    table[key]?.timers[timer]?.cancel()
                    table[key]?.timers[timer] = nil
                }
            case .terminate:
                let removed = table.withLockedValue { $0.removeValue(forKey: key) }
                for task in removed?.timers.values ?? [:].values { task.cancel() }
            }
        }
    }

    private static func key(_ message: SIPMessage) -> String {
        let branch = message["Via"].flatMap(Via.init)?.branch ?? ""
        let method = message["CSeq"].flatMap(CSeq.init)?.method ?? ""
        return "\(branch)|\(method)"
    }

    /// The ACK for a non-2xx final response, part of the INVITE transaction (§17.1.1.3).
    static func ack(for invite: SIPMessage, response: SIPMessage) -> SIPMessage {
        var ack = SIPMessage(startLine: .request(method: "ACK", uri: invite.requestURI ?? ""))
        if let via = invite["Via"] { ack.add("Via", SIPHeader.splitList(via).first ?? via) }
        ack.add("Max-Forwards", "70")
        if let from = invite["From"] { ack.add("From", from) }
        if let to = response["To"] { ack.add("To", to) }
        if let callID = invite["Call-ID"] { ack.add("Call-ID", callID) }
        let number = invite["CSeq"].flatMap(CSeq.init)?.number ?? 1
        ack.add("CSeq", "\(number) ACK")
        for route in invite.values("Route") { ack.add("Route", route) }
        return ack
    }

    /// The CANCEL of a pending request (§9.1): same Request-URI, Call-ID, From, To, CSeq number and Via branch.
    static func cancel(for request: SIPMessage) -> SIPMessage {
        var cancel = SIPMessage(startLine: .request(method: "CANCEL", uri: request.requestURI ?? ""))
        if let via = request["Via"] { cancel.add("Via", SIPHeader.splitList(via).first ?? via) }
        cancel.add("Max-Forwards", "70")
        for name in ["From", "To", "Call-ID"] { if let value = request[name] { cancel.add(name, value) } }
        let number = request["CSeq"].flatMap(CSeq.init)?.number ?? 1
        cancel.add("CSeq", "\(number) CANCEL")
        for route in request.values("Route") { cancel.add("Route", route) }
        return cancel
    }
}
