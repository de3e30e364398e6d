import Foundation
import Media
import Synchronization

/// Runs a SIPp scenario from Tests/SIPScenarios against `target` (nil: a UAS that waits) in a
/// working directory of its own holding `files` (the raw audio `rtp_stream` sends); returns SIPp's
/// exit status (0 = every call succeeded), its error log, and the messages it sent and received.
///
/// SIPp runs on a thread of its own: a run takes seconds, and blocking one of the few threads that
/// run the tests' tasks would stall every other test in the process.
package func runSIPp(scenario: String, target: String?, injection: [[String]] = [], calls: Int = 1, localPort: Int,
                     localIP: String = "127.0.0.1", transport: String = "u1", timeout: Int = 20, arguments: [String] = [],
                     files: [String: [UInt8]] = defaultSIPpAudio) async throws -> (status: Int32, errors: String, messages: String) {
    try await onOwnThread {
        try runSIPpBlocking(scenario: scenario, target: target, injection: injection, calls: calls, localPort: localPort, localIP: localIP,
                            transport: transport, timeout: timeout, arguments: arguments, files: files)
    }
}

private func runSIPpBlocking(scenario: String, target: String?, injection: [[String]], calls: Int, localPort: Int,
                             localIP: String, transport: String, timeout: Int, arguments: [String],
                             files: [String: [UInt8]]) throws -> (status: Int32, errors: String, messages: String) {
    let folder = NSTemporaryDirectory() + "sipp-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for (name, bytes) in files { FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data(bytes)) }
    var options: [String] = []
    if !injection.isEmpty {
        let csv = "SEQUENTIAL\n" + injection.map { $0.joined(separator: ";") }.joined(separator: "\n") + "\n"
        try csv.write(toFile: "\(folder)/users.csv", atomically: true, encoding: .utf8)
        options += ["-inf", "\(folder)/users.csv"]
    }
    let result = try runProgram("/usr/bin/timeout", ["-k", "3", String(timeout), "/usr/bin/sipp"] + (target.map { [$0] } ?? []) + [
        "-sf", "\(sippScenarios)/\(scenario)", "-m", String(calls), "-buff_size", "4194304", "-mp", String(try freeSIPpMediaPort()),
        "-p", String(localPort), "-i", localIP, "-t", transport, "-nostdin", "-trace_err", "-error_file", "\(folder)/errors.log",
        "-trace_msg", "-message_file", "\(folder)/messages.log", "-timeout_error", "-timeout", "\(timeout - 2)s",
    ] + options + arguments, directory: folder)
    let errors = (try? String(contentsOfFile: "\(folder)/errors.log", encoding: .utf8)) ?? ""
    let messages = (try? String(contentsOfFile: "\(folder)/messages.log", encoding: .utf8)) ?? ""
    return (result.status, errors + result.stderr, messages)
}

/// Where the SIPp scenarios are.
package let sippScenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../SIPScenarios").standardized.path

/// One second of a 1000 Hz tone in µ-law (the caller's) and of 400 Hz in A-law (the callee's),
/// the raw files `call.xml` and `answer.xml` stream.
package let defaultSIPpAudio: [String: [UInt8]] = [
    "tone.ulaw": Tone.sine(frequency: 1000, samples: 8000).map(G711.encodeULaw),
    "tone.alaw": Tone.sine(frequency: 400, samples: 8000).map(G711.encodeALaw),
]

/// How strong `frequency` is in recorded audio: the mean of `Tone.power` over the 20 ms blocks
/// (a recording's frames) that have sound, and the share of blocks that have. A recording has a
/// silent frame wherever a packet came late (on a loaded machine, many), and one Goertzel over
/// seconds would lose its coherence at each.
package func blockTonePower(of frequency: Double, in samples: [Int16], block: Int = 160) -> (power: Double, sounding: Double) {
    let blocks = stride(from: 0, to: samples.count - block + 1, by: block).map { Array(samples[$0..<($0 + block)]) }
    let sounding = blocks.filter { Tone.energy(of: $0) > 100 * 100 * Double(block) }
    guard !sounding.isEmpty else { return (0, 0) }
    let power = sounding.map { Tone.power(of: frequency, in: $0) }.reduce(0, +) / Double(sounding.count)
    return (power, Double(sounding.count) / Double(blocks.count))
}

