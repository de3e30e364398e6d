import Media
import Synchronization
import Tenancy
import Testing

@testable import SipEdge

/// The edge's prompt cache over a store that counts its fetches (the store itself is tested
/// against a real `recording` in the integration tests).
@Suite("prompt cache")
struct PromptCacheTests {
    final class CountingStore: PromptStore {
        let fetches = Mutex(0)
        func wav(sha256: String, tenant: TenantSlug) async throws -> [UInt8] {
            fetches.withLock { $0 += 1 }
            return WAV.file([Int16](repeating: 100, count: 800))  // 100 ms
        }
    }

    static let a = String(repeating: "a", count: 64)
    static let b = String(repeating: "b", count: 64)
    static let c = String(repeating: "c", count: 64)

    @Test("a prompt is fetched once per tenant; the least recently played goes when the cache is full")
    func fetchOnceAndEvict() async throws {
        let store = CountingStore()
        let cache = PromptCache(store: store, capacity: 1600)  // room for two prompts
        let demo = try TenantSlug("demo"), other = try TenantSlug("other")
        #expect(try await cache.samples(sha256: Self.a, tenant: demo).count == 800)
        _ = try await cache.samples(sha256: Self.a, tenant: demo)
        #expect(store.fetches.withLock { $0 } == 1, "the second play comes from the cache")
        _ = try await cache.samples(sha256: Self.a, tenant: other)
        #expect(store.fetches.withLock { $0 } == 2, "another tenant's copy is its own")
        _ = try await cache.samples(sha256: Self.a, tenant: demo)  // demo's a is now the most recent
        _ = try await cache.samples(sha256: Self.b, tenant: demo)  // evicts other's a
        _ = try await cache.samples(sha256: Self.a, tenant: demo)
        #expect(store.fetches.withLock { $0 } == 3)
        _ = try await cache.samples(sha256: Self.a, tenant: other)
        #expect(store.fetches.withLock { $0 } == 4, "the least recently played was evicted")
    }

    @Test("a play command renders its items in order: a prompt, a beep, silence")
    func render() async throws {
        let cache = PromptCache(store: CountingStore())
        let audio = try await cache.render([.prompt(sha256: Self.c), .beep, .silence(milliseconds: 250)], tenant: try TenantSlug("demo"))
        #expect(audio.count == 800 + 4000 + 2000)
        #expect(Tone.power(of: 1000, in: Array(audio[800..<4800])) > 0.9)
        #expect(audio.suffix(2000).allSatisfy { $0 == 0 })
    }
}
