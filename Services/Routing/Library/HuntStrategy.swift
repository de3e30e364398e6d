import Foundation

/// How a group shares a call among its members (issue: routing): the order in which members ring.
enum HuntStrategy: String, Sendable, CaseIterable {
    case ringAll = "ring-all"
    case linear
    case roundRobin = "round-robin"
    case leastRecent = "least-recent"
    case longestIdle = "longest-idle"
    case random

    struct Member: Sendable, Equatable {
        var id: String  // extension or E.164
        var position: Int
        /// When a call was last offered to the member (least-recent).
        var lastOffered: Date?
        /// When the member's last call ended (longest-idle).
        var lastCallEnded: Date?
    }

    /// The members in ringing order. `cursor` is the round-robin position (from the group's shared
    /// counter); members that never had a call come first in the fair strategies, by position.
    func order<R: RandomNumberGenerator>(_ members: [Member], cursor: Int = 0, using generator: inout R) -> [Member] {
        let byPosition = members.sorted { $0.position < $1.position }
        switch self {
        case .ringAll, .linear:
            return byPosition
        case .roundRobin:
            guard !byPosition.isEmpty else { return [] }
            let start = ((cursor % byPosition.count) + byPosition.count) % byPosition.count
            return Array(byPosition[start...] + byPosition[..<start])
        case .leastRecent:
            return byPosition.sorted { Self.earlier($0.lastOffered, $1.lastOffered) }
        case .longestIdle:
            return byPosition.sorted { Self.earlier($0.lastCallEnded, $1.lastCallEnded) }
        case .random:
            return byPosition.shuffled(using: &generator)
        }
    }

    /// nil (never) before any date; a stable order otherwise.
    private static func earlier(_ a: Date?, _ b: Date?) -> Bool {
        switch (a, b) {
        case (nil, nil): false
        case (nil, _): true
        case (_, nil): false
        case (let a?, let b?): a < b
        }
    }
}
