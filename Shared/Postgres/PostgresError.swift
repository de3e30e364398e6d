/// The one error type of the PostgreSQL client.
package struct PostgresError: Error, CustomStringConvertible, Sendable {
    package enum Kind: String, Sendable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server rejected the statement; `sqlState` says why.
        case server
        /// A column could not be decoded into the requested Swift type.
        case decoding
        /// The client was shut down.
        case shutdown
    }

    package let kind: Kind
    /// The five-character SQLSTATE, e.g. "23505" for a unique violation.
    package let sqlState: String?
    package let message: String
    package let file: String
    package let line: UInt

    package init(_ kind: Kind, _ message: String, sqlState: String? = nil, file: String = #fileID, line: UInt = #line) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.file = file
        self.line = line
    }

    package var isUniqueViolation: Bool { sqlState == "23505" }

    package var description: String {
        if let sqlState { return "postgres \(kind.rawValue) error \(sqlState): \(message)" }
        return "postgres \(kind.rawValue) error: \(message)"
    }
}
