import Foundation

/// A private Tansu broker for tests that stop and restart it. A restart listens on a second port:
/// the first may be held in TIME_WAIT by the connections the stop closed, and Tansu does not bind
/// with SO_REUSEADDR. Clients get both ports as bootstrap servers. Its storage is memory (a restart
/// starts empty), or, from `persistent()`, an S3 bucket of a moto server of its own, which a
/// restarted broker reads back, as a broker with disks does.
package final class TestBroker: @unchecked Sendable {
    private let ports: [Int]
    private var starts = 0
    private var pid: pid_t?
    private var port: Int { ports[min(max(starts - 1, 0), ports.count - 1)] }
    private let storage: String
    private let environment: [String: String]
    private var bucketServer: ServiceProcess?

    package var brokers: String { ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") }

    package convenience init() throws {
        try self.init(storage: "memory://tansu/", environment: [:])
    }

    private init(storage: String, environment: [String: String]) throws {
        ports = [try freePort(), try freePort()]
        self.storage = storage
        self.environment = environment
    }

    /// A broker whose topics, messages and consumer groups outlive a restart: kept in a bucket of a
    /// moto server (without authentication: the bucket is the broker's disk, not what is tested).
    package static func persistent() async throws -> TestBroker {
        let port = try freePort()
        let moto = try ServiceProcess(program: TestEnvironment.tool("moto_server"), arguments: ["-H", "127.0.0.1", "-p", String(port)],
                                      environment: [:])
        let endpoint = "http://127.0.0.1:\(port)"
        let up = await eventually(timeout: .seconds(30)) { (try? await httpGet("\(endpoint)/moto-api/data.json").status) == 200 }
        guard up, try await httpRequest("PUT", "\(endpoint)/tansu").status == 200 else {
            moto.stop(signal: SIGKILL)
            throw TestFailure("moto did not start for the broker's storage: \(moto.log.suffix(1000))")
        }
        let broker = try TestBroker(storage: "s3://tansu/", environment: [
            "AWS_ENDPOINT": endpoint, "AWS_ALLOW_HTTP": "true", "AWS_ACCESS_KEY_ID": "tansu", "AWS_SECRET_ACCESS_KEY": "tansu",
            "AWS_DEFAULT_REGION": "us-east-1",
        ])
        broker.bucketServer = moto
        return broker
    }

    package func start() throws {
        starts += 1
        pid = try spawn(TestEnvironment.tansu, [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
            "--storage-engine", storage, "--silent",
        ], environment: environment)
        // Tansu listens within milliseconds.
        for _ in 0..<500 where !isListening() { usleep(20_000) }
        guard isListening() else { throw TestFailure("tansu did not listen on \(port)") }
    }

    /// Killed (SIGKILL, as a crash) and started again: from its bucket when persistent.
    package func restart() throws {
        stop()
        try start()
    }

    package func stop() {
        guard let pid else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        self.pid = nil
    }

    /// Freezes the broker (SIGSTOP): connections stay open but nothing is answered, as when a
    /// broker hangs or the network drops packets.
    package func pause() {
        guard let pid else { return }
        kill(pid, SIGSTOP)
        // The signal is asynchronous: wait until the kernel reports the process stopped ("T").
        for _ in 0..<100 {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "T" { return }
            usleep(10_000)
        }
    }

    /// Lets a paused broker go on (SIGCONT), with all its state.
    package func resume() {
        if let pid { kill(pid, SIGCONT) }
    }

    deinit {
        stop()
        bucketServer?.stop(signal: SIGKILL)
    }

    private func isListening() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return withLoopbackAddress(port: port) { connect(fd, $0, $1) == 0 }
    }
}

/// A throwaway PostgreSQL cluster in a temporary folder, for tests that restart the server.
package final class TestPostgresCluster: @unchecked Sendable {
    package let port: Int
    package let directory: String

    package var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres?connect_timeout=3" }

    package init() throws {
        port = try freePort()
        directory = NSTemporaryDirectory() + "switchboard-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try asPostgres("chown", ["postgres", directory], asRoot: true)
        try asPostgres("\(TestEnvironment.postgresBin)/initdb", ["-D", "\(directory)/data", "-U", "postgres", "-A", "trust"])
    }

    package func start() throws {
        try asPostgres("\(TestEnvironment.postgresBin)/pg_ctl", [
            "-D", "\(directory)/data", "-w", "-l", "\(directory)/log",
            "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start",
        ])
    }

    package func stop() throws {
        try asPostgres("\(TestEnvironment.postgresBin)/pg_ctl", ["-D", "\(directory)/data", "-w", "-m", "fast", "stop"])
    }

    package func destroy() {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs a PostgreSQL tool as the postgres user (initdb and the server refuse root).
    private func asPostgres(_ program: String, _ arguments: [String], asRoot: Bool = false) throws {
        let isRoot = getuid() == 0
        let (path, args) = asRoot || !isRoot ? (program, arguments) : ("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        // posix_spawn with output to /dev/null: the server pg_ctl starts would hold a pipe open forever.
        let pid = try spawn(path.hasPrefix("/") ? path : "/usr/bin/\(path)", args)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw TestFailure("\(program) \(arguments.joined(separator: " ")) failed with status \(status)") }
    }
}

/// Starts a program with posix_spawn, output discarded. (Foundation's Process could not be stopped
/// reliably from the tests' concurrent context.)
func spawn(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> pid_t {
    try spawnWithEnvironment(path, arguments, ProcessInfo.processInfo.environment.merging(environment) { $1 }, output: "/dev/null")
}
