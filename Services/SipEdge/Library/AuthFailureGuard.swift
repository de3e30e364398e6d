import Foundation
import NIOConcurrencyHelpers

/// Throttles sources that fail authentication repeatedly: after `limit` failures within `window`,
/// the source is refused for `blockFor` (DESIGN §8).
final class AuthFailureGuard: Sendable {
    private struct Entry {
        var failures: [ContinuousClock.Instant] = []
        var blockedUntil: ContinuousClock.Instant?
    }
    private let entries = NIOLockedValueBox([String: Entry]())
    let limit: Int
    let window: Duration
    let blockFor: Duration

    init(limit: Int = 10, window: Duration = .seconds(60), blockFor: Duration = .seconds(300)) {
        self.limit = limit
        self.window = window
        self.blockFor = blockFor
    }

    func isBlocked(_ source: String, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLockedValue { entries in
            guard let until = entries[source]?.blockedUntil else { return false }
            if until > now { return true }
            entries[source] = nil
            return false
        }
    }

    /// Records a failure; returns true when the source is now blocked.
    @discardableResult
    func recordFailure(_ source: String, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLockedValue { entries in
            if entries.count > 100_000 { entries = entries.filter { $0.value.blockedUntil.map { $0 > now } ?? false } }
            var entry = entries[source] ?? Entry()
            entry.failures = entry.failures.filter { now - $0 < window } + [now]
            if entry.failures.count >= limit { entry.blockedUntil = now + blockFor }
            entries[source] = entry
            return entry.blockedUntil != nil
        }
    }

    func recordSuccess(_ source: String) {
        entries.withLockedValue { _ = $0.removeValue(forKey: source) }
    }
}
