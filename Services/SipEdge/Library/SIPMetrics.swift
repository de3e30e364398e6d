import Metrics

/// The sip-edge's fixed metrics, made once (after the runtime bootstrapped the metrics system)
/// rather than looked up for every message.
enum SIPMetrics {
    static let receivedUDP = Counter(label: "switchboard_sip_messages_received_total", dimensions: [("transport", "udp")])
    static let receivedTCP = Counter(label: "switchboard_sip_messages_received_total", dimensions: [("transport", "tcp")])
    static let overloadRejections = Counter(label: "switchboard_sip_overload_rejections_total")
    static let authBlocked = Counter(label: "switchboard_sip_auth_blocked_total")
    static let authFailures = Counter(label: "switchboard_sip_auth_failures_total")
    static let registrations = Counter(label: "switchboard_sip_registrations_total", dimensions: [("result", "ok")])
    /// Binding writes and the transactions they were grouped into (`BindingWriter`).
    static let bindingWrites = Counter(label: "switchboard_sip_binding_writes_total")
    static let bindingBatches = Counter(label: "switchboard_sip_binding_batches_total")
    static let expired = Counter(label: "switchboard_sip_registrations_expired_total")
    static let sentUDP = Counter(label: "switchboard_sip_messages_sent_total", dimensions: [("transport", "udp")])
    static let callsActive = Meter(label: "switchboard_calls_active")
    /// New calls refused with 503 while the edge drains for shutdown.
    static let callsRefusedDraining = Counter(label: "switchboard_calls_refused_draining_total")
    static let routeTimeouts = Counter(label: "switchboard_route_decision_timeouts_total")
    static let routeLatency = Timer(label: "switchboard_route_decision_seconds")
    static let retransmissions = Counter(label: "switchboard_sip_retransmissions_total")
    /// Message-waiting (RFC 3842): subscriptions this instance holds, NOTIFYs it sent (in
    /// subscriptions and unsolicited), and those that got no 2xx.
    static let mwiSubscriptions = Meter(label: "switchboard_mwi_subscriptions_active")
    static let mwiNotifiesSent = Counter(label: "switchboard_mwi_notifies_sent_total")
    static let mwiNotifiesFailed = Counter(label: "switchboard_mwi_notifies_failed_total")

    /// Calls by how they ended: "answered", or the final status given to the caller.
    static func callEnded(_ outcome: String) -> Counter {
        Counter(label: "switchboard_calls_total", dimensions: [("outcome", outcome)])
    }

    /// Malformed requests by the status they were answered with, and drops by reason (few values each).
    static func malformed(_ status: Int) -> Counter {
        Counter(label: "switchboard_sip_malformed_total", dimensions: [("answer", String(status))])
    }

    static func dropped(_ reason: String) -> Counter {
        Counter(label: "switchboard_sip_dropped_total", dimensions: [("reason", reason)])
    }
}
