import Events
/// The number a user's outbound calls present, as the user chose it.
enum CallerIDSetting: String, Sendable {
    /// The company's main number.
    case main
    /// The user's own number (or the main number when the user has none).
    case own
    case anonymous
}

/// The outbound identity and class of a call (issue: routing): what number the called party sees,
/// and whether the call is business or private. Users choose a default; a dial prefix overrides it
/// for one call. Emergency calls are always allowed and never anonymous.
struct OutboundIdentity: Sendable, Equatable {
    /// nil: anonymous.
    var presentedNumber: String?
    /// The tenant's number the call is entitled to, which the operator's network is told even when
    /// the called party is not (RFC 3325 P-Asserted-Identity): the presented one, or for an
    /// anonymous call the user's own number, else the main number.
    var assertedNumber: String?
    var classification: Classification
    /// What is left to dial once the prefixes are taken off.
    var dialled: String
    var emergency: Bool

    /// Per-call prefixes (RFC-free, as operators' service descriptions use them).
    static let anonymousPrefix = "*31#"
    static let ownNumberPrefix = "*32#"
    static let mainNumberPrefix = "*33#"
    static let privatePrefix = "*7#"
    static let businessPrefix = "*8#"
    static let emergencyNumbers: Set<String> = ["112", "110", "911", "999"]

    static func resolve(dialled raw: String, setting: CallerIDSetting, defaultClass: Classification, ownNumber: String?, mainNumber: String?) -> OutboundIdentity {
        var dialled = raw
        var setting = setting
        var classification = defaultClass
        var changed = true
        while changed {
            changed = false
            for (prefix, apply) in [(anonymousPrefix, { setting = .anonymous }), (ownNumberPrefix, { setting = .own }),
                                    (mainNumberPrefix, { setting = .main }),
                                    (privatePrefix, { classification = .private }), (businessPrefix, { classification = .business })]
            where dialled.hasPrefix(prefix) {
                apply()
                dialled = String(dialled.dropFirst(prefix.count))
                changed = true
            }
        }
        let emergency = emergencyNumbers.contains(dialled)
        let presented: String?
        switch emergency && setting == .anonymous ? .main : setting {
        case .anonymous: presented = nil
        case .own: presented = ownNumber ?? mainNumber
        case .main: presented = mainNumber ?? ownNumber
        }
        return OutboundIdentity(presentedNumber: presented, assertedNumber: presented ?? ownNumber ?? mainNumber,
                                classification: emergency ? .business : classification, dialled: dialled, emergency: emergency)
    }
}
