import Foundation
import Postgres

/// What a key of an IVR menu (or its final branch) does: send the call to a destination, play the
/// menu again, or hang up. Written as a destination ("group:sales"), "repeat" or "hangup".
package enum MenuChoice: Hashable, Sendable, CustomStringConvertible {
    case destination(Destination)
    case `repeat`
    case hangUp

    package init(kind: String, ref: String?) {
        switch kind {
        case "repeat": self = .repeat
        case "hangup": self = .hangUp
        default: self = .destination(Destination(kind: kind, ref: ref))
        }
    }

    package init(parsing text: String) throws {
        switch text {
        case "repeat": self = .repeat
        case "hangup": self = .hangUp
        default:
            let destination = try Destination(parsing: text)
            guard destination != .none else { throw TenancyError.invalid("a menu choice is a destination, repeat or hangup") }
            self = .destination(destination)
        }
    }

    package var kind: String {
        switch self {
        case .destination(let destination): destination.kind
        case .repeat: "repeat"
        case .hangUp: "hangup"
        }
    }

    package var ref: String? {
        if case .destination(let destination) = self { destination.ref } else { nil }
    }

    package var description: String {
        if case .destination(let destination) = self { destination.description } else { kind }
    }
}

/// The languages of the system prompts and of text-to-speech (espeak-ng's voices); a tenant
/// hears the system prompts in its own (`platform.tenants.language`).
package enum Language: String, Codable, CaseIterable, Sendable {
    case estonian = "et"
    case english = "en"
}

/// A prompt of a tenant as the media store lists it: the tenant's own (an upload or text-to-speech)
/// or a system prompt in the tenant's language that no prompt of its own replaces.
package struct PromptView: Sendable, Codable, Equatable {
    package enum Source: String, Codable, Sendable { case upload, tts, system }

    package var name: String
    /// The content hash of its 8 kHz mono WAV object.
    package var sha256: String
    package var language: Language?
    package var source: Source
    /// What text-to-speech (or a system prompt) says.
    package var text: String?
    package var sizeBytes: Int
    package var durationMs: Int

    package init(name: String, sha256: String, language: Language?, source: Source, text: String?, sizeBytes: Int, durationMs: Int) {
        self.name = name
        self.sha256 = sha256
        self.language = language
        self.source = source
        self.text = text
        self.sizeBytes = sizeBytes
        self.durationMs = durationMs
    }
}

extension Validation {
    /// A prompt's name, as the tenant schema's CHECK has it.
    package static func isPromptName(_ text: String) -> Bool {
        matches(text, /[a-z0-9][a-z0-9_-]{0,62}/)
    }
}

/// A voice message as the console and API show it.
package struct AnnouncementView: Sendable, Codable, Equatable {
    package var name: String
    /// Prompt names, played in order.
    package var prompts: [String]
    /// Where the call goes afterwards; "none": it is hung up.
    package var next: String

    package init(name: String, prompts: [String], next: String) {
        self.name = name
        self.prompts = prompts
        self.next = next
    }
}

/// An IVR menu as the console and API show it.
package struct MenuView: Sendable, Codable, Equatable {
    package var name: String
    package var greeting: String
    package var timeoutSeconds: Int
    package var retries: Int
    package var invalidPrompt: String
    package var timeoutPrompt: String
    /// After the retries: a destination or "hangup".
    package var final: String
    package var directDial: Bool
    /// Key ("0"–"9", "*", "#") → a destination, "repeat" or "hangup".
    package var options: [String: String]

    package init(name: String, greeting: String, timeoutSeconds: Int = 5, retries: Int = 2, invalidPrompt: String = "invalid-choice",
                 timeoutPrompt: String = "no-input", final: String = "hangup", directDial: Bool = false, options: [String: String]) {
        self.name = name
        self.greeting = greeting
        self.timeoutSeconds = timeoutSeconds
        self.retries = retries
        self.invalidPrompt = invalidPrompt
        self.timeoutPrompt = timeoutPrompt
        self.final = final
        self.directDial = directDial
        self.options = options
    }
}

