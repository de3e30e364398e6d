import Crypto
import Foundation
import Postgres

/// Encryption at rest (DESIGN §7): every object is sealed with AES-256-GCM under a data key of its
/// owner (a tenant, or the system prompts' owner) before it reaches the file system or the bucket,
/// and opened on the way back. The object's key (`owner/sha256`) is the authenticated data, so an
/// object copied under another name or another tenant does not open. Objects written before
/// encryption (plain WAV, no header) are read as they are.
struct EncryptedObjectStore: ObjectStore {
    let backing: any ObjectStore
    let keys: DataKeys

    /// Starts every sealed object: "SWE" and a format version.
    static let header: [UInt8] = Array("SWE1".utf8)

    func put(_ key: ObjectKey, bytes: [UInt8]) async throws {
        let sealed = try await keys.seal(bytes, owner: key.owner, authenticating: Array(key.description.utf8))
        try await backing.put(key, bytes: Self.header + sealed)
    }

    func get(_ key: ObjectKey) async throws -> [UInt8]? {
        guard let stored = try await backing.get(key) else { return nil }
        guard stored.starts(with: Self.header) else { return stored }
        return try await keys.open(stored.dropFirst(Self.header.count), owner: key.owner, authenticating: Array(key.description.utf8),
                                   name: key.description)
    }

    func delete(_ key: ObjectKey) async throws {
        try await backing.delete(key)
    }

    func deleteAll(owner: String) async throws -> Int {
        try await backing.deleteAll(owner: owner)
    }
}

enum EncryptionError: Error, CustomStringConvertible {
    /// The owner's data key is gone (its tenant was deleted): what is left of its objects is noise.
    case keyDestroyed(owner: String)
    /// Changed, truncated, or sealed for another name.
    case cannotOpen(key: String)
    /// The owner's data key was wrapped by a master key that is neither `SWITCHBOARD_MASTER_KEY`
    /// nor one of `SWITCHBOARD_MASTER_KEY_PREVIOUS`.
    case masterKeyMismatch(owner: String)

    var description: String {
        switch self {
        case .keyDestroyed(let owner): "the data key of \(owner) was destroyed"
        case .cannotOpen(let key): "object \(key) does not open with its owner's key"
        case .masterKeyMismatch(let owner): "the data key of \(owner) was wrapped by another master key: set it in SWITCHBOARD_MASTER_KEY_PREVIOUS"
        }
    }
}

