import Foundation
import Media

/// A baresip 1.0 softphone for interop tests: its own config folder, SIP on 127.0.0.1, a WAV tone
/// as its microphone, what it receives recorded by the sndfile module, and driven over ctrl_tcp.
/// (baresip 1.0 cannot resolve a domain itself, so the account's `outbound` names the edge; TLS
/// takes the SIP port + 1, so both ports must be free.)
package final class Baresip: @unchecked Sendable {
    package let user: String
    package let folder: String
    package let sipPort: Int
    private let process: ServiceProcess
    private let control: NetstringClient

    /// - Parameter toneSeconds: how long its microphone sends the tone (then silence).
    package init(user: String, password: String, domain: String, edgePort: Int, toneHz: Double, toneSeconds: Int = 10) throws {
        self.user = user
        folder = NSTemporaryDirectory() + "baresip-\(user)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/rec", withIntermediateDirectories: true)
        sipPort = try freeUDPPortPair()
        let controlPort = try freePort()
        let rtp = 40_000 + Int.random(in: 0..<2_000) * 10
        try WAV.write(Tone.sine(frequency: toneHz, samples: 8000 * toneSeconds), to: folder + "/tone.wav")
        let config = """
            poll_method epoll
            sip_listen 127.0.0.1:\(sipPort)
            call_local_timeout 120
            audio_player aubridge,nil
            audio_source aufile,\(folder)/tone.wav
            audio_alert aubridge,nil
            rtp_ports \(rtp)-\(rtp + 9)
            rtcp_mux no
            jitter_buffer_delay 5-10
            net_interface 127.0.0.1
            module_path /usr/lib/baresip/modules
            module g711.so
            module sndfile.so
            module aufile.so
            module aubridge.so
            module_tmp uuid.so
            module_tmp account.so
            module_app menu.so
            module_app ctrl_tcp.so
            ctrl_tcp_listen 127.0.0.1:\(controlPort)
            snd_path \(folder)/rec

            """
        try config.write(toFile: folder + "/config", atomically: true, encoding: .utf8)
        let account = "<sip:\(user)@\(domain)>;auth_pass=\(password);outbound=\"sip:127.0.0.1:\(edgePort);transport=udp\";regint=600;answermode=manual\n"
        try account.write(toFile: folder + "/accounts", atomically: true, encoding: .utf8)
        process = try ServiceProcess(program: "/usr/bin/baresip", arguments: ["-f", folder, "-t", "60"], environment: [:])
        control = try NetstringClient(port: controlPort)
    }

    package var log: String { process.log }

    /// Sends a ctrl_tcp command (menu module) and waits for its response.
    package func command(_ name: String, _ params: String? = nil) throws {
        let token = UUID().uuidString.prefix(8)
        var object: [String: String] = ["command": name, "token": String(token)]
        if let params { object["params"] = params }
        try control.send(try JSONSerialization.data(withJSONObject: object))
        _ = try waitFor("response to \(name)") { $0["response"] as? Bool == true && $0["token"] as? String == String(token) }
    }

    /// Waits for an event of this type (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED …).
    package func waitForEvent(_ type: String, timeout: TimeInterval = 10) throws {
        _ = try waitFor(type, timeout: timeout) { $0["event"] as? Bool == true && $0["type"] as? String == type }
    }

    private func waitFor(_ what: String, timeout: TimeInterval = 5, _ matches: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = control.take(where: matches) { return message }
            control.pump(timeout: 0.2)
        }
        throw TestFailure("baresip \(user): no \(what) in \(timeout) s\n\(log.suffix(3000))")
    }

    /// The newest recording of what this phone received (sndfile's `*-dec.wav`).
    package func receivedAudio() throws -> [Int16] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/rec").filter { $0.hasSuffix("-dec.wav") }.sorted()
        guard let last = files.last else { throw TestFailure("baresip \(user) recorded nothing") }
        return try WAV.read(folder + "/rec/" + last)
    }

    package func stop() {
        try? command("quit")
        process.stop(signal: SIGTERM, timeout: .seconds(5))
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// A client of baresip's ctrl_tcp: JSON messages framed as netstrings (`<length>:<json>,`).
final class NetstringClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var messages: [[String: Any]] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var connected = false
        for _ in 0..<100 {
            if withLoopbackAddress(port: port, { connect(fd, $0, $1) }) == 0 { connected = true; break }
            usleep(100_000)
        }
        guard connected else { throw TestFailure("ctrl_tcp on \(port) not reachable") }
    }

    deinit { close(fd) }

    func send(_ json: Data) throws {
        let frame = Array("\(json.count):".utf8) + Array(json) + Array(",".utf8)
        guard frame.withUnsafeBytes({ Foundation.send(fd, $0.baseAddress, $0.count, 0) }) == frame.count else {
            throw TestFailure("ctrl_tcp send failed")
        }
    }

    func take(where matches: ([String: Any]) -> Bool) -> [String: Any]? {
        guard let index = messages.firstIndex(where: matches) else { return nil }
        return messages.remove(at: index)
    }

    /// Reads what arrived within `timeout` and splits it into messages.
    func pump(timeout: TimeInterval) {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &chunk, chunk.count, 0)
        if count > 0 { buffer += chunk.prefix(count) }
        while let colon = buffer.firstIndex(of: UInt8(ascii: ":")), let length = Int(String(decoding: buffer[..<colon], as: UTF8.self)),
              buffer.count >= colon + 1 + length + 1 {
            let body = Data(buffer[(colon + 1)..<(colon + 1 + length)])
            buffer.removeFirst(colon + 1 + length + 1)
            if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] { messages.append(object) }
        }
    }
}

/// 16-bit mono 8 kHz WAV files.
package enum WAV {
    package static func write(_ samples: [Int16], to path: String) throws {
        func le32(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)] }
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
        let data = samples.flatMap { le16(Int(UInt16(bitPattern: $0))) }
        let header = Array("RIFF".utf8) + le32(36 + data.count) + Array("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(1)
            + le32(8000) + le32(16_000) + le16(2) + le16(16) + Array("data".utf8) + le32(data.count)
        FileManager.default.createFile(atPath: path, contents: Data(header + data))
    }

    /// The samples of the file's `data` chunk (other chunks skipped).
    package static func read(_ path: String) throws -> [Int16] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            if id == "data" {
                let end = min(bytes.count, offset + 8 + size)
                return stride(from: offset + 8, to: end - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
            }
            offset += 8 + size + (size & 1)
        }
        throw TestFailure("\(path): no data chunk")
    }
}

/// Whether a TCP port on loopback can be bound now.
package func isTCPPortFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    return withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0
}

/// A port free for UDP and TCP whose next port is free for TCP too (baresip's TLS listener takes
/// its SIP port + 1), below the kernel's ephemeral range so that no outgoing connection of another
/// test takes one of them before the phone binds.
package func freeUDPPortPair() throws -> Int {
    for _ in 0..<100 {
        let port = Int.random(in: 15_000..<20_000)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let udpFree = withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0
        close(fd)
        if udpFree, isTCPPortFree(port), isTCPPortFree(port + 1) { return port }
    }
    throw TestFailure("no free port pair")
}
