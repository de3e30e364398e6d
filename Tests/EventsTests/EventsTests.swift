import Events
import Foundation
import Testing

@Suite("Event envelope and catalogue")
struct EventsTests {
    @Test("an envelope survives encode and decode unchanged")
    func roundTrip() throws {
        let original = Envelope(tenant: "acme", callId: "0-abc", data: CallRecord.example,
                                time: Date(timeIntervalSince1970: 1_795_000_000.5))
        let bytes = try original.encoded()
        let header = try EnvelopeHeader.decode(bytes)
        #expect(header.id == original.id)
        #expect(header.type == "call.cdr")
        #expect(header.version == 1)
        #expect(header.tenant == "acme")
        #expect(header.callId == "0-abc")
        #expect(header.time == original.time)
        let decoded = try header.decode(bytes, as: CallRecord.self)
        #expect(decoded.data == original.data)
        #expect(decoded.id == original.id)
    }

    @Test("every catalogue example round-trips through its envelope", arguments: EventCatalogue.all.map { String(describing: $0) })
    func examplesRoundTrip(name: String) throws {
        let type = try #require(EventCatalogue.all.first { String(describing: $0) == name })
        try roundTripExample(type)
    }

    private func roundTripExample<T: EventPayload>(_ type: T.Type) throws {
        let bytes = try Envelope(tenant: "demo", data: T.example).encoded()
        let header = try EnvelopeHeader.decode(bytes)
        #expect(header.type == T.type)
        let again = try header.decode(bytes, as: T.self)
        #expect(try again.encoded() == bytes)
    }

    @Test("event type names are unique and every topic's events are listed")
    func uniqueTypes() {
        let names = EventCatalogue.all.map { $0.type } + EventCatalogue.binary.map { $0.type }
        #expect(Set(names).count == names.count)
    }

    @Test("an audio chunk survives its headers and bytes; a missing, malformed or foreign header is refused")
    func audioChunkHeaders() throws {
        let chunk = AudioChunk(tenant: "acme", callId: "0-abc", recordingId: "0-abc-r1", sequence: 7, codec: .pcmuStereo, final: true,
                               audio: [1, 2, 3, 4], time: Date(timeIntervalSince1970: 1_795_000_000.25))
        let headers = Dictionary(uniqueKeysWithValues: AudioChunk.Header.allCases.map { ($0.rawValue, chunk.value(of: $0)) })
        #expect(headers["type"] == "media.audio-chunk" && headers["final"] == "true" && headers["sequence"] == "7")
        #expect(try AudioChunk(headers: headers, audio: chunk.audio) == chunk)
        for (name, value) in [("sequence", "-1"), ("sequence", "x"), ("final", "yes"), ("codec", "mp3"), ("type", "call.cdr"),
                              ("version", "2"), ("id", "nope"), ("time", "yesterday")] {
            var bad = headers
            bad[name] = value
            #expect(throws: EventError.self, "\(name)=\(value)") { try AudioChunk(headers: bad, audio: []) }
        }
        for name in headers.keys {
            var missing = headers
            missing[name] = nil
            #expect(throws: EventError.self, "without \(name)") { try AudioChunk(headers: missing, audio: []) }
        }
    }

    @Test("malformed messages give a clear error, never a crash", arguments: [
        "", "{", "null", "[]", "{\"id\":\"x\"}", "{\"id\":\"6f1c2a4e-8b1d-4c6e-9a57-3e2f1d0c9b8a\",\"type\":1}",
        String(repeating: "[", count: 10_000),
    ])
    func malformed(text: String) {
        #expect(throws: EventError.self) { try EnvelopeHeader.decode(Array(text.utf8)) }
    }

    @Test("decoding as the wrong type is refused")
    func wrongType() throws {
        let bytes = try Envelope(tenant: "demo", data: TenantCreated.example).encoded()
        let header = try EnvelopeHeader.decode(bytes)
        #expect(throws: EventError.self) { try header.decode(bytes, as: CallRecord.self) }
    }

    @Test("docs/events.md is what the Swift types generate")
    func catalogueIsCurrent() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/events.md").path
        let onDisk = try String(contentsOfFile: path, encoding: .utf8)
        #expect(onDisk == (try EventCatalogue.markdown()), "run `make docs` and commit docs/events.md")
    }
}
