import Foundation
import Kafka
import Media
import Messaging
import Postgres
@testable import Recording
import Tenancy
import Testing
import TestSupport

/// Encryption at rest of the media store against a real database and file store (DESIGN §7).
@Suite("media store: encryption at rest", .timeLimit(.minutes(2)))
struct MediaEncryptionTests {
    @Test("objects are sealed under their tenant's key: the file is not the audio, a changed or moved one does not open, a wrong master key opens nothing, plain old objects still read; a deleted tenant's objects open for no one, then leave the store")
    func sealedUnderTheTenantsKey() async throws {
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: TestEnvironment.unique("enc") + ".")
        let provisioning = Provisioning(db: db, publisher: publisher, logger: TestEnvironment.logger)
        var slugs: [TenantSlug] = []
        for name in ["enc_a", "enc_b"] {
            let slug = try TenantSlug(TestEnvironment.unique(name))
            try await provisioning.createTenant(slug: slug.value, name: name, sipDomain: slug.value.replacingOccurrences(of: "_", with: "-") + ".example.com")
            slugs.append(slug)
        }
        let (a, b) = (slugs[0], slugs[1])
        let folder = NSTemporaryDirectory() + "enc-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = FileObjectStore(root: folder)
        let keys = DataKeys(db: db, masterKey: "test-master-key")
        let store = EncryptedObjectStore(backing: disk, keys: keys)

        let wav = WAV.file(Tone.sine(frequency: 450, samples: 8_000))
        let key = try #require(ObjectKey(owner: a.value, sha256: MediaLibrary.sha256(wav)))
        try await store.put(key, bytes: wav)
        let raw = try #require(try await disk.get(key))
        #expect(raw.starts(with: EncryptedObjectStore.header) && !raw.contains(Array(wav.suffix(64))), "the file holds no audio")
        #expect(raw.count == EncryptedObjectStore.header.count + 12 + wav.count + 16, "nonce, ciphertext, tag")
        #expect(try await store.get(key) == wav)

