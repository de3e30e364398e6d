import Foundation
import Kafka
import Logging
import Postgres

/// Where the integration tests find the PostgreSQL cluster and broker that `make test` started
/// (scripts/test exports these variables).
package enum TestEnvironment {
    package static var databaseURL: String { required("SWITCHBOARD_TEST_DATABASE_URL") }
    package static var kafkaBrokers: String { required("SWITCHBOARD_TEST_KAFKA_BROKERS") }
    package static var tansu: String { required("SWITCHBOARD_TANSU") }
    package static var postgresBin: String { required("SWITCHBOARD_PG_BIN") }
    /// The folder with the built executables (sip-edge, api, switchboard, ...).
    package static var binPath: String { required("SWITCHBOARD_BIN") }
    /// The repository's root, from this file's place in it.
    package static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A Python tool that scripts/bootstrap installs (PyYAML's python, schemathesis, moto).
    package static func tool(_ name: String) -> String { "\(repository)/.local/tools/venv/bin/\(name)" }

    static func required(_ name: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            fatalError("\(name) is not set: run the tests with `make test`, which starts PostgreSQL and the broker")
        }
        return value
    }

    package static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    package static func kafka(_ brokers: String? = nil, client: String = "test") -> KafkaConfiguration {
        var config = KafkaConfiguration(bootstrapServers: brokers ?? kafkaBrokers, clientID: client)
        config.sessionTimeoutMilliseconds = 3_000
        config.maxPollIntervalMilliseconds = 6_000
        // Not 2 ms as on the call path: the suite's many readers would saturate the local broker.
        config.fetchWaitMaxMilliseconds = 20
        config.deliveryTimeoutMilliseconds = 5_000
        return config
    }

    package static func postgres(maxConnections: Int = 4) -> PostgresClient {
        PostgresClient(configuration: PostgresConfiguration(conninfo: databaseURL, maxConnections: maxConnections), logger: logger)
    }

    /// A name no other test uses: topics, groups and tenant slugs.
    package static func unique(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates topics for a test and returns their names.
    package static func makeTopic(_ prefix: String, partitions: Int32 = 1, brokers: String? = nil) async throws -> String {
        let name = unique(prefix)
        let admin = try KafkaAdmin(configuration: kafka(brokers), logger: logger)
        try await admin.ensureTopics([(name, partitions)])
        return name
    }
}

/// Polls `condition` until it holds or `timeout` passes.
package func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Runs a program to completion and returns its exit status and output.
@discardableResult
package func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws
    -> (status: Int32, stdout: String, stderr: String)
{
    let process = Process()
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// A free TCP port on loopback (bound and released at once).
package func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

package struct TestFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Calls `body` with a sockaddr for 127.0.0.1:`port`.
package func withLoopbackAddress<R>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

/// A TCP port on 127.0.0.1 that takes no connection: its listener's accept queue is already full,
/// so the kernel drops every SYN and a connect hangs until it times out (a device that is gone
/// without a word). Close the returned descriptors when done.
package func blackHoleTCPPort(_ port: Int) throws -> [Int32] {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var reuse: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    guard withLoopbackAddress(port: port, { bind(listener, $0, $1) }) == 0, listen(listener, 0) == 0 else {
        close(listener)
        throw TestFailure("cannot listen on \(port)")
    }
    // Connections nobody accepts fill the queue (a backlog of 0 holds one).
    let fillers = (0..<2).map { _ in
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        _ = withLoopbackAddress(port: port) { connect(filler, $0, $1) }
        return filler
    }
    return [listener] + fillers
}