/// Sends one UDP datagram and waits up to `timeout` for a reply.
package func udpExchange(_ payload: [UInt8], to port: Int, timeout: TimeInterval = 2) -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let sent = payload.withUnsafeBytes { buffer in
        withLoopbackAddress(port: port) { sendto(fd, buffer.baseAddress, buffer.count, 0, $0, $1) }
    }
    guard sent == payload.count else { return nil }
    var reply = [UInt8](repeating: 0, count: 65_535)
    let received = recv(fd, &reply, reply.count, 0)
    return received > 0 ? Array(reply.prefix(received)) : nil
}

/// Opens a TCP connection to loopback `port`, sends `payload`, and returns what comes back until
/// the server closes the connection or `timeout` passes (on a thread of its own).
package func tcpExchange(_ payload: [UInt8], port: Int, timeout: TimeInterval = 3) async throws -> String {
    try await onOwnThread {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard withLoopbackAddress(port: port, { connect(fd, $0, $1) }) == 0 else { throw TestFailure("no TCP connection to \(port)") }
        _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_535)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            received += chunk.prefix(count)
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// A free UDP port on loopback.
package func freeUDPPort() throws -> Int {
    for _ in 0..<20 {
        let port = try freePort()
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        if withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0 { return port }
    }
    throw TestFailure("no free UDP port")
}

/// The first of four free UDP ports for one SIPp run's media (`-mp`: audio RTP and RTCP, then video
/// RTP and RTCP). Blocks come from 30000–32759, between the edge's RTP range and the kernel's
/// ephemeral ports, each handed out once per round, so concurrent runs do not take each other's.
package func freeSIPpMediaPort() throws -> Int {
    for _ in 0..<100 {
        let base = nextMediaBlock.withLock { next -> Int in
            defer { next = (next + 4) % 2_760 }
            return 30_000 + next
        }
        let free = (base..<base + 4).allSatisfy { port in
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            return withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0
        }
        if free { return base }
    }
    throw TestFailure("no free block of four UDP ports for SIPp's media")
}

private let nextMediaBlock = Mutex(Int.random(in: 0..<690) * 4)

/// Runs blocking work (a SIPp run) on a thread of its own, so that it never holds one of the few
/// threads of Swift's cooperative pool while the test goes on.
package func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// A caller's RTP socket that the test drives itself (its SDP names this port): it sends what the
/// test gives it and keeps every packet that arrives, with the port it came from.
package final class RTPEndpoint: @unchecked Sendable {
    package let port: Int
    private let fd: Int32
    private let state = Mutex<(packets: [[UInt8]], peer: Int?, open: Bool)>(([], nil, true))

    package init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        port = try freeUDPPort()
        guard withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0 else { throw TestFailure("cannot bind UDP \(port)") }
        Thread { [self] in receive() }.start()
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 2048)
        var source = sockaddr_in()
        while state.withLock({ $0.open }) {
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count > 0 else { continue }
            let from = Int(UInt16(bigEndian: source.sin_port))
            state.withLock { state in
                state.packets.append(Array(buffer.prefix(count)))
                if state.peer == nil { state.peer = from }
            }
        }
    }

    /// Every packet so far.
    package var packets: [[UInt8]] { state.withLock { $0.packets } }
    /// The port the first packet came from (the edge's media port for this leg).
    package var peer: Int? { state.withLock { $0.peer } }

    package func send(_ packet: [UInt8], to port: Int) {
        _ = withLoopbackAddress(port: port) { address, length in
            packet.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, length) }
        }
    }

    package func close() {
        state.withLock { $0.open = false }
        Thread.sleep(forTimeInterval: 0.15)
        Glibc.close(fd)
    }
}
