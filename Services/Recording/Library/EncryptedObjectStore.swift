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

    var description: String {
        switch self {
        case .keyDestroyed(let owner): "the data key of \(owner) was destroyed"
        case .cannotOpen(let key): "object \(key) does not open with its owner's key"
        }
    }
}

/// The owners' data keys: random 256-bit keys kept in `platform.data_keys`, each wrapped (AES-GCM)
/// by the master key from configuration with the owner as authenticated data. Deleting a tenant
/// deletes its row (`TenantLifecycle.delete`), and with it every way to read its objects.
actor DataKeys {
    private let db: PostgresClient
    private let master: SymmetricKey
    private var cache: [String: SymmetricKey] = [:]

    /// - Parameter masterKey: `SWITCHBOARD_MASTER_KEY`; its SHA-256 is the key-wrapping key.
    init(db: PostgresClient, masterKey: String) {
        self.db = db
        master = SymmetricKey(data: SHA256.hash(data: Array(masterKey.utf8)))
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
        let fresh = SymmetricKey(size: .bits256)
        let wrapped = try fresh.withUnsafeBytes { bytes in
            try AES.GCM.seal(Array(bytes), using: master, authenticating: Array(owner.utf8)).combined!
        }
        try await db.query("""
            INSERT INTO platform.data_keys (owner, wrapped) VALUES (\(owner), \(Array(wrapped))) ON CONFLICT (owner) DO NOTHING
            """)
        guard let key = try await existingKey(for: owner) else { throw EncryptionError.keyDestroyed(owner: owner) }
        return key
    }

    /// The owner's key, or nil when it has none (never had one, or it was destroyed).
    private func existingKey(for owner: String) async throws -> SymmetricKey? {
        if let key = cache[owner] { return key }
        guard let row = try await db.query("SELECT wrapped FROM platform.data_keys WHERE owner = \(owner)").first else { return nil }
        let box = try AES.GCM.SealedBox(combined: try row.decode("wrapped", as: [UInt8].self))
        let key = SymmetricKey(data: try AES.GCM.open(box, using: master, authenticating: Array(owner.utf8)))
        cache[owner] = key
        return key
    }

    /// Forgets a cached key: its tenant was deleted (`tenant.lifecycle`), so this process stops
    /// opening its objects too.
    func forget(_ owner: String) {
        cache[owner] = nil
    }
}
