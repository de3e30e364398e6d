import Foundation

/// A private Tansu broker (memory storage) for tests that stop and restart it. A restart listens on
/// a second port: the first may be held in TIME_WAIT by the connections the stop closed, and Tansu
/// does not bind with SO_REUSEADDR. Clients get both ports as bootstrap servers.
package final class TestBroker: @unchecked Sendable {
    private let ports: [Int]
    private var starts = 0
    private var pid: pid_t?
    private var port: Int { ports[min(max(starts - 1, 0), ports.count - 1)] }

    package var brokers: String { ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") }

    package init() throws {
        ports = [try freePort(), try freePort()]
    }

    package func start() throws {
        starts += 1
        pid = try spawn(TestEnvironment.tansu, [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
            "--storage-engine", "memory://tansu/", "--silent",
        ])
        // Tansu listens within milliseconds.
        for _ in 0..<500 where !isListening() { usleep(20_000) }
        guard isListening() else { throw TestFailure("tansu did not listen on \(port)") }
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

    deinit { stop() }

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
func spawn(_ path: String, _ arguments: [String]) throws -> pid_t {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard result == 0 else { throw TestFailure("cannot start \(path): error \(result)") }
    return pid
}
