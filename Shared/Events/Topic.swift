/// The Kafka topics of DESIGN §4. Names take an optional deployment prefix (`SWITCHBOARD_TOPIC_PREFIX`).
package enum Topic: String, CaseIterable, Sendable, Codable {
    case sipRegistrations = "sip.registrations"
    case callOffers = "call.offers"
    case callCommands = "call.commands"
    case callEvents = "call.events"
    case callCDRs = "call.cdrs"
    case mediaAudio = "media.audio"
    case configChanges = "config.changes"
    case tenantLifecycle = "tenant.lifecycle"
    case billingEntitlements = "billing.entitlements"
    case voicemailEvents = "voicemail.events"

    /// What the message key is.
    package var key: String {
        switch self {
        case .sipRegistrations: "tenant/AOR"
        case .callOffers, .callCDRs, .configChanges, .tenantLifecycle, .billingEntitlements: "tenant"
        case .callCommands: "call id; partition = the owning edge's ordinal"
        case .callEvents: "call id"
        case .mediaAudio: "recording id"
        case .voicemailEvents: "tenant/box"
        }
    }

    package var producedBy: [String] {
        switch self {
        case .sipRegistrations, .callOffers, .callEvents, .callCDRs, .mediaAudio: ["sip-edge"]
        case .callCommands: ["routing", "ivr", "api"]
        case .configChanges: ["api"]
        case .tenantLifecycle: ["api", "billing"]
        case .billingEntitlements: ["billing"]
        case .voicemailEvents: ["ivr", "recording", "api"]
        }
    }

    package var consumedBy: [String] {
        switch self {
        case .sipRegistrations: ["routing", "api"]
        case .callOffers: ["routing"]
        case .callCommands: ["sip-edge (own partition)"]
        case .callEvents: ["routing", "ivr", "recording", "api"]
        case .callCDRs: ["billing", "api"]
        case .mediaAudio: ["recording"]
        case .configChanges, .tenantLifecycle, .billingEntitlements: ["all services"]
        case .voicemailEvents: ["sip-edge (every instance: message waiting)", "recording (e-mail)"]
        }
    }

    /// Partitions created by `switchboard topics ensure`. `call.commands` needs at least as many as
    /// the largest number of sip-edge instances.
    package var partitions: Int32 {
        switch self {
        case .callCommands: 8
        case .configChanges, .tenantLifecycle, .billingEntitlements: 1
        default: 6
        }
    }

    /// The topic's full name under a deployment prefix.
    package func name(prefix: String) -> String { prefix + rawValue }

    /// Where messages that cannot be processed go, with the error.
    package func deadLetterName(prefix: String) -> String { prefix + rawValue + ".dlq" }
}
