import Foundation

/// Every event type, in catalogue order. Adding an event type means adding it here; the test
/// `EventsTests` fails until `docs/events.md` is regenerated (`switchboard events docs`).
package enum EventCatalogue {
    package static let all: [any EventPayload.Type] = [
        RegistrationChanged.self,
        CallOffered.self,
        CallPlanFailed.self,
        CallTransferRequested.self,
        CallRoute.self,
        CallPlay.self,
        CallCollect.self,
        CallRecordAudio.self,
        CallStop.self,
        CallTransfer.self,
        CallHangUp.self,
        CallStateChanged.self,
        CallAppStarted.self,
        CallDTMF.self,
        CallPlayFinished.self,
        CallCollectFinished.self,
        CallRecordFinished.self,
        CallRecordingStarted.self,
        CallRecordingFailed.self,
        CallRecord.self,
        ConfigChanged.self,
        TenantCreated.self,
        TenantStatusChanged.self,
        EntitlementsChanged.self,
        VoicemailBoxChanged.self,
        VoicemailMessageLeft.self,
        VoicemailMissedCall.self,
    ]

    /// The binary messages: audio bytes as the value, the envelope's fields as headers.
    package static let binary: [any BinaryEventPayload.Type] = [
        AudioChunk.self,
    ]

    /// The Markdown of `docs/events.md`.
    package static func markdown() throws -> String {
        var out = """
            # Event catalogue

            Generated from the Swift types in `Shared/Events` by `switchboard events docs`; a test fails when
            this file and the types disagree. Every message is a JSON envelope (`id`, `type`, `version`,
            `time`, `tenant`, optional `callId`, `data`); the Kafka headers `type` and `tenant` repeat the
            envelope's. Binary messages (`media.audio`) carry their bytes as the value and the envelope's
            fields as Kafka headers instead. A message that cannot be processed goes to `<topic>.dlq`
            with the error.

            ## Topics

            | Topic | Key | Partitions | Produced by | Consumed by |
            |---|---|---|---|---|

            """
        for topic in Topic.allCases {
            out += "| `\(topic.rawValue)` | \(topic.key) | \(topic.partitions) | \(topic.producedBy.joined(separator: ", ")) "
                + "| \(topic.consumedBy.joined(separator: ", ")) |\n"
        }
        for topic in Topic.allCases {
            let types = all.filter { $0.topic == topic }
            let binaryTypes = binary.filter { $0.topic == topic }
            guard !types.isEmpty || !binaryTypes.isEmpty else { continue }
            out += "\n## `\(topic.rawValue)`\n"
            for type in types {
                out += "\n### `\(type.type)` (version \(type.version))\n\n\(type.summary)\n\n```json\n"
                out += try exampleJSON(type) + "\n```\n"
            }
            for type in binaryTypes { out += binaryEntry(type) }
        }
        return out
    }

    private static func binaryEntry<T: BinaryEventPayload>(_ type: T.Type) -> String {
        var out = "\n### `\(T.type)` (version \(T.version), binary)\n\n\(T.summary)\n\n\(T.valueDescription)\n\n"
        out += "| Header | Example | Meaning |\n|---|---|---|\n"
        for header in T.Header.allCases {
            out += "| `\(header.rawValue)` | `\(T.example.value(of: header))` | \(T.meaning(of: header)) |\n"
        }
        return out
    }

    private static func exampleJSON<T: EventPayload>(_ type: T.Type) throws -> String {
        let envelope = Envelope(
            tenant: "demo", callId: topicHasCall(T.topic) ? "0-1f3a9c" : nil, data: T.example,
            id: UUID(uuidString: "6f1c2a4e-8b1d-4c6e-9a57-3e2f1d0c9b8a")!,
            time: Date(timeIntervalSince1970: 1_795_000_000))
        let encoder = EventCoding.encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(envelope), as: UTF8.self)
    }

    private static func topicHasCall(_ topic: Topic) -> Bool {
        [.callOffers, .callCommands, .callEvents, .callCDRs, .mediaAudio].contains(topic)
    }
}
