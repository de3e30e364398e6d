/// A message read from a topic. Bytes are copied out of librdkafka before the C message is freed.
package struct KafkaMessage: Sendable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64
    package var key: [UInt8]?
    /// `nil` for a tombstone.
    package var value: [UInt8]?
    package var headers: [KafkaHeader]
    /// Milliseconds since the epoch, when the broker or producer set one.
    package var timestampMilliseconds: Int64?

    package func header(_ name: String) -> String? {
        headers.first { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
    }
}

package struct KafkaHeader: Sendable, Equatable {
    package var name: String
    package var value: [UInt8]
    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }
    package init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// What to produce. `partition == nil` lets the partitioner choose from the key.
package struct ProducerRecord: Sendable {
    package var topic: String
    package var partition: Int32?
    package var key: [UInt8]?
    package var value: [UInt8]
    package var headers: [KafkaHeader]

    package init(topic: String, partition: Int32? = nil, key: String?, value: [UInt8], headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key.map { Array($0.utf8) }
        self.value = value
        self.headers = headers
    }
}

/// Where the broker stored a produced message.
package struct DeliveryReport: Sendable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64
}

/// A partition and where to start reading it.
package struct TopicPartitionOffset: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64

    package static let beginning: Int64 = -2  // RD_KAFKA_OFFSET_BEGINNING
    package static let end: Int64 = -1  // RD_KAFKA_OFFSET_END
    package static let stored: Int64 = -1000  // RD_KAFKA_OFFSET_STORED: the group's committed offset

    /// The last `count` messages of the partition (RD_KAFKA_OFFSET_TAIL).
    package static func tail(_ count: Int) -> Int64 { -2000 - Int64(count) }

    package init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}
