import Crypto
import Events
import Foundation
import Messaging
import Postgres

/// A box's greetings. Temporary overrides the others until it is removed; name is spoken in the
/// default greeting when there is no other.
package enum GreetingKind: String, Codable, Sendable, CaseIterable {
    case unavailable, busy, temporary, name
}

/// Where a message is: new until it is first played, then heard, or saved on purpose.
package enum VoicemailFolder: String, Codable, Sendable, CaseIterable {
    case new, heard, saved
}

/// What a box is set to, as the API and the CLI show it.
package struct VoicemailBox: Codable, Sendable, Equatable {
    package enum GreetingMode: String, Codable, Sendable {
        /// The busy greeting when the user was busy, else the unavailable one.
        case byReason = "by-reason"
        case unavailable
    }

    package var number: String
    /// The user's extension, for a user's box.
    package var owner: String?
    /// The group, for a group's box.
    package var group: String?
    package var greetingMode: GreetingMode
    package var maxSeconds: Int
    package var minMs: Int
    package var quota: Int
    package var emailNotify: Bool
    /// A group box's address; a user's box mails the user's e-mail.
    package var email: String?
    package var hasPIN: Bool
    package var lockedUntil: Date?
    package var greetings: [GreetingKind]
    package var summary: MessageSummary
}

/// One message, as the API lists it and the phone menu plays it.
package struct VoicemailMessage: Codable, Sendable, Equatable {
    package var id: UUID
    package var box: String
    package var folder: VoicemailFolder
    package var urgent: Bool
    package var caller: String
    package var callId: String
    package var reason: DepositReason
    package var durationMs: Int
    package var sha256: String
    package var receivedAt: Date

    package init(id: UUID, box: String, folder: VoicemailFolder, urgent: Bool, caller: String, callId: String, reason: DepositReason,
                 durationMs: Int, sha256: String, receivedAt: Date) {
        self.id = id
        self.box = box
        self.folder = folder
        self.urgent = urgent
        self.caller = caller
        self.callId = callId
        self.reason = reason
        self.durationMs = durationMs
        self.sha256 = sha256
        self.receivedAt = receivedAt
    }

    /// The id in lower case, as paths and events carry it.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(box, forKey: .box)
        try container.encode(folder, forKey: .folder)
        try container.encode(urgent, forKey: .urgent)
        try container.encode(caller, forKey: .caller)
        try container.encode(callId, forKey: .callId)
        try container.encode(reason, forKey: .reason)
        try container.encode(durationMs, forKey: .durationMs)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(receivedAt, forKey: .receivedAt)
    }
}

/// A recording `ivr` starts for a box: a message left, or a greeting recorded by phone.
package enum VoicemailRecordingPurpose: String, Codable, Sendable, Equatable {
    case message, unavailable, busy, temporary, name

    package init(greeting: GreetingKind) { self.init(rawValue: greeting.rawValue)! }
    package var greeting: GreetingKind? { GreetingKind(rawValue: rawValue) }
}

/// The outcome of a PIN keyed on the phone.
package enum PINCheck: Sendable, Equatable {
    case accepted
    /// Wrong (or no such box: the caller is not told which); `locked` when this try locked the box.
    case rejected(locked: Bool)
    /// Locked after repeated failures; no PIN is tried until then.
    case locked(until: Date)
}

