import Crypto
import Foundation
import Postgres

/// Encryption at rest (DESIGN §7): every object is sealed with AES-256-GCM under a data key of its
/// owner (a tenant, or the system prompts' owner) before it reaches the file system or the bucket,
/// and opened on the way back. It is sealed in segments of 64 KiB (`SealedSegments`), so an export
/// of gigabytes is sealed as it is written and a download opens only the part it sends. Objects of
/// the first format (`SWE1`: sealed whole) and those written before encryption (plain WAV, no
/// header) are read as they are.
struct EncryptedObjectStore: ObjectStore {
    let backing: any ObjectStore
    let keys: DataKeys

    /// Starts every object sealed whole (the first format): "SWE" and a format version.
    static let header: [UInt8] = Array("SWE1".utf8)

    func put(_ key: ObjectKey, chunks next: () async throws -> [UInt8]?) async throws {
        let sealer = SealedSegments.Sealer(key: try await keys.key(forSealing: key.owner), name: key)
        var pending: [UInt8] = []
        var start = 0  // what is sealed already of `pending`
        var sent = false
        var ended = false
        let segment = SealedSegments.segmentLength
        try await backing.put(key) {
            if !sent {
                sent = true
                return SealedSegments.header
            }
            // A segment is sealed once more is known to follow, or the chunks have ended: the last
            // one says it is last.
            while !ended && pending.count - start <= segment {
                guard let chunk = try await next() else {
                    ended = true
                    break
                }
                pending.removeFirst(start)
                start = 0
                pending += chunk
            }
            if pending.count - start > segment {
                defer { start += segment }
                return try sealer.seal(pending[start..<start + segment], last: false)
            }
            guard !sealer.sealedLast else { return nil }
            defer { (pending, start) = ([], 0) }
            return try sealer.seal(pending[start...], last: true)
        }
    }

    func get(_ key: ObjectKey) async throws -> [UInt8]? {
        guard let stored = try await backing.get(key) else { return nil }
        if stored.starts(with: Self.header) {
            return try await keys.open(stored.dropFirst(Self.header.count), owner: key.owner, authenticating: Array(key.description.utf8),
                                       name: key.description)
        }
        guard stored.starts(with: SealedSegments.header) else { return stored }
        let opener = SealedSegments.Opener(key: try await keys.key(forOpening: key.owner), name: key)
        let layout = try SealedSegments.Layout(sealedLength: stored.count, name: key)
        var plain: [UInt8] = []
        plain.reserveCapacity(layout.plainLength)
        for index in 0..<layout.segments {
            plain += try opener.open(stored[layout.sealedRange(ofSegments: index..<index + 1)], index: index, of: layout)
        }
        return plain
    }

    /// What a reader gets: the opened length.
    func size(_ key: ObjectKey) async throws -> Int? {
        guard let stored = try await backing.size(key) else { return nil }
        switch try await format(key, stored: stored) {
        case .plain: return stored
        case .whole: return stored - Self.header.count - SealedSegments.overhead
        case .segmented: return try SealedSegments.Layout(sealedLength: stored, name: key).plainLength
        }
    }

    /// The opened bytes of `range`: only the segments that hold them are read and opened.
    func get(_ key: ObjectKey, range: Range<Int>) async throws -> [UInt8] {
        guard let stored = try await backing.size(key) else { throw ObjectStoreError.missing(key, range: range) }
        switch try await format(key, stored: stored) {
        case .plain:
            return try await backing.get(key, range: range)
        case .whole:
            guard let whole = try await get(key), range.upperBound <= whole.count else { throw ObjectStoreError.missing(key, range: range) }
            return Array(whole[range])
        case .segmented:
            let layout = try SealedSegments.Layout(sealedLength: stored, name: key)
            guard range.upperBound <= layout.plainLength else { throw ObjectStoreError.missing(key, range: range) }
            guard !range.isEmpty else { return [] }
            let segments = layout.segments(holding: range)
            let sealed = try await backing.get(key, range: layout.sealedRange(ofSegments: segments))
            let opener = SealedSegments.Opener(key: try await keys.key(forOpening: key.owner), name: key)
            var plain: [UInt8] = []
            var offset = 0
            for index in segments {
                let length = min(layout.sealedSegmentLength, sealed.count - offset)
                plain += try opener.open(sealed[offset..<offset + length], index: index, of: layout)
                offset += length
            }
            let first = segments.lowerBound * SealedSegments.segmentLength
            return Array(plain[(range.lowerBound - first)..<(range.upperBound - first)])
        }
    }

    private enum Format { case plain, whole, segmented }

    private func format(_ key: ObjectKey, stored: Int) async throws -> Format {
        guard stored >= 4 else { return .plain }
        let start = try await backing.get(key, range: 0..<4)
        return start == Self.header ? .whole : start == SealedSegments.header ? .segmented : .plain
    }

