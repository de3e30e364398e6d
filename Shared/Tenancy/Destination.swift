/// Where a call goes: what a number, a forwarding rule, a group's overflow, a schedule, an
/// announcement's continuation or a menu option names. Written as `kind:ref` ("user:1002",
/// "group:sales", "external:+3725550100", "announcement:closed", "ivr:main", "voicemail",
/// "voicemail:800", "mailbox", "none")
/// in the API, the CLI, transfers and the tenant schema's `*_kind`/`*_ref` columns.
package enum Destination: Hashable, Sendable, CustomStringConvertible {
    case user(String)  // extension
    case group(String)
    case schedule(String)
    case external(String)  // E.164, through the trunk
    case announcement(String)
    case ivr(String)
    /// A voicemail box to leave a message in: the one named, or (nil) the box of the user or group
    /// the call was for.
    case voicemail(String?)
    /// Listening to voicemail: the caller keys a box number and its PIN.
    case mailbox
    case none

    package static let kinds = ["user", "group", "schedule", "external", "announcement", "ivr", "voicemail", "mailbox", "none"]

    /// From the schema's columns; something unknown there reads as `none` (no destination).
    package init(kind: String, ref: String?) {
        switch (kind, ref) {
        case ("user", let ref?): self = .user(ref)
        case ("group", let ref?): self = .group(ref)
        case ("schedule", let ref?): self = .schedule(ref)
        case ("external", let ref?): self = .external(ref)
        case ("announcement", let ref?): self = .announcement(ref)
        case ("ivr", let ref?): self = .ivr(ref)
        case ("voicemail", let ref): self = .voicemail(ref)
        case ("mailbox", _): self = .mailbox
        default: self = .none
        }
    }

    /// From what a person or a program wrote, validated: a clear error names the form expected.
    package init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let kind = parts[0]
        let ref = parts.count > 1 ? parts[1] : nil
        switch kind {
        case "user":
            guard let ref, Validation.isExtension(ref) else { throw TenancyError.invalid("a user destination names an extension: user:1002") }
        case "group", "schedule", "announcement", "ivr":
            guard let ref, Validation.isDialplanName(ref) else {
                throw TenancyError.invalid("destination \(kind) needs a name of lower-case letters, digits, - and _: \(kind):NAME")
            }
        case "external":
            guard let ref, Validation.isE164(ref) else { throw TenancyError.invalid("external destination needs an E.164 number: external:+3725550100") }
        case "voicemail":
            guard ref.map(Validation.isExtension) ?? true else { throw TenancyError.invalid("a voicemail box is a number of 2–6 digits: voicemail:800") }
        case "mailbox", "none":
            guard ref == nil else { throw TenancyError.invalid("destination \(kind) takes no name") }
        default:
            throw TenancyError.invalid("destination \(String(reflecting: text)): use user:EXT, group:NAME, schedule:NAME, external:+E164, "
                                       + "announcement:NAME, ivr:MENU, voicemail, voicemail:BOX, mailbox or none")
        }
        self.init(kind: kind, ref: ref)
    }

    package var kind: String {
        switch self {
        case .user: "user"
        case .group: "group"
        case .schedule: "schedule"
        case .external: "external"
        case .announcement: "announcement"
        case .ivr: "ivr"
        case .voicemail: "voicemail"
        case .mailbox: "mailbox"
        case .none: "none"
        }
    }

    package var ref: String? {
        switch self {
        case .user(let ref), .group(let ref), .schedule(let ref), .external(let ref), .announcement(let ref), .ivr(let ref): ref
        case .voicemail(let box): box
        case .mailbox, .none: nil
        }
    }

    /// "user:1002": how it is written, and how routing remembers it on the way to stop loops.
    package var description: String { ref.map { "\(kind):\($0)" } ?? kind }
}
