import AsyncHTTPClient
import Events
import Media
import NIOCore
import NIOConcurrencyHelpers
import Runtime
import Tenancy

/// Where the edge gets a prompt's WAV file: the media store (`recording`'s internal HTTP), by
/// tenant and content hash.
protocol PromptStore: Sendable {
    func wav(sha256: String, tenant: TenantSlug) async throws -> [UInt8]
}

/// Prompts as audio the player sends, fetched once and kept by content hash (a hash names one
/// content forever, so an entry is never stale), at most `capacity` samples in all; the least
/// recently played go first.
final class PromptCache: Sendable {
    private struct Entry {
        let samples: [Int16]
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var size = 0
        var clock: UInt64 = 0
    }

    let store: any PromptStore
    /// About 30 minutes of 8 kHz audio by default (29 MB).
    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(store: any PromptStore, capacity: Int = 8000 * 60 * 30) {
        self.store = store
        self.capacity = capacity
    }

    func samples(sha256: String, tenant: TenantSlug) async throws -> [Int16] {
        // Keyed by tenant too: a tenant only ever plays its own objects (and the system's, which
        // `recording` serves under every tenant).
        let key = "\(tenant.value)/\(sha256)"
        if let hit = state.withLockedValue({ state -> [Int16]? in
            state.clock += 1
            state.entries[key]?.lastUse = state.clock
            return state.entries[key]?.samples
        }) { return hit }
        let samples = try WAV.samples(try await store.wav(sha256: sha256, tenant: tenant))
        state.withLockedValue { state in
            guard state.entries[key] == nil, samples.count <= capacity else { return }
            state.clock += 1
            state.entries[key] = Entry(samples: samples, lastUse: state.clock)
            state.size += samples.count
            while state.size > capacity, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries.removeValue(forKey: oldest.key)
                state.size -= oldest.value.samples.count
            }
        }
        return samples
    }

    /// The audio of a play command's items, in order.
    func render(_ items: [PlayItem], tenant: TenantSlug) async throws -> [Int16] {
        var out: [Int16] = []
        for item in items {
            switch item {
            case .prompt(let sha256): out += try await samples(sha256: sha256, tenant: tenant)
            case .ringback(let seconds): out += Self.ringback(seconds: min(max(seconds, 1), 600))
            case .beep: out += Tone.sine(frequency: 1000, samples: 4000, amplitude: 6000)
            case .silence(let milliseconds): out += repeatElement(0, count: 8 * min(max(milliseconds, 0), 60_000))
            }
        }
        return out
    }

    /// The European ringback tone (ETSI TR 101 041: 425 Hz, 1 s on, 4 s off).
    static func ringback(seconds: Int) -> [Int16] {
        let cycle = Tone.sine(frequency: 425, samples: 8000, amplitude: 4000) + repeatElement(0, count: 32_000)
        return Array((0..<(seconds + 4) / 5).map { _ in cycle }.joined())
    }
}

/// The media store as the edge reaches it: `recording`'s internal HTTP (DESIGN §6), which serves
/// a tenant's prompt objects (and the system prompts) by hash.
struct RecordingPromptStore: PromptStore {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// `http://host:port` of `recording`.
    let baseURL: String
    /// `SWITCHBOARD_INTERNAL_TOKEN`.
    let token: String
    let client: HTTPClient
    /// The longest prompt file the edge takes (10 minutes of 16-bit audio).
    static let maximumBytes = 8000 * 2 * 600 + 1024

    func wav(sha256: String, tenant: TenantSlug) async throws -> [UInt8] {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else { throw Missing(description: "not a SHA-256: \(sha256)") }
        var request = HTTPClientRequest(url: "\(baseURL)/internal/media/\(tenant.value)/\(sha256.lowercased())")
        if let (name, value) = InternalHTTP.authorization(token: token) { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(5))
        guard response.status == .ok else {
            throw Missing(description: "prompt \(sha256) of \(tenant): \(response.status.code) from recording")
        }
        return Array(buffer: try await response.body.collect(upTo: Self.maximumBytes))
    }
}
