import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import ServiceLifecycle
import SIP

/// The operator's trunks (`SWITCHBOARD_SIP_TRUNK`, in order of preference), each up or down as its
/// OPTIONS keep-alives and the calls sent to it find it. A call goes out through the first that is
/// up; with every one down, through the first (a trunk may ignore OPTIONS and still take calls),
/// whose silence then refuses the call within seconds rather than at Timer B.
final class Trunks: Sendable {
    let targets: [SIPTarget]
    private let down = NIOLockedValueBox<Set<Int>>([])

    init(_ targets: [SIPTarget]) {
        self.targets = targets
        for target in targets { Self.gauge(target).record(1) }
    }

    /// The trunk a call goes out through now.
    func current() -> SIPTarget? {
        let down = down.withLockedValue { $0 }
        return targets.indices.first { !down.contains($0) }.map { targets[$0] } ?? targets.first
    }

    /// INVITEs from any port of a trunk's host are calls from the network: an operator's SBC often
    /// sends from other ports than the one it listens on.
    func isTrunk(host: String) -> Bool {
        targets.contains { $0.host == host }
    }

    func markDown(_ target: SIPTarget) { mark(target, up: false) }
    func markUp(_ target: SIPTarget) { mark(target, up: true) }

    func isUp(_ target: SIPTarget) -> Bool {
        guard let index = targets.firstIndex(of: target) else { return false }
        return !down.withLockedValue { $0.contains(index) }
    }

    private func mark(_ target: SIPTarget, up: Bool) {
        guard let index = targets.firstIndex(of: target) else { return }
        let changed = down.withLockedValue { down in
            up ? down.remove(index) != nil : down.insert(index).inserted
        }
        if changed { Self.gauge(target).record(up ? 1 : 0) }
    }

    private static func gauge(_ target: SIPTarget) -> Gauge {
        Gauge(label: "switchboard_sip_trunk_up", dimensions: [("trunk", "\(target)")])
    }
}

/// Sends each trunk an OPTIONS every `interval` (RFC 3261 §11): any answer means it is up; none
/// within `deadline` means it is down, until one comes again.
struct TrunkMonitor: Service {
    let trunks: Trunks
    let transport: SIPTransport
    let transactions: ClientTransactions
    let interval: Duration
    var deadline: Duration = .seconds(3)
    let logger: Logger

    func run() async throws {
        guard interval > .zero else { return try await gracefulShutdown() }
        while !Task.isShuttingDownGracefully {
            await withTaskGroup(of: Void.self) { group in
                for target in trunks.targets { group.addTask { await probe(target) } }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    private func probe(_ target: SIPTarget) async {
        let answered = NIOLockedValueBox(false)
        let host = transport.advertisedHost
        var dialog = Dialog(callID: "\(SIPTransport.randomToken(16))@\(host)", localURI: "<sip:switchboard@\(host)>",
                            localTag: SIPTransport.randomToken(), remoteURI: "<sip:\(target.host):\(target.port)>", remoteTag: nil,
                            remoteTarget: "sip:\(target.host):\(target.port)", localCSeq: 0)
        let options = dialog.request("OPTIONS", via: transport.via(transport: target.transport, branch: SIPTransport.newBranch()),
                                     contact: transport.contact(transport: target.transport), body: [], contentType: nil)
        let trunks = trunks
        await transactions.start(options, to: target) { event in
            if case .response = event {
                answered.withLockedValue { $0 = true }
                trunks.markUp(target)
            }
        }
        try? await Task.sleep(for: deadline)
        guard !answered.withLockedValue({ $0 }) else { return }
        if trunks.isUp(target) { logger.warning("trunk does not answer OPTIONS; calls go another way", metadata: ["trunk": "\(target)"]) }
        trunks.markDown(target)
    }
}
