import Foundation

/// One of the project's executables running as its own process, as in production: started with
/// environment overrides, output to a log file, stopped with a signal.
package final class ServiceProcess: @unchecked Sendable {
    package let name: String
    package let logPath: String
    private var pid: pid_t?

    /// Starts `executable` from the build folder.
    package convenience init(_ executable: String, arguments: [String] = [], environment: [String: String]) throws {
        try self.init(program: "\(TestEnvironment.binPath)/\(executable)", arguments: arguments, environment: environment)
    }

    /// Starts any program (a softphone, say) the same way.
    package init(program path: String, arguments: [String] = [], environment: [String: String]) throws {
        let executable = URL(fileURLWithPath: path).lastPathComponent
        name = executable
        logPath = NSTemporaryDirectory() + "\(executable)-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pid = try spawnWithEnvironment(path, arguments, merged, output: logPath)
        self.pid = pid
        LiveProcesses.add(pid)
    }

    /// Sends `signal` and waits up to `timeout` for the exit; returns the exit status, or nil if it
    /// had to be killed.
    @discardableResult
    package func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) -> Int32? {
        guard let pid else { return nil }
        kill(pid, signal)
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                self.pid = nil
                LiveProcesses.remove(pid)
                // WIFEXITED / WEXITSTATUS by hand (macros do not import).
                return status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
            }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        self.pid = nil
        LiveProcesses.remove(pid)
        return nil
    }

    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { stop(signal: SIGKILL, timeout: .seconds(2)) }
}

/// Every service process a test started and did not stop yet: killed when the test process exits,
/// so no service outlives the run (a test that fails early never reaches its cleanup).
enum LiveProcesses {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pids: Set<pid_t> = []
    nonisolated(unsafe) private static var installed = false

    static func add(_ pid: pid_t) {
        lock.withLock {
            pids.insert(pid)
            if !installed {
                installed = true
                atexit { LiveProcesses.killAll() }
            }
        }
    }

    static func remove(_ pid: pid_t) { _ = lock.withLock { pids.remove(pid) } }

    static func killAll() {
        for pid in lock.withLock({ pids }) { kill(pid, SIGKILL) }
    }
}

/// HTTP GET through curl: status code and body.
package func httpGet(_ url: String) throws -> (status: Int, body: String) {
    let result = try runProgram("/usr/bin/curl", ["-s", "-m", "2", "-w", "\n%{http_code}", url])
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let status = Int(lines.last ?? "") ?? 0
    return (status, lines.dropLast().joined(separator: "\n"))
}

func spawnWithEnvironment(_ path: String, _ arguments: [String], _ environment: [String: String], output: String) throws -> pid_t {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_APPEND, 0)
    posix_spawn_file_actions_addopen(&actions, 2, output, O_WRONLY | O_APPEND, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard result == 0 else { throw TestFailure("cannot start \(path): error \(result)") }
    return pid
}

/// One HTTP request with curl: `method` to `url`, with a bearer token and a JSON body when given.
package func httpRequest(_ method: String, _ url: String, token: String? = nil, json: String? = nil) throws -> (status: Int, body: String) {
    var arguments = ["-s", "-m", "5", "-X", method, "-w", "\n%{http_code}"]
    if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
    if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
    let result = try runProgram("/usr/bin/curl", arguments + [url])
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
}
