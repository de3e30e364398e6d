import Crypto
import Foundation
import Media
import Postgres
import Tenancy

/// A named prompt as the store keeps it (the API and the CLI read the same shape).
typealias PromptInfo = PromptView

/// The media store's objects and what is known of them (DESIGN §7): bytes in the `ObjectStore`
/// under the owner and the content hash, metadata in the owner's schema. Only `recording` writes
/// either; everything else reads through its HTTP.
struct MediaLibrary: Sendable {
    let db: PostgresClient
    let store: any ObjectStore

    enum Failure: Error, CustomStringConvertible {
        case invalid(String)
        case notFound(String)
        case conflict(String)

        var description: String {
            switch self {
            case .invalid(let text), .notFound(let text), .conflict(let text): text
            }
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// A digest as the store names objects: lower-case hex.
    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Prompt names: what a menu or an announcement refers to.
    static func validate(name: String) throws(Failure) {
        guard Validation.isPromptName(name) else { throw .invalid("prompt name must be 1–63 characters of a–z, 0–9, - and _") }
    }

    /// Stores a prompt WAV as the tenant's prompt `name` (replacing an earlier one of that name).
    func savePrompt(_ wav: [UInt8], name: String, tenant: TenantSlug, source: PromptInfo.Source, language code: String?,
                    text: String?) async throws -> PromptInfo {
        try Self.validate(name: name)
        let language = try code.map { code in
            guard let language = Language(rawValue: code) else { throw Failure.invalid("language must be et or en") }
            return language
        }
        let samples = try WAV.samples(wav)
        let sha = Self.sha256(wav)
        guard let key = ObjectKey(owner: tenant.value, sha256: sha) else { throw Failure.invalid("bad key") }
        // The bytes first: metadata never names an object that is not there.
        try await store.put(key, bytes: wav)
        let schema = tenant.schema
        let durationMs = samples.count / 8
        try await db.withTransaction { connection in
            try await connection.query("""
                INSERT INTO \(identifier: schema).media_objects (sha256, kind, size, duration_ms)
                VALUES (\(sha), 'prompt', \(wav.count), \(durationMs)) ON CONFLICT (sha256) DO NOTHING
                """)
            try await connection.query("""
                INSERT INTO \(identifier: schema).prompts (name, sha256, language, source, text)
                VALUES (\(name), \(sha), \(language?.rawValue), \(source.rawValue), \(text))
                ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, language = EXCLUDED.language, source = EXCLUDED.source,
                    text = EXCLUDED.text, updated_at = now()
                """)
        }
        return PromptInfo(name: name, sha256: sha, language: language, source: source, text: text, sizeBytes: wav.count, durationMs: durationMs)
    }

    /// Stores audio (an 8 kHz mono WAV) as one of the tenant's objects without a name: spoken text
    /// of a voicemail menu (`prompt`), a message's or a greeting's audio (`voicemail`). The metadata
    /// goes in through `connection`, so a transaction that names the object commits it with itself.
    /// - Returns: its hash and length.
    @discardableResult
    func storeObject(_ wav: [UInt8], kind: String, tenant: TenantSlug, on connection: some PostgresQuerying) async throws
        -> (sha256: String, durationMs: Int)
    {
        let durationMs = try WAV.samples(wav).count / 8
        return (try await storeObject(wav, kind: kind, durationMs: durationMs, tenant: tenant, on: connection), durationMs)
    }

    /// Any audio (a call recording's Ogg Opus) of the length given. - Returns: its SHA-256.
    func storeObject(_ bytes: [UInt8], kind: String, durationMs: Int, tenant: TenantSlug, on connection: some PostgresQuerying) async throws
        -> String
    {
        let sha = Self.sha256(bytes)
        guard let key = ObjectKey(owner: tenant.value, sha256: sha) else { throw Failure.invalid("bad key") }
        // The bytes first: metadata never names an object that is not there.
        try await store.put(key, bytes: bytes)
        try await connection.query("""
            INSERT INTO \(identifier: tenant.schema).media_objects (sha256, kind, size, duration_ms)
            VALUES (\(sha), \(kind), \(bytes.count), \(durationMs)) ON CONFLICT (sha256) DO NOTHING
            """)
        return sha
    }

    /// Sets a box's greeting to `wav` (converted already): the object and the greeting in one
    /// transaction. - Throws: `TenancyError.notFound` when the tenant has no such box.
    func saveGreeting(_ wav: [UInt8], kind: GreetingKind, box: String, tenant: TenantSlug, source: Voicemail.Greeting.Source,
                      text: String?, voicemail: Voicemail) async throws -> Voicemail.Greeting {
        try await db.withTransaction { connection in
            // Held shared: a box deleted meanwhile waits, and one already gone is a 404, not a foreign-key failure.
            guard try await !connection.query("""
                SELECT 1 AS one FROM \(identifier: tenant.schema).voicemail_boxes WHERE number = \(box) FOR SHARE
                """).isEmpty else { throw TenancyError.notFound("tenant \(tenant) has no voicemail box \(box)") }
            let (sha, _) = try await storeObject(wav, kind: "voicemail", tenant: tenant, on: connection)
            let greeting = Voicemail.Greeting(kind: kind, sha256: sha, source: source, text: text)
            try await voicemail.setGreeting(greeting, box: box, slug: tenant, on: connection)
            return greeting
        }
    }

    /// A box's greeting's audio; nil when the box has none of that kind.
    func greeting(_ kind: GreetingKind, box: String, tenant: TenantSlug) async throws -> [UInt8]? {
        guard let greeting = try await Voicemail.greetings(box: box, slug: tenant, on: db)[kind] else { return nil }
        return try await object(sha256: greeting.sha256, tenant: tenant)
    }

    /// The tenant's own prompts, and the system prompts in the tenant's language it has not replaced.
    func prompts(tenant: TenantSlug) async throws -> [PromptInfo] {
        let rows = try await db.query("""
            SELECT p.name, p.sha256, p.language, p.source, p.text, o.size, o.duration_ms
            FROM \(identifier: tenant.schema).prompts p JOIN \(identifier: tenant.schema).media_objects o USING (sha256)
            UNION ALL
            SELECT s.name, s.sha256, s.language, 'system', s.text, m.size, m.duration_ms
            FROM platform.system_prompts s JOIN platform.system_media m USING (sha256)
            WHERE s.language = (SELECT language FROM platform.tenants WHERE slug = \(tenant.value))
              AND s.name NOT IN (SELECT name FROM \(identifier: tenant.schema).prompts)
            ORDER BY 1
            """)
        return try rows.map { row in
            PromptInfo(name: try row.decode("name"), sha256: try row.decode("sha256"),
                       language: try row.decode("language", as: String?.self).flatMap(Language.init(rawValue:)), source: try row.decode("source"),
                       text: try row.decode("text"), sizeBytes: try row.decode("size"), durationMs: try row.decode("duration_ms"))
        }
    }

    func prompt(named name: String, tenant: TenantSlug) async throws -> PromptInfo? {
        try await prompts(tenant: tenant).first { $0.name == name }
    }

    /// An object the tenant may read: one of its own (its metadata row says so), or a system one.
    func object(sha256: String, tenant: TenantSlug) async throws -> [UInt8]? {
        guard let (key, _) = try await readable(sha256: sha256, tenant: tenant) else { return nil }
        if let bytes = try await store.get(key) { return bytes }
        return key.owner == ObjectKey.systemOwner ? try await remakeSystemObject(sha256, key: key) : nil
    }

    /// The key of an object the tenant may read, and what it is (`media_objects.kind`): one of its
    /// own, or a system prompt (`prompt`). Its bytes may still be missing from the store.
    func readable(sha256: String, tenant: TenantSlug) async throws -> (key: ObjectKey, kind: String)? {
        guard let own = ObjectKey(owner: tenant.value, sha256: sha256), let system = ObjectKey(owner: ObjectKey.systemOwner, sha256: sha256) else {
            return nil
        }
        if let row = try await db.query("SELECT kind FROM \(identifier: tenant.schema).media_objects WHERE sha256 = \(sha256)").first {
            return (own, try row.decode("kind"))
        }
        if try await !db.query("SELECT 1 FROM platform.system_media WHERE sha256 = \(sha256)").isEmpty { return (system, "prompt") }
        return nil
    }

    /// A large object (an export's archive) from a file, read twice (for its hash, then its bytes)
    /// and never whole in memory. - Returns: its SHA-256 and length.
    func storeObject(file: URL, kind: String, tenant: TenantSlug, on connection: some PostgresQuerying) async throws
        -> (sha256: String, size: Int)
    {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
            size += data.count
        }
        let sha = Self.hex(hasher.finalize())
        guard let key = ObjectKey(owner: tenant.value, sha256: sha) else { throw Failure.invalid("bad key") }
        try handle.seek(toOffset: 0)
        try await store.put(key) {
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
            return Array(data)
        }
        try await connection.query("""
            INSERT INTO \(identifier: tenant.schema).media_objects (sha256, kind, size, duration_ms)
            VALUES (\(sha), \(kind), \(size), 0) ON CONFLICT (sha256) DO NOTHING
            """)
        return (sha, size)
    }