/// Announcements, menus and the welcome before a group (DESIGN §6): written by the API and the
/// CLI, read by routing and ivr.
extension DialplanConfiguration {
    package static let menuKeys = Set("0123456789*#")
    package static let menuTimeoutRange = 1...60
    package static let menuRetriesRange = 0...9

    // MARK: Announcements

    package func createAnnouncement(tenant: String, _ announcement: AnnouncementView, replacing: Bool = true) async throws {
        let slug = try TenantSlug(tenant)
        try Self.validateName(announcement.name, of: "announcement")
        guard (1...20).contains(announcement.prompts.count) else { throw TenancyError.invalid("an announcement plays 1 to 20 prompts") }
        try Self.validatePromptNames(announcement.prompts)
        let next = try Destination(parsing: announcement.next)
        let name = announcement.name
        let prompts = announcement.prompts
        try await change(slug, entity: "announcement", key: name, action: "created") { connection in
            try await Self.requirePrompts(prompts, slug: slug, on: connection)
            let written = try await connection.query("""
                INSERT INTO \(identifier: slug.schema).announcements (name, prompts, next_kind, next_ref)
                VALUES (\(name), string_to_array(\(prompts.joined(separator: ",")), ','), \(next.kind), \(next.ref))
                ON CONFLICT (name) DO UPDATE SET prompts = EXCLUDED.prompts, next_kind = EXCLUDED.next_kind,
                    next_ref = EXCLUDED.next_ref, updated_at = now()
                WHERE \(replacing) RETURNING name
                """)
            guard !written.isEmpty else { throw TenancyError.conflict("announcement \(name) exists") }
        }
    }

