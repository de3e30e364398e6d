/// The outbound identity and class of a call (issue: routing): what number the called party sees,
/// and whether the call is business or private. Users choose a default; a dial prefix overrides it
/// for one call. Emergency calls are always allowed and never anonymous.
struct OutboundIdentity: Sendable, Equatable {
    /// nil: anonymous.
    var presentedNumber: String?
    var classification: String
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

    /// - Parameters:
    ///   - setting: the user's caller-ID setting: "main", "own" or "anonymous".
    static func resolve(dialled raw: String, setting: String, defaultClass: String, ownNumber: String?, mainNumber: String?) -> OutboundIdentity {
        var dialled = raw
        var setting = setting
        var classification = defaultClass
        var changed = true
        while changed {
            changed = false
            for (prefix, apply) in [(anonymousPrefix, { setting = "anonymous" }), (ownNumberPrefix, { setting = "own" }),
                                    (mainNumberPrefix, { setting = "main" }),
                                    (privatePrefix, { classification = "private" }), (businessPrefix, { classification = "business" })]
            where dialled.hasPrefix(prefix) {
                apply()
                dialled = String(dialled.dropFirst(prefix.count))
                changed = true
            }
        }
        let emergency = emergencyNumbers.contains(dialled)
        let presented: String?
        switch emergency ? (setting == "anonymous" ? "main" : setting) : setting {
        case "anonymous": presented = nil
        case "own": presented = ownNumber ?? mainNumber
        default: presented = mainNumber ?? ownNumber
        }
        return OutboundIdentity(presentedNumber: presented, classification: emergency ? "business" : classification,
                                dialled: dialled, emergency: emergency)
    }
}