    /// A system prompt's object the store lacks (another store made it, or it was lost) is made
    /// again from its row and kept under its hash: the same words (sox's dither makes the bytes
    /// differ a little).
    private func remakeSystemObject(_ sha256: String, key: ObjectKey) async throws -> [UInt8]? {
        guard let row = try await db.query("""
            SELECT name, language, text FROM platform.system_prompts WHERE sha256 = \(sha256) LIMIT 1
            """).first else { return nil }
        let bytes = try await SystemPrompts.audio(name: try row.decode("name"), language: try row.decode("language"), text: try row.decode("text"))
        try await store.put(key, bytes: bytes)
        return bytes
    }

    /// Deletes the tenant's prompt `name`; the object goes too once nothing names it. Refused while
    /// an announcement or a menu plays it, unless a system prompt of that name takes over.
    func deletePrompt(named name: String, tenant: TenantSlug) async throws {
        try Self.validate(name: name)
        let schema = tenant.schema
        let shadowsSystemPrompt = try await !db.query("SELECT 1 FROM platform.system_prompts WHERE name = \(name)").isEmpty
        let db = self.db
        let deleted = try await db.withTransaction { connection -> String? in
            // The row locked first: a menu or announcement being saved with this prompt holds it
            // shared (`requirePrompts`), so its users are counted only once that has committed,
            // and one saved after this waits and then finds the prompt gone.
            guard try await !connection.query("""
                SELECT 1 AS one FROM \(identifier: schema).prompts WHERE name = \(name) FOR UPDATE
                """).isEmpty else { return nil }
            if !shadowsSystemPrompt {
                let users = try await DialplanConfiguration.usesOfPrompt(name, slug: tenant, db: db)
                guard users.isEmpty else {
                    throw Failure.conflict("prompt \(name) is in use by \(users.joined(separator: ", ")); change or delete them first")
                }
            }
            guard let row = try await connection.query("""
                DELETE FROM \(identifier: schema).prompts WHERE name = \(name) RETURNING sha256
                """).first else { return nil }
            let sha: String = try row.decode("sha256")
            let unused = try await connection.query("""
                DELETE FROM \(identifier: schema).media_objects o WHERE sha256 = \(sha)
                  AND NOT EXISTS (SELECT 1 FROM \(identifier: schema).prompts p WHERE p.sha256 = o.sha256) RETURNING sha256
                """)
            return unused.isEmpty ? "" : sha
        }
        guard let deleted else { throw Failure.notFound("no prompt \(name)") }
        if !deleted.isEmpty, let key = ObjectKey(owner: tenant.value, sha256: deleted) { try await store.delete(key) }
    }