    func delete(_ key: ObjectKey) async throws {
        try await backing.delete(key)
    }

    func deleteAll(owner: String) async throws -> Int {
        try await backing.deleteAll(owner: owner)
    }
}

/// The sealed format (`SWS1`): the header, then segments of 64 KiB of the object each sealed alone
/// (nonce, ciphertext, tag). A segment's authenticated data is the object's key, the segment's
/// index and whether it is the last, so an object opens only under its own name, and segments
/// moved, dropped or cut off at the end are found (the STREAM construction of Hoang, Reyhanitabar,
/// Rogaway and Vizár). An empty object is one empty last segment.
enum SealedSegments {
    static let header: [UInt8] = Array("SWS1".utf8)
    static let segmentLength = 64 * 1024
    /// AES-GCM's nonce and tag.
    static let overhead = 12 + 16

    /// Where each segment of an object of a stored length lies.
    struct Layout {
        let plainLength: Int
        let segments: Int
        var sealedSegmentLength: Int { SealedSegments.segmentLength + SealedSegments.overhead }

        init(sealedLength: Int, name: ObjectKey) throws {
            let body = sealedLength - SealedSegments.header.count
            let sealedSegment = SealedSegments.segmentLength + SealedSegments.overhead
            segments = max(1, (body + sealedSegment - 1) / sealedSegment)
            plainLength = body - segments * SealedSegments.overhead
            // Only lengths a sealer writes: a whole number of full segments and one last one.
            guard plainLength >= 0, Self.segments(plainLength: plainLength) == segments else {
                throw EncryptionError.cannotOpen(key: name.description)
            }
        }

        static func segments(plainLength: Int) -> Int {
            max(1, (plainLength + SealedSegments.segmentLength - 1) / SealedSegments.segmentLength)
        }

        func segments(holding range: Range<Int>) -> Range<Int> {
            (range.lowerBound / SealedSegments.segmentLength)..<((range.upperBound - 1) / SealedSegments.segmentLength + 1)
        }

        func sealedRange(ofSegments segments: Range<Int>) -> Range<Int> {
            let start = SealedSegments.header.count + segments.lowerBound * sealedSegmentLength
            let end = SealedSegments.header.count + plainLength + self.segments * SealedSegments.overhead
            return start..<min(end, SealedSegments.header.count + segments.upperBound * sealedSegmentLength)
        }
    }

    static func authenticatedData(_ name: ObjectKey, index: Int, last: Bool) -> [UInt8] {
        Array(name.description.utf8) + (0..<8).reversed().map { UInt8((UInt64(index) >> (8 * UInt64($0))) & 0xFF) } + [last ? 1 : 0]
    }

    /// Seals an object's segments in order.
    final class Sealer {
        let key: SymmetricKey
        let name: ObjectKey
        private var index = 0
        private(set) var sealedLast = false

        init(key: DataKey, name: ObjectKey) {
            self.key = key.key
            self.name = name
        }

        func seal(_ segment: ArraySlice<UInt8>, last: Bool) throws -> [UInt8] {
            precondition(!sealedLast && segment.count <= SealedSegments.segmentLength)
            defer { index += 1 }
            sealedLast = last
            return Array(try AES.GCM.seal(segment, using: key, authenticating: SealedSegments.authenticatedData(name, index: index, last: last))
                .combined!)
        }
    }

    struct Opener {
        let key: SymmetricKey
        let name: ObjectKey

        init(key: DataKey, name: ObjectKey) {
            self.key = key.key
            self.name = name
        }

        func open(_ sealed: ArraySlice<UInt8>, index: Int, of layout: Layout) throws -> [UInt8] {
            let data = SealedSegments.authenticatedData(name, index: index, last: index == layout.segments - 1)
            do {
                return Array(try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: key, authenticating: data))
            } catch {
                throw EncryptionError.cannotOpen(key: name.description)
            }
        }
    }
}

/// An owner's data key handed out of `DataKeys`: a `SymmetricKey` never changes once made, but
/// swift-crypto 3 does not say it is Sendable.
struct DataKey: @unchecked Sendable {
    let key: SymmetricKey
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

    /// The owner's key to seal with, made on first use.
    func key(forSealing owner: String) async throws -> DataKey {
        DataKey(key: try await key(for: owner))
    }

    /// The owner's key to open with. - Throws: `keyDestroyed` when the owner has none.
    func key(forOpening owner: String) async throws -> DataKey {
        guard let key = try await existingKey(for: owner) else { throw EncryptionError.keyDestroyed(owner: owner) }
        return DataKey(key: key)
    }

    /// An object sealed whole (the first format). - Throws: `keyDestroyed` when the owner has no key, `cannotOpen` when
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
