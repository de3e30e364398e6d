import Events
import Kafka

extension AudioChunk {
    /// Reads a chunk from a consumed `media.audio` message: its headers and the value's bytes (a
    /// missing value is an empty chunk).
    /// - Throws: `EventError` when the message is of another type or a header is missing or malformed.
    package init(_ message: KafkaMessage) throws(EventError) {
        var headers: [String: String] = [:]
        for header in message.headers { headers[header.name] = String(decoding: header.value, as: UTF8.self) }
        try self.init(headers: headers, audio: message.value ?? [])
    }
}

extension EventPublisher {
    /// Publishes a chunk of a recording and returns once the broker acknowledged it.
    @discardableResult
    package func publish(_ chunk: AudioChunk) async throws -> DeliveryReport {
        try await send(record(chunk), of: AudioChunk.topic)
    }

    /// The chunk's Kafka record: keyed by recording id (its chunks stay in order on one partition),
    /// the audio as the value, every field as a header.
    package func record(_ chunk: AudioChunk) -> ProducerRecord {
        ProducerRecord(topic: AudioChunk.topic.name(prefix: topicPrefix), key: chunk.recordingId, value: chunk.audio,
                       headers: AudioChunk.Header.allCases.map { KafkaHeader($0.rawValue, chunk.value(of: $0)) })
    }
}