    /// Stores a system prompt (the same for every tenant) in one language.
    func saveSystemPrompt(_ wav: [UInt8], name: String, language: String, text: String) async throws {
        let samples = try WAV.samples(wav)
        let sha = Self.sha256(wav)
        guard let key = ObjectKey(owner: ObjectKey.systemOwner, sha256: sha) else { return }
        try await store.put(key, bytes: wav)
        try await db.withTransaction { connection in
            try await connection.query("""
                INSERT INTO platform.system_media (sha256, size, duration_ms) VALUES (\(sha), \(wav.count), \(samples.count / 8))
                ON CONFLICT (sha256) DO NOTHING
                """)
            try await connection.query("""
                INSERT INTO platform.system_prompts (name, language, sha256, text) VALUES (\(name), \(language), \(sha), \(text))
                ON CONFLICT (name, language) DO UPDATE SET sha256 = EXCLUDED.sha256, text = EXCLUDED.text
                """)
        }
    }

    /// A system prompt as it was made: the same name, language and text need not be made again.
    struct SystemPhrase: Hashable, Sendable {
        let name: String
        let language: String
        let text: String
    }

    /// The system prompts already there.
    func systemPrompts() async throws -> Set<SystemPhrase> {
        Set(try await db.query("SELECT name, language, text FROM platform.system_prompts").map {
            SystemPhrase(name: try $0.decode("name"), language: try $0.decode("language"), text: try $0.decode("text"))
        })
    }
}

