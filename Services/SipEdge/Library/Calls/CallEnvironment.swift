import Events
import Foundation
import Logging
import Messaging
import Postgres
import Runtime
import SIP

/// What every call of this edge shares: transports, transactions, the event publisher, the
/// database, media ports and settings.
struct CallEnvironment: Sendable {
    /// This edge: its deployment (the topic prefix) and ordinal.
    let deployment: String
    let edge: Int
    let transport: SIPTransport
    let transactions: ClientTransactions
    let serverTransactions: ServerTransactions
    let publisher: EventPublisher
    /// Where CDRs go, in the transaction that ends the call's live-call row.
    let outbox: Outbox
    let db: PostgresClient
    let rtpPorts: RTPPortAllocator
    /// Prompt audio for calls in applications.
    let prompts: PromptCache
    /// The operator's trunks, when configured, and how they are told of a diverted call.
    let trunks: Trunks?
    var trunkDiversion: DiversionHeaders = .diversion
    let routeTimeout: Duration
    /// How long a bridged call may go without RTP from either side before it is ended.
    let mediaTimeout: Duration
    /// Told whenever a call publishes something a command may answer.
    var commandWaker = CommandWaker()
    /// The time calls read and their timers wait on.
    var clock: any CallClock = SystemCallClock()
    let logger: Logger

    /// What each call's state machine is given of the edge.
    var callSettings: CallSettings {
        let transport = transport
        return CallSettings(edge: transport.address, edgeOrdinal: edge, trunks: trunks, trunkDiversion: trunkDiversion, routeTimeout: routeTimeout,
                            mediaTimeout: mediaTimeout, isConnected: { transport.canReach($0) })
    }

    /// Sends the response to a request of a call and remembers it for retransmissions of a
    /// non-INVITE request (its server transaction).
    func respond(_ response: SIPMessage, to request: SIPMessage, target: SIPTarget) async {
        if request.method != "INVITE" {
            transactions(complete: request, response: response, target: target)
        }
        do {
            try await transport.send(response, to: target)
        } catch {
            logger.debug("response not sent", metadata: ["target": "\(target)", "error": "\(error)"])
        }
    }

    private func transactions(complete request: SIPMessage, response: SIPMessage, target: SIPTarget) {
        serverTransactions.complete(request, source: "\(target.host):\(target.port)", response: response.serialized())
    }

    /// The Via of a request the edge sends to `target`.
    func via(for target: SIPTarget) -> String {
        transport.via(transport: target.transport, branch: SIPTransport.newBranch())
    }
}

/// The time of the edge's calls: the system's, or one a test moves by hand.
protocol CallClock: Sendable {
    var now: Date { get }
    func sleep(for duration: Duration) async throws
}

struct SystemCallClock: CallClock {
    var now: Date { Date() }
    func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// Publishes a call's events and journal writes one after another, off the call's own loop, so a
/// slow broker or database never holds up signalling and events still leave in order. `run()` is
/// a child task of the call: the call is over only when its journal is written.
final class CallJournal: Sendable {
    private let work: AsyncStream<@Sendable () async -> Void>
    private let continuation: AsyncStream<@Sendable () async -> Void>.Continuation

    init() {
        (work, continuation) = AsyncStream<@Sendable () async -> Void>.makeStream()
    }

    func append(_ work: @escaping @Sendable () async -> Void) { continuation.yield(work) }
    func finish() { continuation.finish() }

    /// Does the work in order until `finish()` and everything before it is done.
    func run() async {
        for await step in work { await step() }
    }
}