/// The owners' data keys: random 256-bit keys kept in `platform.data_keys`, each wrapped (AES-GCM)
/// by the master key from configuration with the owner as authenticated data. Deleting a tenant
/// deletes its row (`TenantLifecycle.delete`), and with it every way to read its objects. A master
/// key being rotated out still opens the data keys it wrapped, which are then wrapped anew by the
/// current one (the objects stay as they are: only the small wrapped keys change).
actor DataKeys {
    private let db: PostgresClient
    private let master: SymmetricKey
    private let previous: [SymmetricKey]
    private var cache: [String: SymmetricKey] = [:]

    /// - Parameters:
    ///   - masterKey: `SWITCHBOARD_MASTER_KEY`; its SHA-256 is the key-wrapping key.
    ///   - previous: `SWITCHBOARD_MASTER_KEY_PREVIOUS`, the keys being rotated out.
    init(db: PostgresClient, masterKey: String, previous: [String] = []) {
        self.db = db
        master = Self.wrappingKey(masterKey)
        self.previous = previous.map(Self.wrappingKey)
    }

    private static func wrappingKey(_ secret: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Array(secret.utf8)))
    }

    /// Wraps anew, by the current master key, every data key that a previous one wrapped (at
    /// start-up, while a rotation is under way). - Returns: how many were rewrapped, and how many
    /// open with no configured key (their master key was lost or never given).
    func rewrapAll() async throws -> (rewrapped: Int, unreadable: Int) {
        var counts = (rewrapped: 0, unreadable: 0)
        for row in try await db.query("SELECT owner, wrapped FROM platform.data_keys ORDER BY owner") {
            let owner: String = try row.decode("owner")
            let wrapped: [UInt8] = try row.decode("wrapped")
            if (try? Self.unwrap(wrapped, owner: owner, with: master)) != nil { continue }
            guard let key = previous.lazy.compactMap({ try? Self.unwrap(wrapped, owner: owner, with: $0) }).first else {
                counts.unreadable += 1
                continue
            }
            try await rewrap(key, owner: owner, replacing: wrapped)
            counts.rewrapped += 1
        }
        return counts
    }

    /// `bytes` sealed under the owner's key (made on first use), as nonce, ciphertext and tag.
    func seal(_ bytes: [UInt8], owner: String, authenticating data: [UInt8]) async throws -> [UInt8] {
        Array(try AES.GCM.seal(bytes, using: try await key(for: owner), authenticating: data).combined!)
    }

    /// What `seal` sealed. - Throws: `keyDestroyed` when the owner has no key, `cannotOpen` when
    /// the bytes were changed or sealed for other data.
    func open(_ sealed: ArraySlice<UInt8>, owner: String, authenticating data: [UInt8], name: String) async throws -> [UInt8] {
        guard let key = try await existingKey(for: owner) else { throw EncryptionError.keyDestroyed(owner: owner) }
        do {
            return Array(try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: key, authenticating: data))
        } catch {
            throw EncryptionError.cannotOpen(key: name)
        }
    }

    /// The owner's key, made on first use (several instances may race: the first row wins).
    private func key(for owner: String) async throws -> SymmetricKey {
        if let key = try await existingKey(for: owner) { return key }
        let wrapped = try Self.wrap(SymmetricKey(size: .bits256), owner: owner, with: master)
        try await db.query("""
            INSERT INTO platform.data_keys (owner, wrapped) VALUES (\(owner), \(wrapped)) ON CONFLICT (owner) DO NOTHING
            """)
        guard let key = try await existingKey(for: owner) else { throw EncryptionError.keyDestroyed(owner: owner) }
        return key
    }

    /// The owner's key, or nil when it has none (never had one, or it was destroyed).
    private func existingKey(for owner: String) async throws -> SymmetricKey? {
        if let key = cache[owner] { return key }
        guard let row = try await db.query("SELECT wrapped FROM platform.data_keys WHERE owner = \(owner)").first else { return nil }
        let wrapped: [UInt8] = try row.decode("wrapped")
        let key: SymmetricKey
        if let current = try? Self.unwrap(wrapped, owner: owner, with: master) {
            key = current
        } else if let old = previous.lazy.compactMap({ try? Self.unwrap(wrapped, owner: owner, with: $0) }).first {
            key = old
            try await rewrap(old, owner: owner, replacing: wrapped)
        } else {
            throw EncryptionError.masterKeyMismatch(owner: owner)
        }
        cache[owner] = key
        return key
    }

    /// Only if the row is still what was read: a tenant deleted meanwhile stays deleted.
    private func rewrap(_ key: SymmetricKey, owner: String, replacing old: [UInt8]) async throws {
        let wrapped = try Self.wrap(key, owner: owner, with: master)
        try await db.query("UPDATE platform.data_keys SET wrapped = \(wrapped) WHERE owner = \(owner) AND wrapped = \(old)")
    }

    private static func wrap(_ key: SymmetricKey, owner: String, with master: SymmetricKey) throws -> [UInt8] {
        try key.withUnsafeBytes { bytes in Array(try AES.GCM.seal(Array(bytes), using: master, authenticating: Array(owner.utf8)).combined!) }
    }

    private static func unwrap(_ wrapped: [UInt8], owner: String, with master: SymmetricKey) throws -> SymmetricKey {
        SymmetricKey(data: try AES.GCM.open(try AES.GCM.SealedBox(combined: wrapped), using: master, authenticating: Array(owner.utf8)))
    }

    /// Forgets a cached key: its tenant was deleted (`tenant.lifecycle`), so this process stops
    /// opening its objects too.
    func forget(_ owner: String) {
        cache[owner] = nil
    }
}
