import Crypto
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
        #expect(raw.starts(with: SealedSegments.header) && !raw.contains(Array(wav.suffix(64))), "the file holds no audio")
        #expect(raw.count == SealedSegments.header.count + 12 + wav.count + 16, "one segment: nonce, ciphertext, tag")
        #expect(try await store.get(key) == wav)
        #expect(try await store.size(key) == wav.count)
        // An object of the first format (sealed whole) still opens.
        let whole = try #require(ObjectKey(owner: a.value, sha256: String(repeating: "a", count: 64)))
        let sealedWhole = try AES.GCM.seal(wav, using: try await keys.key(forSealing: a.value).key, authenticating: Array(whole.description.utf8))
        try await disk.put(whole, bytes: EncryptedObjectStore.header + Array(sealedWhole.combined!))
        #expect(try await store.get(whole) == wav)
        #expect(try await store.size(whole) == wav.count)
        #expect(try await store.get(whole, range: 100..<200) == Array(wav[100..<200]))

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
        #expect(try await store.deleteAll(owner: a.value) == 5)
        #expect(try await disk.get(key) == nil && !FileManager.default.fileExists(atPath: "\(folder)/\(a.value)"))
        #expect(try await disk.get(moved) != nil, "another tenant's objects stay")
        await producer.shutdown()
        await db.shutdown()
    }

    @Test("objects are sealed in 64 KiB segments as they are written: any length reads back whole and by any range; segments dropped, moved or cut off at the end are found")
    func sealedInSegments() async throws {
        let db = TestEnvironment.postgres(maxConnections: 2)
        _ = try await Migrator(db: db, logger: TestEnvironment.logger).migrateAll()
        let owner = TestEnvironment.unique("seg")
        let folder = NSTemporaryDirectory() + "seg-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = FileObjectStore(root: folder)
        let store = EncryptedObjectStore(backing: disk, keys: DataKeys(db: db, masterKey: "test-master-key"))
        let segment = SealedSegments.segmentLength
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, segment - 1, segment, segment + 1, 3 * segment + 17] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let key = try #require(ObjectKey(owner: owner, sha256: MediaLibrary.sha256(bytes)))
            // Chunks of uneven sizes, as a file is read.
            var offset = 0
            try await store.put(key) {
                guard offset < bytes.count else { return nil }
                let end = min(bytes.count, offset + Int.random(in: 1...(2 * segment)))
                defer { offset = end }
                return Array(bytes[offset..<end])
            }
            let segments = max(1, (length + segment - 1) / segment)
            #expect(try await disk.size(key) == SealedSegments.header.count + length + segments * SealedSegments.overhead, "\(length) bytes")
            #expect(try await store.get(key) == bytes, "\(length) bytes")
            #expect(try await store.size(key) == length)
            for range in [0..<0, 0..<min(1, length), 0..<length, (length / 3)..<(2 * length / 3), max(0, length - 5)..<length]
                + (length > segment + 3 ? [(segment - 3)..<(segment + 3), segment..<length] : []) {
                #expect(try await store.get(key, range: range) == Array(bytes[range]), "\(length) bytes, range \(range)")
            }
            await #expect(throws: ObjectStoreError.self) { try await store.get(key, range: 0..<(length + 1)) }
        }

        let bytes = (0..<(3 * segment + 17)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = try #require(ObjectKey(owner: owner, sha256: MediaLibrary.sha256(bytes)))
        try await store.put(key, bytes: bytes)
        let raw = try #require(try await disk.get(key))
        let sealedSegment = segment + SealedSegments.overhead
        let header = SealedSegments.header.count
        /// The altered file does not open under the original's name, as a restored or swapped file would be read.
        func refused(_ altered: [UInt8], _ why: String, reading range: Range<Int>) async throws {
            try await disk.delete(key)
            try await disk.put(key, bytes: altered)
            await #expect(throws: EncryptionError.self, "\(why)") { try await store.get(key) }
            await #expect(throws: EncryptionError.self, "\(why), read by range") { try await store.get(key, range: range) }
        }
        // Cut at a segment's end: the last one left does not say it is last.
        try await refused(Array(raw.prefix(header + 3 * sealedSegment)), "the last segment dropped", reading: (3 * segment - 1)..<(3 * segment))
        try await refused(Array(raw[0..<header]) + raw[(header + sealedSegment)..<(header + 2 * sealedSegment)]
                          + raw[header..<(header + sealedSegment)] + raw[(header + 2 * sealedSegment)...], "segments swapped", reading: 0..<10)
        try await refused(Array(raw[0..<(header + sealedSegment)]) + raw[(header + 2 * sealedSegment)...], "a segment left out",
                          reading: segment..<(segment + 1))
        try await refused(Array(raw.dropLast(5)), "the end cut off", reading: (3 * segment)..<(3 * segment + 1))
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