    package func deleteAnnouncement(tenant: String, name: String) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "announcement", key: name, action: "deleted") { connection in
            let rows = try await connection.query("DELETE FROM \(identifier: slug.schema).announcements WHERE name = \(name) RETURNING name")
            guard !rows.isEmpty else { throw TenancyError.notFound("no announcement \(name)") }
        }
    }

    package func announcements(tenant: String, after: String? = nil, limit: Int = 100_000, only name: String? = nil) async throws -> [AnnouncementView] {
        let slug = try TenantSlug(tenant)
        let rows = try await db.query("""
            SELECT name, array_to_string(prompts, ',') AS prompts, next_kind, next_ref FROM \(identifier: slug.schema).announcements
            WHERE name > \(after ?? "") AND (\(name)::text IS NULL OR name = \(name)) ORDER BY name LIMIT \(limit)
            """)
        return try rows.map { row in
            AnnouncementView(name: try row.decode("name"), prompts: (try row.decode("prompts", as: String.self)).split(separator: ",").map(String.init),
                             next: Destination(kind: try row.decode("next_kind"), ref: try row.decode("next_ref")).description)
        }
    }

    /// An announcement the caller hears before a group rings; nil removes it.
    package func setWelcome(tenant: String, group: String, announcement: String?) async throws {
        let slug = try TenantSlug(tenant)
        if let announcement { try Self.validateName(announcement, of: "announcement") }
        try await change(slug, entity: "group", key: group, action: "updated") { connection in
            if let announcement {
                guard try await !connection.query("""
                    SELECT 1 AS one FROM \(identifier: slug.schema).announcements WHERE name = \(announcement)
                    """).isEmpty else { throw TenancyError.notFound("no announcement \(announcement)") }
            }
            let rows = try await connection.query("""
                UPDATE \(identifier: slug.schema).groups SET welcome = \(announcement) WHERE name = \(group) RETURNING name
                """)
            guard !rows.isEmpty else { throw TenancyError.notFound("no group \(group)") }
        }
    }

    /// - Throws: `.notFound`.
    package func announcement(tenant: String, name: String) async throws -> AnnouncementView {
        guard let announcement = try await announcements(tenant: tenant, only: name).first else {
            throw TenancyError.notFound("no announcement \(name)")
        }
        return announcement
    }

    /// The announcement played before the group rings, if any. - Throws: `.notFound` for an unknown group.
    package func welcome(tenant: String, group: String) async throws -> String? {
        let slug = try TenantSlug(tenant)
        guard let row = try await db.query("SELECT welcome FROM \(identifier: slug.schema).groups WHERE name = \(group)").first else {
            throw TenancyError.notFound("no group \(group)")
        }
        return try row.decode("welcome")
    }

    // MARK: Menus

    package func createMenu(tenant: String, _ menu: MenuView, replacing: Bool = true) async throws {
        let slug = try TenantSlug(tenant)
        try Self.validateName(menu.name, of: "menu")
        try Validation.range(menu.timeoutSeconds, Self.menuTimeoutRange, field: "timeoutSeconds")
        try Validation.range(menu.retries, Self.menuRetriesRange, field: "retries")
        let final = try MenuChoice(parsing: menu.final)
        guard final != .repeat else { throw TenancyError.invalid("a menu's final choice is a destination or hangup") }
        var options: [(key: String, choice: MenuChoice)] = []
        for (key, text) in menu.options.sorted(by: { $0.key < $1.key }) {
            guard key.count == 1, let character = key.first, Self.menuKeys.contains(character) else {
                throw TenancyError.invalid("menu key \(String(reflecting: key)): one of 0-9, * and #")
            }
            options.append((key, try MenuChoice(parsing: text)))
        }
        let prompts = [menu.greeting, menu.invalidPrompt, menu.timeoutPrompt]
        try Self.validatePromptNames(prompts)
        let choices = options
        try await change(slug, entity: "menu", key: menu.name, action: "created") { connection in
            try await Self.requirePrompts(prompts, slug: slug, on: connection)
            let written = try await connection.query("""
                INSERT INTO \(identifier: slug.schema).menus (name, greeting, timeout_seconds, retries, invalid_prompt, timeout_prompt,
                    final_kind, final_ref, direct_dial)
                VALUES (\(menu.name), \(menu.greeting), \(menu.timeoutSeconds), \(menu.retries), \(menu.invalidPrompt), \(menu.timeoutPrompt),
                    \(final.kind), \(final.ref), \(menu.directDial))
                ON CONFLICT (name) DO UPDATE SET greeting = EXCLUDED.greeting, timeout_seconds = EXCLUDED.timeout_seconds,
                    retries = EXCLUDED.retries, invalid_prompt = EXCLUDED.invalid_prompt, timeout_prompt = EXCLUDED.timeout_prompt,
                    final_kind = EXCLUDED.final_kind, final_ref = EXCLUDED.final_ref, direct_dial = EXCLUDED.direct_dial, updated_at = now()
                WHERE \(replacing) RETURNING name
                """)
            guard !written.isEmpty else { throw TenancyError.conflict("menu \(menu.name) exists") }
            try await connection.query("DELETE FROM \(identifier: slug.schema).menu_options WHERE menu = \(menu.name)")
            for option in choices {
                try await connection.query("""
                    INSERT INTO \(identifier: slug.schema).menu_options (menu, key, kind, ref)
                    VALUES (\(menu.name), \(option.key), \(option.choice.kind), \(option.choice.ref))
                    """)
            }
        }
    }

    package func deleteMenu(tenant: String, name: String) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "menu", key: name, action: "deleted") { connection in
            let rows = try await connection.query("DELETE FROM \(identifier: slug.schema).menus WHERE name = \(name) RETURNING name")
            guard !rows.isEmpty else { throw TenancyError.notFound("no menu \(name)") }
        }
    }

    package func menus(tenant: String, after: String? = nil, limit: Int = 100_000, only name: String? = nil) async throws -> [MenuView] {
        let slug = try TenantSlug(tenant)
        let schema = slug.schema
        let rows = try await db.query("""
            SELECT m.name, m.greeting, m.timeout_seconds, m.retries, m.invalid_prompt, m.timeout_prompt, m.final_kind, m.final_ref,
                   m.direct_dial, o.key, o.kind, o.ref
            FROM (SELECT * FROM \(identifier: schema).menus WHERE name > \(after ?? "") AND (\(name)::text IS NULL OR name = \(name))
                  ORDER BY name LIMIT \(limit)) m
            LEFT JOIN \(identifier: schema).menu_options o ON o.menu = m.name
            ORDER BY m.name, o.key
            """)
        var menus: [MenuView] = []
        for row in rows {
            let name: String = try row.decode("name")
            if menus.last?.name != name {
                menus.append(MenuView(name: name, greeting: try row.decode("greeting"), timeoutSeconds: try row.decode("timeout_seconds"),
                                      retries: try row.decode("retries"), invalidPrompt: try row.decode("invalid_prompt"),
                                      timeoutPrompt: try row.decode("timeout_prompt"),
                                      final: MenuChoice(kind: try row.decode("final_kind"), ref: try row.decode("final_ref")).description,
                                      directDial: try row.decode("direct_dial"), options: [:]))
            }
            if let key = try row.decode("key", as: String?.self) {
                menus[menus.count - 1].options[key] = MenuChoice(kind: try row.decode("kind"), ref: try row.decode("ref")).description
            }
        }
        return menus
    }

    /// - Throws: `.notFound`.
    package func menu(tenant: String, name: String) async throws -> MenuView {
        guard let menu = try await menus(tenant: tenant, only: name).first else { throw TenancyError.notFound("no menu \(name)") }
        return menu
    }

    // MARK: Language

    /// The language of the tenant's system prompts.
    package func language(tenant: String) async throws -> Language {
        let slug = try TenantSlug(tenant)
        guard let row = try await db.query("SELECT language FROM platform.tenants WHERE slug = \(slug.value)").first else {
            throw TenancyError.notFound("no tenant \(slug)")
        }
        return try row.decode("language")
    }

    package func setLanguage(tenant: String, _ language: Language) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "tenant", key: slug.value, action: "updated") { connection in
            try await connection.query("UPDATE platform.tenants SET language = \(language) WHERE slug = \(slug.value)")
        }
    }

    // MARK: Checks

    private static func validateName(_ name: String, of entity: String) throws {
        guard Validation.isDialplanName(name) else {
            throw TenancyError.invalid("\(entity) name \(String(reflecting: name)): lower-case letters, digits, - and _")
        }
    }

    private static func validatePromptNames(_ names: [String]) throws {
        if let bad = names.first(where: { !Validation.isPromptName($0) }) {
            throw TenancyError.invalid("prompt name \(String(reflecting: bad)): lower-case letters, digits, - and _")
        }
    }

    /// Every name is a prompt of the tenant or a system prompt (which a tenant's own may replace).
    static func requirePrompts(_ names: [String], slug: TenantSlug, on connection: PostgresConnection) async throws {
        let wanted = Set(names)
        let list = wanted.joined(separator: ",")
        // Held shared until the change commits, so `recording` cannot delete a prompt between
        // this check and the change (its delete locks the row and then counts the users).
        let own = try await connection.query("""
            SELECT name FROM \(identifier: slug.schema).prompts WHERE name = ANY (string_to_array(\(list), ',')) FOR SHARE
            """)
        let system = try await connection.query("""
            SELECT DISTINCT name FROM platform.system_prompts WHERE name = ANY (string_to_array(\(list), ','))
            """)
        let known = Set(try (own + system).map { try $0.decode("name", as: String.self) })
        if let missing = wanted.subtracting(known).sorted().first { throw TenancyError.notFound("no prompt \(missing)") }
    }

    /// What uses the tenant's prompt `name` (announcements and menus), so that deleting it can be refused.
    package static func usesOfPrompt(_ name: String, slug: TenantSlug, db: PostgresClient) async throws -> [String] {
        let rows = try await db.query("""
            SELECT 'announcement:' || name AS user FROM \(identifier: slug.schema).announcements WHERE \(name) = ANY (prompts)
            UNION SELECT 'ivr:' || name FROM \(identifier: slug.schema).menus
            WHERE \(name) IN (greeting, invalid_prompt, timeout_prompt) ORDER BY 1
            """)
        return try rows.map { try $0.decode("user") }
    }
}
