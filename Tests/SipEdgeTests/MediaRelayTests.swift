import Foundation
import Media
import NIOCore
import NIOPosix
import Testing
import TestSupport

@testable import SipEdge

/// The relay with real UDP sockets on loopback standing in for two phones.
@Suite("anchored media", .timeLimit(.minutes(1)))
struct MediaRelayTests {
    @Test("a PCMU tone reaches a PCMA leg transcoded, the other way too; events keep their type; latching follows the real source")
    func relayTranscodesAndLatches() async throws {
        let session = try await MediaSession.open(host: "127.0.0.1", ports: RTPPortAllocator(range: 41_000...41_999))
        let caller = try UDPPeer()
        let callee = try UDPPeer()
        // The caller's SDP names a port it does not send from (as behind NAT): latching must find the real one.
        await session.configure(leg: 0, remote: try SocketAddress(ipAddress: "127.0.0.1", port: 9), format: LegFormat(audioPayloadType: 0, telephoneEvent: 101))
        await session.configure(leg: 1, remote: try SocketAddress(ipAddress: "127.0.0.1", port: callee.port), format: LegFormat(audioPayloadType: 8, telephoneEvent: 96))

        let tone = Tone.sine(frequency: 1000, samples: 1600)
        for frame in 0..<10 {
            let payload = tone[(frame * 160)..<((frame + 1) * 160)].map(G711.encodeULaw)
            caller.send(RTPHeader.make(payloadType: 0, sequenceNumber: UInt16(frame), timestamp: UInt32(frame * 160), ssrc: 7) + payload,
                        to: session.localPorts.0)
        }
        var heard: [Int16] = []
        for _ in 0..<10 {
            guard let packet = callee.receive() else { break }
            let header = try #require(RTPHeader(packet))
            #expect(header.payloadType == 8, "transcoded to the callee's PCMA")
            heard += packet[header.payloadOffset...].map { G711.alawToLinear[Int($0)] }
        }
        #expect(heard.count == 1600)
        #expect(Tone.dominant(of: [400, 1000, 1400], in: heard) == 1000)
        #expect(Tone.power(of: 1000, in: heard) > 0.8)

        // The callee answers with a 400 Hz A-law tone; the caller hears it in PCMU at the port it sends from.
        let answer = Tone.sine(frequency: 400, samples: 1600)
        for frame in 0..<10 {
            let payload = answer[(frame * 160)..<((frame + 1) * 160)].map(G711.encodeALaw)
            callee.send(RTPHeader.make(payloadType: 8, sequenceNumber: UInt16(frame), timestamp: UInt32(frame * 160), ssrc: 9) + payload,
                        to: session.localPorts.1)
        }
        var back: [Int16] = []
        for _ in 0..<10 {
            guard let packet = caller.receive() else { break }
            let header = try #require(RTPHeader(packet))
            #expect(header.payloadType == 0)
            back += packet[header.payloadOffset...].map { G711.ulawToLinear[Int($0)] }
        }
        #expect(Tone.dominant(of: [400, 1000, 1400], in: back) == 400)

        // An RFC 4733 event from the caller (type 101) reaches the callee as its type 96, bytes unchanged.
        let event: [UInt8] = [5, 0x8A, 0, 160]
        caller.send(RTPHeader.make(payloadType: 101, marker: true, sequenceNumber: 11, timestamp: 1760, ssrc: 7) + event, to: session.localPorts.0)
        let relayed = try #require(callee.receive())
        #expect(RTPHeader(relayed)?.payloadType == 96)
        #expect(RTPHeader(relayed)?.marker == true)
        #expect(Array(relayed.suffix(4)) == event)

        // Garbage is dropped and does not stop the relay.
        caller.send([1, 2, 3], to: session.localPorts.0)
        caller.send(RTPHeader.make(payloadType: 0, sequenceNumber: 12, timestamp: 1920, ssrc: 7) + [0xFF], to: session.localPorts.0)
        #expect(callee.receive().flatMap(RTPHeader.init)?.sequenceNumber == 12)
        await session.close()
    }
}

extension MediaRelayTests {
    @Test("a third party sending RTP into a latched leg is dropped and counted; the call's audio flows; a new SDP address relatches")
    func foreignSourcesAreDropped() async throws {
        let session = try await MediaSession.open(host: "127.0.0.1", ports: RTPPortAllocator(range: 42_000...42_999))
        let caller = try UDPPeer()
        let callee = try UDPPeer()
        let injector = try UDPPeer()
        let format = LegFormat(audioPayloadType: 0, telephoneEvent: 101)
        await session.configure(leg: 0, remote: try SocketAddress(ipAddress: "127.0.0.1", port: caller.port), format: format)
        await session.configure(leg: 1, remote: try SocketAddress(ipAddress: "127.0.0.1", port: callee.port), format: format)
        func packet(_ sequence: Int, ssrc: UInt32, fill: UInt8) -> [UInt8] {
            RTPHeader.make(payloadType: 0, sequenceNumber: UInt16(truncatingIfNeeded: sequence), timestamp: UInt32(sequence * 160), ssrc: ssrc)
                + [UInt8](repeating: fill, count: 160)
        }
        // Both parties latch with their first packets.
        caller.send(packet(0, ssrc: 1, fill: 0x11), to: session.localPorts.0)
        #expect(callee.receive().map { $0.last } == 0x11)
        callee.send(packet(0, ssrc: 2, fill: 0x22), to: session.localPorts.1)
        #expect(caller.receive().map { $0.last } == 0x22)

        // 200 injected packets into the caller's leg, interleaved with the caller's own audio.
        for index in 0..<200 {
            injector.send(packet(index, ssrc: 666, fill: 0x66), to: session.localPorts.0)
            if index % 20 == 0 { caller.send(packet(index + 1, ssrc: 1, fill: 0x11), to: session.localPorts.0) }
        }
        var received: [UInt8] = []
        while let bytes = callee.receive(timeout: 0.5) { received.append(bytes.last ?? 0) }
        #expect(received.count == 10, "the caller's own ten packets arrive")
        #expect(!received.contains(0x66), "none of the injected audio reaches the callee")
        #expect(injector.receive(timeout: 0.2) == nil, "and the call's audio is not sent to the injector")
        let counts = await session.activity()
        #expect(counts.first?.foreign == 200)
        #expect(counts.first?.packetsIn == 11)

        // A re-INVITE moving the caller's stream to the injector's address opens latching again.
        await session.configure(leg: 0, remote: try SocketAddress(ipAddress: "127.0.0.1", port: injector.port), format: format)
        injector.send(packet(300, ssrc: 3, fill: 0x33), to: session.localPorts.0)
        #expect(callee.receive().map { $0.last } == 0x33)
        caller.send(packet(301, ssrc: 1, fill: 0x11), to: session.localPorts.0)
        #expect(callee.receive(timeout: 0.3) == nil, "the old source is now the foreign one")
        await session.close()
    }
}

/// A blocking UDP socket on loopback with a receive timeout.
final class UDPPeer {
    let fd: Int32
    let port: Int

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        port = try freeUDPPort()
        guard withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0 else { throw TestFailure("bind \(port)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8], to port: Int) {
        _ = bytes.withUnsafeBytes { buffer in
            withLoopbackAddress(port: port) { sendto(fd, buffer.baseAddress, buffer.count, 0, $0, $1) }
        }
    }

    func receive(timeout: TimeInterval = 2) -> [UInt8]? {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? Array(buffer.prefix(count)) : nil
    }
}
