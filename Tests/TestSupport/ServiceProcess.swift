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

    /// Sends `signal` without waiting for the process to exit.
    package func send(_ signal: Int32) {
        if let pid { kill(pid, signal) }
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

    /// Waits up to `timeout` for the process to exit by itself; its exit status, or nil if it had to be killed.
    package func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        stop(signal: 0, timeout: timeout)
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
package func httpGet(_ url: String) async throws -> HTTPAnswer {
    try await httpRequest("GET", url, timeoutSeconds: 2)
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

/// An HTTP answer: status, headers by lower-cased name, body.
package struct HTTPAnswer: Sendable {
    package let status: Int
    package let headers: [String: String]
    package let bytes: [UInt8]
    package var body: String { String(decoding: bytes, as: UTF8.self) }
}

/// One HTTP request with curl: `method` to `url`, with a bearer token and a JSON body when given.
/// A status of 0 means no answer. Curl runs on a thread of its own (see `runSIPp`).
/// `from`: the local address to connect from (another loopback address plays another client).
package func httpRequest(_ method: String, _ url: String, token: String? = nil, json: String? = nil,
                         timeoutSeconds: Int = 30, from source: String? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
    try await onOwnThread {
        try httpRequestBlocking(method, url, token: token, body: json.map { (Array($0.utf8), "application/json") },
                                timeoutSeconds: timeoutSeconds, source: source, headers: headers)
    }
}

/// One HTTP request with a body of any type (an upload).
package func httpRequest(_ method: String, _ url: String, token: String? = nil, body: [UInt8], contentType: String,
                         timeoutSeconds: Int = 30) async throws -> HTTPAnswer {
    try await onOwnThread {
        try httpRequestBlocking(method, url, token: token, body: (body, contentType), timeoutSeconds: timeoutSeconds, source: nil, headers: [:])
    }
}

private func httpRequestBlocking(_ method: String, _ url: String, token: String?, body: (bytes: [UInt8], type: String)?,
                                 timeoutSeconds: Int, source: String?, headers extra: [String: String]) throws -> HTTPAnswer {
    let folder = NSTemporaryDirectory() + "http-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // No `Expect: 100-continue` for large bodies: the answer is what the server says to the body.
    var arguments = ["-s", "-m", "\(timeoutSeconds)", "-X", method, "-D", "\(folder)/headers", "-o", "\(folder)/body", "-H", "Expect:"]
    if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
    for (name, value) in extra.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
    if let source { arguments += ["--interface", source] }
    if let body {
        // From a file: a body can be longer than one command-line argument may be.
        try Data(body.bytes).write(to: URL(fileURLWithPath: "\(folder)/request"))
        arguments += ["-H", "Content-Type: \(body.type)", "--data-binary", "@\(folder)/request"]
    }
    _ = try runProgram("/usr/bin/curl", arguments + [url])
    let lines = ((try? String(contentsOfFile: "\(folder)/headers", encoding: .utf8)) ?? "").components(separatedBy: "\r\n")
    let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return HTTPAnswer(status: status, headers: headers, bytes: Array(FileManager.default.contents(atPath: "\(folder)/body") ?? Data()))
}

/// The sum of a metric's series (all its labels) on a service's `/metrics` at `port`.
package func serviceMetric(_ name: String, port: Int) async throws -> Double {
    let body = try await httpGet("http://127.0.0.1:\(port)/metrics").body
    return body.split(separator: "\n").filter { $0.hasPrefix(name) }
        .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
}
