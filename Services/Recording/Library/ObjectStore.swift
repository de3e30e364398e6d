import Foundation
import Tenancy

/// Where the media store keeps its bytes (DESIGN §7): objects under a key of the owner (a tenant,
/// or `system`) and the content's SHA-256. A key names one content forever, so a put of a key that
/// exists changes nothing and a reader never sees a half-written object.
protocol ObjectStore: Sendable {
    /// Stores what `next` gives, in order, until it gives nil, as one object: an export of many
    /// gigabytes goes through without being held in memory.
    func put(_ key: ObjectKey, chunks next: () async throws -> [UInt8]?) async throws
    /// nil when there is no such object.
    func get(_ key: ObjectKey) async throws -> [UInt8]?
    /// The object's length; nil when there is no such object.
    func size(_ key: ObjectKey) async throws -> Int?
    /// The bytes of `range` (within `size`): a download's next part, or one a client resumes at.
    func get(_ key: ObjectKey, range: Range<Int>) async throws -> [UInt8]
    func delete(_ key: ObjectKey) async throws
    /// Deletes every object of `owner` (a deleted tenant's); returns how many there were.
    func deleteAll(owner: String) async throws -> Int
}

/// `owner/sha256`: the owner is a tenant slug, or `_system` (which no slug can be) for the system
/// prompts; the name is the hex SHA-256 of the bytes.
struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    let owner: String
    let sha256: String

    static let systemOwner = "_system"

    /// nil for a key that is not of that shape (it could escape the store's folder or bucket prefix).
    init?(owner: String, sha256: String) {
        guard owner == Self.systemOwner || (try? TenantSlug(owner)) != nil,
              sha256.count == 64, sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.owner = owner
        self.sha256 = sha256
    }

    var description: String { "\(owner)/\(sha256)" }
}

extension ObjectStore {
    func put(_ key: ObjectKey, bytes: [UInt8]) async throws {
        var given = false
        try await put(key) {
            defer { given = true }
            return given ? nil : bytes
        }
    }
}

enum ObjectStoreError: Error, CustomStringConvertible {
    /// A range read of an object that is not there (deleted meanwhile) or shorter than asked.
    case missing(ObjectKey, range: Range<Int>)

    var description: String {
        switch self {
        case .missing(let key, let range): "object \(key) has no bytes \(range.lowerBound)..<\(range.upperBound)"
        }
    }
}

/// The default store: files under a folder, `owner/ab/abcdef…` (two levels keep folders small).
/// A put writes a temporary file and renames it into place, so an object appears whole or not at all.
struct FileObjectStore: ObjectStore {
    let root: URL

    init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true)
    }

    private func url(_ key: ObjectKey) -> URL {
        root.appendingPathComponent(key.owner, isDirectory: true)
            .appendingPathComponent(String(key.sha256.prefix(2)), isDirectory: true)
            .appendingPathComponent(key.sha256)
    }

    func put(_ key: ObjectKey, chunks next: () async throws -> [UInt8]?) async throws {
        let target = url(key)
        if FileManager.default.fileExists(atPath: target.path) { return }
        let folder = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(key.sha256).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        do {
            let file = try FileHandle(forWritingTo: temporary)
            defer { try? file.close() }
            while let chunk = try await next() { try file.write(contentsOf: chunk) }
            // On disk before its name, and its name before this returns: a caller that commits
            // (metadata, Kafka offsets) after `put` never names an object a crash could take back.
            try file.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        // rename(2) replaces atomically; two writers of one key write the same bytes.
        guard rename(temporary.path, target.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown)
        }
        try Self.sync(folder.path)
    }

    /// fsync(2) of a file or a folder.
    private static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }

    func get(_ key: ObjectKey) async throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: url(key).path) else { return nil }
        return Array(data)
    }

    func size(_ key: ObjectKey) async throws -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url(key).path))?[.size].flatMap { ($0 as? NSNumber)?.intValue }
    }

    func get(_ key: ObjectKey, range: Range<Int>) async throws -> [UInt8] {
        guard let file = FileHandle(forReadingAtPath: url(key).path) else { throw ObjectStoreError.missing(key, range: range) }
        defer { try? file.close() }
        try file.seek(toOffset: UInt64(range.lowerBound))
        let bytes = Array(try file.read(upToCount: range.count) ?? Data())
        guard bytes.count == range.count else { throw ObjectStoreError.missing(key, range: range) }
        return bytes
    }

    func delete(_ key: ObjectKey) async throws {
        try? FileManager.default.removeItem(at: url(key))
    }

    func deleteAll(owner: String) async throws -> Int {
        let folder = root.appendingPathComponent(owner, isDirectory: true)
        let count = FileManager.default.enumerator(atPath: folder.path)?.allObjects.count { ($0 as? String)?.count ?? 0 > 2 } ?? 0
        if FileManager.default.fileExists(atPath: folder.path) { try FileManager.default.removeItem(at: folder) }
        return count
    }
}
