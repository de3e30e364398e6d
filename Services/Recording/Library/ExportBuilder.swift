import Crypto
import Foundation
import Logging
import Media
import Postgres
import ServiceLifecycle
import Tenancy
import ZIPFoundation

/// Builds the exports the API asked for and those of contract end (DESIGN §7), one at a time per
/// replica: a ZIP of the tenant's call recordings (stereo WAV: caller left, callee right) and
/// voicemail messages (mono WAV), with `index.csv` and `index.json` naming each file and what it
/// is. The archive is stored as the tenant's `export` object (sealed like all media) and is
/// downloadable until it expires.
struct ExportBuilder: Service {
    let db: PostgresClient
    let library: MediaLibrary
    /// The topic prefix: this deployment's jobs only.
    let deployment: String
    let logger: Logger
    static let interval: Duration = .seconds(3)

    var exports: MediaExports { MediaExports(db: db, deployment: deployment) }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                while !Task.isShuttingDownGracefully, let (tenant, export) = try await exports.claim() {
                    await build(export, of: tenant)
                }
            } catch {
                logger.warning("exports not looked for; trying again", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }

    /// One line of the index.
    struct IndexEntry: Codable, Equatable {
        enum Kind: String, Codable { case recording, voicemail }
        var kind: Kind
        var id: String
        var file: String
        var callId: String
        var number: String?
        var direction: String?
        var user: String?
        var box: String?
        var caller: String
        var callee: String?
        var startedAt: Date
        var durationMs: Int
        var status: String
        /// Of the WAV file in the archive.
        var sha256: String

        static let csvHeader = "kind,id,file,callId,number,direction,user,box,caller,callee,startedAt,durationMs,status,sha256"

        var csvLine: String {
            [kind.rawValue, id, file, callId, number ?? "", direction ?? "", user ?? "", box ?? "", caller, callee ?? "",
             ISO8601DateFormatter().string(from: startedAt), String(durationMs), status, sha256].map(Self.csvField).joined(separator: ",")
        }

        /// RFC 4180: quoted when it holds a comma, a quote or a line break, quotes doubled.
        static func csvField(_ value: String) -> String {
            guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }

    func build(_ export: MediaExport, of tenant: TenantSlug) async {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(export.id.uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("export.zip")
            let items = try await write(export, of: tenant, to: file)
            let (sha, size) = try await library.storeObject(file: file, kind: "export", tenant: tenant, on: db)
            try await exports.complete(export.id, sha256: sha, size: size, items: items, expires: try await expiry(of: export, tenant: tenant))
            logger.info("export built", metadata: ["tenant": "\(tenant)", "export": "\(export.id)", "items": "\(items)", "bytes": "\(size)"])
        } catch {
            // The details are the operator's (the log); the tenant's admin learns that it failed.
            logger.error("export failed", metadata: ["tenant": "\(tenant)", "export": "\(export.id)", "error": "\(error)"])
            try? await exports.fail(export.id, error: "the archive could not be built; ask again, or ask the operator")
        }
    }

    /// A contract's export lasts the export window; one asked for, a week.
    private func expiry(of export: MediaExport, tenant: TenantSlug) async throws -> Date {
        let requested = Date().addingTimeInterval(MediaExports.requestedLifetime)
        guard export.reason == .contractEnd,
              let row = try await db.query("""
                  SELECT (export_ends + 1)::timestamptz AS ends FROM platform.tenants WHERE slug = \(tenant.value) AND export_ends IS NOT NULL
                  """).first else { return requested }
        return try row.decode("ends")
    }

    /// Writes the ZIP file, one audio file at a time (a recording's WAV decoded as it is added).
    /// - Returns: how many audio files it holds.
    func write(_ export: MediaExport, of tenant: TenantSlug, to url: URL) async throws -> Int {
        let zip = try Archive(url: url, accessMode: .create)
        var index: [IndexEntry] = []

        for recording in try await recordings(export.filter, of: tenant) {
            guard let sha = recording.sha256, let opus = try await library.object(sha256: sha, tenant: tenant) else { continue }
            let file = "recordings/\(recording.id).wav"
            let wavSHA256 = try Self.add(try RecordingWAV(opus: opus), as: file, to: zip)
            index.append(IndexEntry(kind: .recording, id: recording.id, file: file, callId: recording.callId, number: recording.number,
                                    direction: recording.direction.rawValue, user: recording.user, box: nil, caller: recording.caller,
                                    callee: recording.callee, startedAt: recording.startedAt, durationMs: recording.durationMs ?? 0,
                                    status: recording.status.rawValue, sha256: wavSHA256))
        }
        if export.voicemail {
            for row in try await db.query("""
                SELECT id, box, caller, call_id, received_at, duration_ms, sha256, folder FROM \(identifier: tenant.schema).voicemail_messages
                ORDER BY received_at, id
                """) {
                guard let wav = try await library.object(sha256: try row.decode("sha256"), tenant: tenant) else { continue }
                let id = try row.decode("id", as: UUID.self).uuidString.lowercased()
                let box: String = try row.decode("box")
                let file = "voicemail/\(box)/\(id).wav"
                try Self.add(wav, as: file, to: zip)
                index.append(IndexEntry(kind: .voicemail, id: id, file: file, callId: try row.decode("call_id"), number: nil, direction: nil,
                                        user: nil, box: box, caller: try row.decode("caller"), callee: nil, startedAt: try row.decode("received_at"),
                                        durationMs: try row.decode("duration_ms"), status: try row.decode("folder"), sha256: MediaLibrary.sha256(wav)))
            }
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.add(Array(try encoder.encode(index)), as: "index.json", to: zip)
        try Self.add(Array(([IndexEntry.csvHeader] + index.map(\.csvLine)).joined(separator: "\r\n").utf8) + [13, 10], as: "index.csv", to: zip)
        return index.count
    }

    /// Every recording the filter picks, page by page.
    private func recordings(_ filter: CallRecordingFilter, of tenant: TenantSlug) async throws -> [CallRecordingInfo] {
        let archive = CallRecordingArchive(db: db, actor: "recording", address: nil)
        var all: [CallRecordingInfo] = []
        var page = filter
        page.limit = 1000
        while true {
            let found = try await archive.list(tenant: tenant.value, page, visibleTo: nil)
            all += found
            guard found.count == page.limit, let last = found.last else { return all }
            page.after = PageCursor(at: last.startedAt, id: last.id)
        }
    }

    /// Audio barely compresses: stored as it is.
    private static func add(_ bytes: [UInt8], as path: String, to zip: Archive) throws {
        let data = Data(bytes)
        try zip.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    /// A recording's WAV as it is decoded. - Returns: the file's SHA-256, for the index.
    private static func add(_ wav: RecordingWAV, as path: String, to zip: Archive) throws -> String {
        var hasher = SHA256()
        try zip.addEntry(with: path, type: .file, uncompressedSize: Int64(wav.length), compressionMethod: .none) { _, size in
            // ZIPFoundation asks for the entry's bytes in order.
            let bytes = try wav.read(size)
            hasher.update(data: bytes)
            return Data(bytes)
        }
        return MediaLibrary.hex(hasher.finalize())
    }
}