        // One changed byte: the tag no longer matches.
        var changed = raw
        changed[changed.count / 2] ^= 0x01
        let changedKey = try #require(ObjectKey(owner: a.value, sha256: String(repeating: "c", count: 64)))
        try await disk.put(changedKey, bytes: changed)
        await #expect(throws: EncryptionError.self) { try await store.get(changedKey) }
        // The same file under another name of its tenant, or under another tenant (which has a key).
        let renamed = try #require(ObjectKey(owner: a.value, sha256: String(repeating: "d", count: 64)))
        try await disk.put(renamed, bytes: raw)
        await #expect(throws: EncryptionError.self) { try await store.get(renamed) }
        try await store.put(try #require(ObjectKey(owner: b.value, sha256: String(repeating: "e", count: 64))), bytes: [1, 2, 3])
        let moved = try #require(ObjectKey(owner: b.value, sha256: key.sha256))
        try await disk.put(moved, bytes: raw)
        await #expect(throws: EncryptionError.self) { try await store.get(moved) }
        // Another master key cannot unwrap the tenant's key.
        let wrongMaster = EncryptedObjectStore(backing: disk, keys: DataKeys(db: db, masterKey: "another-master-key"))
        await #expect(throws: (any Error).self) { try await wrongMaster.get(key) }
        // An object written before encryption reads as it was.
        let plain = try #require(ObjectKey(owner: a.value, sha256: String(repeating: "f", count: 64)))
        try await disk.put(plain, bytes: wav)
        #expect(try await store.get(plain) == wav)

        // Contract end: the schema and the data key go. A process that had the key cached forgets
        // it on the tenant's deleted event; one that starts afresh never had it.
        try await TenantLifecycle(db: db, publisher: publisher, logger: TestEnvironment.logger).delete(a)
        let rows = try await db.query("SELECT owner FROM platform.data_keys WHERE owner = \(a.value)")
        #expect(rows.isEmpty, "the wrapped key is gone")
        await keys.forget(a.value)
        for reader in [store, EncryptedObjectStore(backing: disk, keys: DataKeys(db: db, masterKey: "test-master-key"))] {
            await #expect { try await reader.get(key) } throws: { error in
                if case .keyDestroyed(let owner) = error as? EncryptionError { return owner == a.value }
                return false
            }
        }
        #expect(try await disk.get(key) == raw, "the file itself is still there, as noise")
        // Then the tenant's objects leave the store (recording does it on the deleted event).
        #expect(try await store.deleteAll(owner: a.value) == 4)
        #expect(try await disk.get(key) == nil && !FileManager.default.fileExists(atPath: "\(folder)/\(a.value)"))
        #expect(try await disk.get(moved) != nil, "another tenant's objects stay")
        await producer.shutdown()
        await db.shutdown()
    }

    @Test("master key rotation: the new key with the old one as previous opens everything and rewraps each data key (the objects stay as they were); then the new key alone opens all, the old one nothing")
    func masterKeyRotation() async throws {
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let provisioning = Provisioning(db: db, publisher: EventPublisher(producer: producer, topicPrefix: TestEnvironment.unique("rot") + "."),
                                        logger: TestEnvironment.logger)
        var keys: [ObjectKey] = []
        let folder = NSTemporaryDirectory() + "rot-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = FileObjectStore(root: folder)
        let (old, new) = ("old-master-\(UUID().uuidString)", "new-master-\(UUID().uuidString)")
        let before = EncryptedObjectStore(backing: disk, keys: DataKeys(db: db, masterKey: old))
        let wav = WAV.file(Tone.sine(frequency: 500, samples: 4_000))
        var owners: [String] = []
        for name in ["rot_a", "rot_b"] {
            let slug = TestEnvironment.unique(name)
            try await provisioning.createTenant(slug: slug, name: name, sipDomain: slug.replacingOccurrences(of: "_", with: "-") + ".example.com")
            let key = try #require(ObjectKey(owner: slug, sha256: MediaLibrary.sha256(wav)))
            try await before.put(key, bytes: wav)
            keys.append(key)
            owners.append(slug)
        }
        let files = try await keys.asyncMap { try #require(try await disk.get($0)) }
        let wrapped = { (owner: String) in try await db.query("SELECT wrapped FROM platform.data_keys WHERE owner = \(owner)").first?.decode("wrapped", as: [UInt8].self) }
        let wrappedBefore = try await owners.asyncMap { try await wrapped($0) }

        // The new key alone cannot open what the old one wrapped, and says what to do.
        let newOnly = EncryptedObjectStore(backing: disk, keys: DataKeys(db: db, masterKey: new))
        await #expect { try await newOnly.get(keys[0]) } throws: { error in
            if case .masterKeyMismatch = error as? EncryptionError { return true }
            return false
        }
        // With the old one as previous: opened on use (and rewrapped), the rest at start-up.
        let rotating = DataKeys(db: db, masterKey: new, previous: [old])
        #expect(try await EncryptedObjectStore(backing: disk, keys: rotating).get(keys[0]) == wav, "opened on use")
        let (rewrapped, _) = try await rotating.rewrapAll()
        #expect(rewrapped >= 1, "the other tenant's key at start-up")
        for (index, owner) in owners.enumerated() {
            #expect(try await wrapped(owner) != wrappedBefore[index], "\(owner)'s data key is wrapped anew")
        }
        #expect(try await keys.asyncMap { try await disk.get($0) } == files, "the objects are not rewritten")
        let (again, _) = try await rotating.rewrapAll()
        #expect(again == 0, "a second pass finds nothing to do")

        // The rotation is over: the new key alone opens everything, the old one nothing.
        let after = EncryptedObjectStore(backing: disk, keys: DataKeys(db: db, masterKey: new))
        for key in keys { #expect(try await after.get(key) == wav) }
        let retired = EncryptedObjectStore(backing: disk, keys: DataKeys(db: db, masterKey: old))
        await #expect(throws: EncryptionError.self) { try await retired.get(keys[1]) }
        await producer.shutdown()
        await db.shutdown()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