/// The tenants' voicemail boxes and messages (DESIGN §6), shared by `api`, `ivr` and `recording`.
/// Every change of a box's messages publishes `voicemail.box-changed` with the new counts in the
/// change's own transaction, so a message-waiting lamp never disagrees with the box.
package struct Voicemail: Sendable {
    let db: PostgresClient
    let outbox: Outbox
    /// Who makes the changes, for the audit log.
    let actor: String

    package init(db: PostgresClient, publisher: EventPublisher, actor: String) {
        self.db = db
        self.outbox = Outbox(db: db, publisher: publisher)
        self.actor = actor
    }

    package static let pinLength = 6
    package static let pinTries = 3
    package static let lockout: TimeInterval = 15 * 60
    package static let maxSecondsRange = 10...600
    package static let minMsRange = 0...10_000
    package static let quotaRange = 1...1000

    // MARK: Boxes

    /// A user's box, made in the transaction that makes the user. - Returns: its PIN, shown once.
    static func createUserBox(userID: UUID, extension ext: String, slug: TenantSlug, on connection: PostgresConnection) async throws -> String {
        let pin = randomPIN(avoiding: ext)
        try await connection.query("""
            INSERT INTO \(identifier: slug.schema).voicemail_boxes (number, user_id, pin_hash) VALUES (\(ext), \(userID), \(hash(pin: pin)))
            """)
        return pin
    }

    /// A group's box (its overflow can be `voicemail:NUMBER`). - Returns: its PIN, shown once.
    package func createGroupBox(tenant rawSlug: String, group: String, number: String, email rawEmail: String?) async throws -> String {
        let slug = try TenantSlug(rawSlug)
        guard Validation.isExtension(number) else { throw TenancyError.invalid("a box number is 2–6 digits") }
        let email = try rawEmail.map(Validation.email)
        let pin = Self.randomPIN(avoiding: number)
        do {
            try await db.withTransaction { connection in
                guard try await !connection.query("SELECT 1 AS one FROM \(identifier: slug.schema).groups WHERE name = \(group)").isEmpty else {
                    throw TenancyError.notFound("tenant \(slug) has no group \(group)")
                }
                guard try await connection.query("SELECT 1 AS one FROM \(identifier: slug.schema).users WHERE extension = \(number)").isEmpty else {
                    throw TenancyError.conflict("\(number) is a user's extension; a group's box needs a number of its own")
                }
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).voicemail_boxes (number, group_name, pin_hash, email)
                    VALUES (\(number), \(group), \(Self.hash(pin: pin)), \(email))
                    """)
                try await audit(connection, slug, action: "voicemail.box-create", subject: number)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenancyError.conflict("box \(number) or a box of group \(group) already exists")
        }
        return pin
    }

    /// Deletes a group's box with its messages (a user's box goes with the user).
    package func deleteGroupBox(tenant rawSlug: String, number: String) async throws {
        let slug = try TenantSlug(rawSlug)
        try await db.withTransaction { connection in
            guard try await !connection.query("""
                DELETE FROM \(identifier: slug.schema).voicemail_boxes WHERE number = \(number) AND group_name IS NOT NULL RETURNING number
                """).isEmpty else { throw TenancyError.notFound("tenant \(slug) has no group box \(number)") }
            try await audit(connection, slug, action: "voicemail.box-delete", subject: number)
            try await changed(box: number, slug: slug, on: connection)
        }
        outbox.committed()
    }

    static let boxColumns = """
        b.number, u.extension AS owner, b.group_name, b.greeting_mode, b.max_seconds, b.min_ms, b.quota, b.email_notify, b.email,
        b.pin_hash <> '' AS has_pin, b.locked_until,
        array_to_string(ARRAY(SELECT g.kind FROM {schema}.voicemail_greetings g WHERE g.box = b.number ORDER BY g.kind), ',') AS greetings,
        c.new, c.old, c.urgent_new, c.urgent_old
        """

    /// A box's `MessageSummary` as SQL over its `voicemail_messages`: new is the new folder, old the others.
    static let counts = """
        count(*) FILTER (WHERE folder = 'new')::int AS new, count(*) FILTER (WHERE folder <> 'new')::int AS old,
        count(*) FILTER (WHERE folder = 'new' AND urgent)::int AS urgent_new, count(*) FILTER (WHERE folder <> 'new' AND urgent)::int AS urgent_old
        """

    static func summary(_ row: PostgresRow) throws -> MessageSummary {
        MessageSummary(new: try row.decode("new"), old: try row.decode("old"), urgentNew: try row.decode("urgent_new"),
                       urgentOld: try row.decode("urgent_old"))
    }

    /// The box `number`, or every box, or those `visibleTo` a user: their own and their groups'.
    private static func boxes(number: String?, visibleTo ext: String?, slug: TenantSlug, on connection: some PostgresQuerying) async throws -> [VoicemailBox] {
        let columns = boxColumns.replacingOccurrences(of: "{schema}", with: "\"\(slug.schema)\"")
        return try await connection.query("""
            SELECT \(unsafeSQL: columns) FROM \(identifier: slug.schema).voicemail_boxes b
            LEFT JOIN \(identifier: slug.schema).users u ON u.id = b.user_id
            CROSS JOIN LATERAL (SELECT \(unsafeSQL: counts) FROM \(identifier: slug.schema).voicemail_messages m WHERE m.box = b.number) c
            WHERE (\(number)::text IS NULL OR b.number = \(number))
              AND (\(ext)::text IS NULL OR u.extension = \(ext)
                   OR b.group_name IN (SELECT group_name FROM \(identifier: slug.schema).group_members WHERE member = \(ext)))
            ORDER BY b.number
            """).map { row in
            VoicemailBox(number: try row.decode("number"), owner: try row.decode("owner"), group: try row.decode("group_name"),
                         greetingMode: VoicemailBox.GreetingMode(rawValue: try row.decode("greeting_mode")) ?? .byReason,
                         maxSeconds: try row.decode("max_seconds"), minMs: try row.decode("min_ms"), quota: try row.decode("quota"),
                         emailNotify: try row.decode("email_notify"), email: try row.decode("email"), hasPIN: try row.decode("has_pin"),
                         lockedUntil: try row.decode("locked_until"),
                         greetings: try row.decode("greetings", as: String.self).split(separator: ",").compactMap { GreetingKind(rawValue: String($0)) },
                         summary: try summary(row))
        }
    }

    package func box(tenant rawSlug: String, number: String) async throws -> VoicemailBox {
        let slug = try TenantSlug(rawSlug)
        guard let box = try await Self.boxes(number: number, visibleTo: nil, slug: slug, on: db).first else {
            throw TenancyError.notFound("tenant \(slug) has no voicemail box \(number)")
        }
        return box
    }

    /// Every box of the tenant, or (with `visibleTo`) the user's own and those of their groups.
    package func boxes(tenant rawSlug: String, visibleTo ext: String? = nil) async throws -> [VoicemailBox] {
        let slug = try TenantSlug(rawSlug)
        return try await Self.boxes(number: nil, visibleTo: ext, slug: slug, on: db)
    }

    /// Whether the user may open the box: their own, or one of their groups'.
    package func mayOpen(tenant rawSlug: String, box number: String, extension ext: String) async throws -> Bool {
        try await boxes(tenant: rawSlug, visibleTo: ext).contains { $0.number == number }
    }

    /// What a settings change sets; nil leaves a field as it is.
    package struct Settings: Sendable {
        package var greetingMode: VoicemailBox.GreetingMode?
        package var maxSeconds: Int?
        package var minMs: Int?
        package var quota: Int?
        package var emailNotify: Bool?
        package var email: String??

        package init(greetingMode: VoicemailBox.GreetingMode? = nil, maxSeconds: Int? = nil, minMs: Int? = nil, quota: Int? = nil,
                     emailNotify: Bool? = nil, email: String?? = nil) {
            self.greetingMode = greetingMode
            self.maxSeconds = maxSeconds
            self.minMs = minMs
            self.quota = quota
            self.emailNotify = emailNotify
            self.email = email
        }
    }

    package func update(tenant rawSlug: String, box number: String, _ settings: Settings) async throws -> VoicemailBox {
        let slug = try TenantSlug(rawSlug)
        if let seconds = settings.maxSeconds, !Self.maxSecondsRange.contains(seconds) { throw TenancyError.invalid("maxSeconds must be 10–600") }
        if let ms = settings.minMs, !Self.minMsRange.contains(ms) { throw TenancyError.invalid("minMs must be 0–10000") }
        if let quota = settings.quota, !Self.quotaRange.contains(quota) { throw TenancyError.invalid("quota must be 1–1000") }
        let email = try settings.email.map { try $0.map(Validation.email) }
        try await db.withTransaction { connection in
            guard let row = try await connection.query("""
                SELECT group_name FROM \(identifier: slug.schema).voicemail_boxes WHERE number = \(number) FOR UPDATE
                """).first else { throw TenancyError.notFound("tenant \(slug) has no voicemail box \(number)") }
            if email != nil, try row.decode("group_name", as: String?.self) == nil {
                throw TenancyError.invalid("a user's box mails the user's own e-mail; set it on the user")
            }
            try await connection.query("""
                UPDATE \(identifier: slug.schema).voicemail_boxes SET
                    greeting_mode = coalesce(\(settings.greetingMode?.rawValue), greeting_mode),
                    max_seconds = coalesce(\(settings.maxSeconds), max_seconds),
                    min_ms = coalesce(\(settings.minMs), min_ms),
                    quota = coalesce(\(settings.quota), quota),
                    email_notify = coalesce(\(settings.emailNotify), email_notify),
                    email = CASE WHEN \(email != nil) THEN \(email ?? nil) ELSE email END
                WHERE number = \(number)
                """)
            try await audit(connection, slug, action: "voicemail.box-update", subject: number)
        }
        return try await box(tenant: rawSlug, number: number)
    }

    // MARK: PINs

    /// Six random digits, never the box's own number and never one digit repeated.
    static func randomPIN(avoiding number: String) -> String {
        while true {
            let pin = String((0..<pinLength).map { _ in Character(String(Int.random(in: 0...9))) })
            if acceptable(pin: pin, box: number) { return pin }
        }
    }

    package static func acceptable(pin: String, box number: String) -> Bool {
        pin.count >= 4 && pin.count <= 10 && pin.allSatisfy { ("0"..."9").contains($0) } && pin != number && Set(pin).count > 1
            && !number.isEmpty && !pin.hasSuffix(number) && !pin.hasPrefix(number)
    }

    static func hash(pin: String) -> String {
        let salt = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(salt):\(digest(salt: salt, pin: pin))"
    }

    private static func digest(salt: String, pin: String) -> String {
        SHA256.hash(data: Data((salt + pin).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func matches(pin: String, stored: String) -> Bool {
        let parts = stored.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return false }
        // Constant time: the comparison does not tell how much of it matched.
        let expected = Array(digest(salt: parts[0], pin: pin).utf8), actual = Array(parts[1].utf8)
        guard expected.count == actual.count else { return false }
        return zip(expected, actual).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A new random PIN for the box (an admin's reset; it also unlocks the box). - Returns: the PIN, shown once.
    package func resetPIN(tenant rawSlug: String, box number: String) async throws -> String {
        let slug = try TenantSlug(rawSlug)
        let pin = Self.randomPIN(avoiding: number)
        try await db.withTransaction { connection in
            guard try await !connection.query("""
                UPDATE \(identifier: slug.schema).voicemail_boxes SET pin_hash = \(Self.hash(pin: pin)), pin_failures = 0, locked_until = NULL
                WHERE number = \(number) RETURNING number
                """).isEmpty else { throw TenancyError.notFound("tenant \(slug) has no voicemail box \(number)") }
            try await audit(connection, slug, action: "voicemail.pin-reset", subject: number)
        }
        return pin
    }

    /// The box's user sets a PIN of their choosing: 4–10 digits, not the box number, not one digit repeated.
    package func changePIN(_ pin: String, box number: String, slug: TenantSlug, on connection: PostgresConnection) async throws {
        guard Self.acceptable(pin: pin, box: number) else {
            throw TenancyError.invalid("a PIN is 4–10 digits, not the box number and not one digit repeated")
        }
        try await connection.query("""
            UPDATE \(identifier: slug.schema).voicemail_boxes SET pin_hash = \(Self.hash(pin: pin)), pin_failures = 0, locked_until = NULL
            WHERE number = \(number)
            """)
        try await audit(connection, slug, action: "voicemail.pin-change", subject: number)
    }

    package func changePIN(tenant rawSlug: String, box number: String, pin: String) async throws {
        let slug = try TenantSlug(rawSlug)
        _ = try await box(tenant: rawSlug, number: number)
        try await db.withTransaction { connection in try await changePIN(pin, box: number, slug: slug, on: connection) }
    }

    /// A PIN keyed on the phone. After `pinTries` wrong ones in a row the box is locked for
    /// `lockout`, and the lock is audited; an unknown box answers like a wrong PIN.
    package static func verifyPIN(_ pin: String, box number: String, slug: TenantSlug, caller: String,
                                  on connection: PostgresConnection) async throws -> PINCheck {
        guard let row = try await connection.query("""
            SELECT pin_hash, pin_failures, locked_until FROM \(identifier: slug.schema).voicemail_boxes WHERE number = \(number) FOR UPDATE
            """).first else { return .rejected(locked: false) }
        if let until: Date = try row.decode("locked_until"), until > Date() { return .locked(until: until) }
        if matches(pin: pin, stored: try row.decode("pin_hash")) {
            try await connection.query("""
                UPDATE \(identifier: slug.schema).voicemail_boxes SET pin_failures = 0, locked_until = NULL WHERE number = \(number)
                """)
            return .accepted
        }
        let failures: Int = try row.decode("pin_failures") + 1
        let locks = failures >= pinTries
        try await connection.query("""
            UPDATE \(identifier: slug.schema).voicemail_boxes
            SET pin_failures = \(locks ? 0 : failures), locked_until = \(locks ? Date().addingTimeInterval(lockout) : nil)
            WHERE number = \(number)
            """)
        try await audit(connection, slug, actor: "phone \(caller)", action: locks ? "voicemail.locked" : "voicemail.wrong-pin", subject: number)
        return .rejected(locked: locks)
    }

    // MARK: Messages

    package static let messageColumns = "id, box, folder, urgent, caller, call_id, reason, duration_ms, sha256, received_at"

    package static func message(_ row: PostgresRow) throws -> VoicemailMessage {
        VoicemailMessage(id: try row.decode("id"), box: try row.decode("box"),
                         folder: VoicemailFolder(rawValue: try row.decode("folder")) ?? .new, urgent: try row.decode("urgent"),
                         caller: try row.decode("caller"), callId: try row.decode("call_id"),
                         reason: DepositReason(rawValue: try row.decode("reason")) ?? .direct, durationMs: try row.decode("duration_ms"),
                         sha256: try row.decode("sha256"), receivedAt: try row.decode("received_at"))
    }

    /// The box's messages: new ones first (urgent first among them), then heard and saved, oldest first in each.
    package static func messages(box number: String, folder: VoicemailFolder? = nil, slug: TenantSlug,
                                 on connection: some PostgresQuerying) async throws -> [VoicemailMessage] {
        try await connection.query("""
            SELECT \(unsafeSQL: Self.messageColumns) FROM \(identifier: slug.schema).voicemail_messages
            WHERE box = \(number) AND (\(folder?.rawValue)::text IS NULL OR folder = \(folder?.rawValue))
            ORDER BY folder = 'new' DESC, CASE WHEN folder = 'new' THEN NOT urgent END, received_at, id
            """).map(message)
    }

    package func messages(tenant rawSlug: String, box number: String, folder: VoicemailFolder?) async throws -> [VoicemailMessage] {
        _ = try await box(tenant: rawSlug, number: number)
        return try await Self.messages(box: number, folder: folder, slug: try TenantSlug(rawSlug), on: db)
    }

    package func message(tenant rawSlug: String, box number: String, id: UUID) async throws -> VoicemailMessage {
        let slug = try TenantSlug(rawSlug)
        guard let row = try await db.query("""
            SELECT \(unsafeSQL: Self.messageColumns) FROM \(identifier: slug.schema).voicemail_messages WHERE id = \(id) AND box = \(number)
            """).first else { throw TenancyError.notFound("box \(number) has no message \(id.uuidString.lowercased())") }
        return try Self.message(row)
    }

    /// Moves a message to a folder (heard after it plays, saved on purpose). Publishes the new counts.
    package func move(_ id: UUID, to folder: VoicemailFolder, slug: TenantSlug, on connection: PostgresConnection) async throws {
        guard let row = try await connection.query("""
            UPDATE \(identifier: slug.schema).voicemail_messages SET folder = \(folder.rawValue), changed_at = now()
            WHERE id = \(id) AND folder <> \(folder.rawValue) RETURNING box
            """).first else { return }
        try await changed(box: try row.decode("box"), slug: slug, on: connection)
    }

    /// Deletes a message; its audio goes with the next sweep of unused objects. Publishes the new counts.
    package func delete(_ id: UUID, slug: TenantSlug, on connection: PostgresConnection) async throws {
        guard let row = try await connection.query("""
            DELETE FROM \(identifier: slug.schema).voicemail_messages WHERE id = \(id) RETURNING box
            """).first else { return }
        try await changed(box: try row.decode("box"), slug: slug, on: connection)
    }

    package func markUrgent(recording recordingID: String, slug: TenantSlug, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE \(identifier: slug.schema).voicemail_recordings SET urgent = true WHERE recording_id = \(recordingID)
            """)
        if let row = try await connection.query("""
            UPDATE \(identifier: slug.schema).voicemail_messages SET urgent = true, changed_at = now()
            WHERE recording_id = \(recordingID) AND NOT urgent RETURNING box
            """).first {
            try await changed(box: try row.decode("box"), slug: slug, on: connection)
        }
    }

    /// A message moved through the API or the CLI, audited; the phone menu's own moves
    /// (`move(_:to:slug:on:)`, by the box's owner after their PIN) are not.
    package func move(tenant rawSlug: String, box number: String, id: UUID, to folder: VoicemailFolder) async throws {
        let slug = try TenantSlug(rawSlug)
        _ = try await message(tenant: rawSlug, box: number, id: id)
        try await db.withTransaction { connection in
            try await move(id, to: folder, slug: slug, on: connection)
            try await audit(connection, slug, action: "voicemail.message-move",
                            subject: "\(number) \(id.uuidString.lowercased()) \(folder.rawValue)")
        }
        outbox.committed()
    }

    /// A message's audio listened to or downloaded outside the phone (DESIGN §7: every access to
    /// audio is audited, with who and when).
    package func audioAccessed(tenant rawSlug: String, box number: String, id: UUID, download: Bool) async throws {
        let slug = try TenantSlug(rawSlug)
        try await db.withTransaction { connection in
            try await audit(connection, slug, action: download ? "voicemail.message-download" : "voicemail.message-listen",
                            subject: "\(number) \(id.uuidString.lowercased())")
        }
    }

    package func delete(tenant rawSlug: String, box number: String, id: UUID) async throws {
        let slug = try TenantSlug(rawSlug)
        _ = try await message(tenant: rawSlug, box: number, id: id)
        try await db.withTransaction { connection in
            try await delete(id, slug: slug, on: connection)
            try await audit(connection, slug, action: "voicemail.message-delete", subject: "\(number) \(id.uuidString.lowercased())")
        }
        outbox.committed()
    }

    package enum StoredMessage: Sendable, Equatable {
        case stored(VoicemailMessage)
        case notKept(VoicemailMissedCall.Why)
    }

    /// A message recorded for the box, stored by `recording` once its audio is durable. A box at its
    /// quota takes nothing (the caller was told so before the beep; this is the race's answer).
    /// Idempotent by recording id. - Returns: the message, or why it was not kept.
    package func storeMessage(recordingID: String, box number: String, caller: String, callID: String, reason: DepositReason,
                                     urgent: Bool, durationMs: Int, sha256: String, slug: TenantSlug,
                                     on connection: PostgresConnection) async throws -> StoredMessage {
        guard let box = try await connection.query("""
            SELECT quota, (SELECT count(*)::int FROM \(identifier: slug.schema).voicemail_messages m WHERE m.box = b.number) AS held
            FROM \(identifier: slug.schema).voicemail_boxes b WHERE number = \(number) FOR UPDATE
            """).first else { return .notKept(.boxFull) }
        if let existing = try await connection.query("""
            SELECT \(unsafeSQL: Self.messageColumns) FROM \(identifier: slug.schema).voicemail_messages WHERE recording_id = \(recordingID)
            """).first { return .stored(try Self.message(existing)) }
        guard try box.decode("held", as: Int.self) < box.decode("quota", as: Int.self) else { return .notKept(.boxFull) }
        let row = try await connection.query("""
            INSERT INTO \(identifier: slug.schema).voicemail_messages (box, recording_id, urgent, caller, call_id, reason, duration_ms, sha256)
            VALUES (\(number), \(recordingID), \(urgent), \(caller), \(callID), \(reason.rawValue), \(durationMs), \(sha256))
            RETURNING \(unsafeSQL: Self.messageColumns)
            """)
        let stored = try Self.message(row[0])
        try await changed(box: number, slug: slug, on: connection)
        return .stored(stored)
    }

    // MARK: Greetings

    package struct Greeting: Codable, Sendable, Equatable {
        package enum Source: String, Codable, Sendable { case phone, upload, tts }
        package var kind: GreetingKind
        package var sha256: String
        package var source: Source
        package var text: String?

        package init(kind: GreetingKind, sha256: String, source: Source, text: String? = nil) {
            self.kind = kind
            self.sha256 = sha256
            self.source = source
            self.text = text
        }
    }

    package static func greetings(box number: String, slug: TenantSlug, on connection: some PostgresQuerying) async throws -> [GreetingKind: Greeting] {
        var greetings: [GreetingKind: Greeting] = [:]
        for row in try await connection.query("""
            SELECT kind, sha256, source, text FROM \(identifier: slug.schema).voicemail_greetings WHERE box = \(number)
            """) {
            guard let kind = GreetingKind(rawValue: try row.decode("kind")), let source = Greeting.Source(rawValue: try row.decode("source")) else { continue }
            greetings[kind] = Greeting(kind: kind, sha256: try row.decode("sha256"), source: source, text: try row.decode("text"))
        }
        return greetings
    }

    /// Sets a greeting whose audio is a stored media object (`recording` stores it first).
    package func setGreeting(_ greeting: Greeting, box number: String, slug: TenantSlug, on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO \(identifier: slug.schema).voicemail_greetings (box, kind, sha256, source, text)
            VALUES (\(number), \(greeting.kind.rawValue), \(greeting.sha256), \(greeting.source.rawValue), \(greeting.text))
            ON CONFLICT (box, kind) DO UPDATE SET sha256 = EXCLUDED.sha256, source = EXCLUDED.source, text = EXCLUDED.text, updated_at = now()
            """)
        try await audit(connection, slug, action: "voicemail.greeting-set", subject: "\(number) \(greeting.kind.rawValue)")
    }

    package func removeGreeting(_ kind: GreetingKind, box number: String, slug: TenantSlug,
                                on connection: PostgresConnection) async throws -> Bool {
        let removed = try await !connection.query("""
            DELETE FROM \(identifier: slug.schema).voicemail_greetings WHERE box = \(number) AND kind = \(kind.rawValue) RETURNING box
            """).isEmpty
        if removed { try await audit(connection, slug, action: "voicemail.greeting-remove", subject: "\(number) \(kind.rawValue)") }
        return removed
    }

    package func removeGreeting(tenant rawSlug: String, box number: String, kind: GreetingKind) async throws {
        let slug = try TenantSlug(rawSlug)
        let removed = try await db.withTransaction { connection in
            try await removeGreeting(kind, box: number, slug: slug, on: connection)
        }
        guard removed else { throw TenancyError.notFound("box \(number) has no \(kind.rawValue) greeting") }
    }

    // MARK: Recordings in progress

    /// What a recording `ivr` starts is for, stored before the record command goes out.
    package func beginRecording(_ recordingID: String, purpose: VoicemailRecordingPurpose, box number: String, callID: String,
                                       caller: String, reason: DepositReason, slug: TenantSlug, on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO \(identifier: slug.schema).voicemail_recordings (recording_id, box, purpose, call_id, caller, reason)
            VALUES (\(recordingID), \(number), \(purpose.rawValue), \(callID), \(caller), \(reason.rawValue))
            ON CONFLICT (recording_id) DO NOTHING
            """)
    }

    // MARK: Counts

    package static func summary(box number: String, slug: TenantSlug, on connection: some PostgresQuerying) async throws -> MessageSummary {
        guard let row = try await connection.query("""
            SELECT \(unsafeSQL: counts) FROM \(identifier: slug.schema).voicemail_messages WHERE box = \(number)
            """).first else { return .empty }
        return try summary(row)
    }

    /// The box a user's devices show message waiting for: their own.
    package static func summary(ofUser ext: String, slug: TenantSlug, on connection: some PostgresQuerying) async throws -> MessageSummary? {
        guard try await !connection.query("""
            SELECT 1 AS one FROM \(identifier: slug.schema).voicemail_boxes b JOIN \(identifier: slug.schema).users u ON u.id = b.user_id
            WHERE u.extension = \(ext) AND b.number = \(ext)
            """).isEmpty else { return nil }
        return try await summary(box: ext, slug: slug, on: connection)
    }

    /// Publishes the box's counts, in the transaction that changed them.
    func changed(box number: String, slug: TenantSlug, on connection: PostgresConnection) async throws {
        let summary = try await Self.summary(box: number, slug: slug, on: connection)
        // A box deleted in this transaction has no owner any more: a group's, or a user's going with the user.
        let owner: String? = try await connection.query("""
            SELECT u.extension FROM \(identifier: slug.schema).voicemail_boxes b JOIN \(identifier: slug.schema).users u ON u.id = b.user_id
            WHERE b.number = \(number)
            """).first?.decode("extension")
        try await outbox.add(Envelope(tenant: slug.value, data: VoicemailBoxChanged(box: number, owner: owner, summary: summary)),
                                 key: "\(slug.value)/\(number)", on: connection)
    }

    private func audit(_ connection: PostgresConnection, _ slug: TenantSlug, action: String, subject: String) async throws {
        try await Self.audit(connection, slug, actor: actor, action: action, subject: subject)
    }

    static func audit(_ connection: PostgresConnection, _ slug: TenantSlug, actor: String, action: String, subject: String) async throws {
        try await connection.query("""
            INSERT INTO \(identifier: slug.schema).audit_log (actor, action, subject) VALUES (\(actor), \(action), \(subject))
            """)
    }
}
