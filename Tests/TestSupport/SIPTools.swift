import Foundation

/// Runs a SIPp scenario from Tests/SIPScenarios against `target`; returns SIPp's exit status
/// (0 = every call succeeded) and its error log.
package func runSIPp(scenario: String, target: String, injection: [[String]], calls: Int = 1, localPort: Int,
                     transport: String = "u1", timeout: Int = 20) throws -> (status: Int32, errors: String) {
    let folder = NSTemporaryDirectory() + "sipp-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let csv = "SEQUENTIAL\n" + injection.map { $0.joined(separator: ";") }.joined(separator: "\n") + "\n"
    try csv.write(toFile: "\(folder)/users.csv", atomically: true, encoding: .utf8)
    let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../SIPScenarios").standardized.path
    let result = try runProgram("/usr/bin/timeout", [
        String(timeout), "/usr/bin/sipp", target, "-sf", "\(scenarios)/\(scenario)", "-inf", "\(folder)/users.csv",
        "-m", String(calls), "-buff_size", "4194304", "-mp", String(try freePort()), "-p", String(localPort),
        "-i", "127.0.0.1", "-t", transport, "-nostdin", "-trace_err", "-error_file", "\(folder)/errors.log", "-timeout_error", "-timeout", "\(timeout - 2)s",
    ])
    let errors = (try? String(contentsOfFile: "\(folder)/errors.log", encoding: .utf8)) ?? ""
    return (result.status, errors + result.stderr)
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
