import CRdKafka
import Logging

/// Admin and metadata calls: create topics, list topics and groups, read committed offsets and
/// watermarks. Each call is blocking in librdkafka and runs off the cooperative pool.
package final class KafkaAdmin: Sendable {
    private let handle: KafkaHandle
    private let configuration: KafkaConfiguration
    private let logger: Logger

    package init(configuration: KafkaConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        handle = try KafkaHandle(type: RD_KAFKA_PRODUCER, properties: configuration.producerProperties,
                                 callbacks: KafkaCallbacks(logger: logger))
    }

    /// Topics and their partition counts.
    package func topics(timeoutMilliseconds: Int32 = 5_000) async throws -> [String: Int32] {
        let handle = self.handle
        return try await Poller.runBlockingThrowing { try handle.metadata(timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// Creates the topics that do not exist yet. Returns the names it created.
    @discardableResult
    package func ensureTopics(_ wanted: [(name: String, partitions: Int32)], timeoutMilliseconds: Int32 = 10_000)
        async throws -> [String]
    {
        let existing = try await topics(timeoutMilliseconds: timeoutMilliseconds)
        let missing = wanted.filter { existing[$0.name] == nil }
        guard !missing.isEmpty else { return [] }
        let handle = self.handle
        try await Poller.runBlockingThrowing {
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
            for topic in missing {
                guard let newTopic = rd_kafka_NewTopic_new(topic.name, topic.partitions, 1, &errstr, errstr.count) else {
                    throw KafkaError(.admin, "topic \(topic.name): \(cString(errstr))")
                }
                newTopics.append(newTopic)
            }
            let queue = rd_kafka_queue_new(handle.pointer)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errstr, errstr.count)
            rd_kafka_CreateTopics(handle.pointer, &newTopics, newTopics.count, options, queue)
            guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1_000) else {
                throw KafkaError(.timeout, "create topics: no answer within \(timeoutMilliseconds) ms")
            }
            defer { rd_kafka_event_destroy(event) }
            let err = rd_kafka_event_error(event)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(.admin, "create topics: \(String(cString: rd_kafka_event_error_string(event)))",
                                 rdkafkaCode: err.rawValue)
            }
            let result = rd_kafka_event_CreateTopics_result(event)
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(result, &count)
            for i in 0..<count {
                guard let topicResult = results?[i] else { continue }
                let topicErr = rd_kafka_topic_result_error(topicResult)
                if topicErr != RD_KAFKA_RESP_ERR_NO_ERROR && topicErr != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                    let name = String(cString: rd_kafka_topic_result_name(topicResult))
                    let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                    throw KafkaError(.admin, "create topic \(name): \(text)", rdkafkaCode: topicErr.rawValue)
                }
            }
        }
        return missing.map(\.name)
    }

    /// Consumer groups the cluster knows.
    package func groups(timeoutMilliseconds: Int32 = 5_000) async throws -> [String] {
        let handle = self.handle
        return try await Poller.runBlockingThrowing {
            var list: UnsafePointer<rd_kafka_group_list>?
            let err = rd_kafka_list_groups(handle.pointer, nil, &list, timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
                throw KafkaError(.admin, "list groups: \(rdkafkaErrorText(err))", rdkafkaCode: err.rawValue)
            }
            defer { rd_kafka_group_list_destroy(list) }
            return (0..<Int(list.pointee.group_cnt)).map { String(cString: list.pointee.groups[$0].group) }.sorted()
        }
    }

    /// The offsets `groupID` has committed for every partition of `topics` (-1001 = none yet).
    package func committedOffsets(groupID: String, topics: [String: Int32], timeoutMilliseconds: Int32 = 5_000)
        async throws -> [TopicPartitionOffset]
    {
        // A consumer handle in that group that never subscribes: it only asks the group coordinator.
        var config = configuration
        config.extra["enable.auto.commit"] = "false"
        let probe = try KafkaHandle(type: RD_KAFKA_CONSUMER, properties: config.consumerProperties(groupID: groupID),
                                    callbacks: KafkaCallbacks(logger: logger))
        let partitions = topics.sorted { $0.key < $1.key }.flatMap { topic, count in
            (0..<count).map { TopicPartitionOffset(topic: topic, partition: $0, offset: -1001) }
        }
        return try await Poller.runBlockingThrowing {
            let list = PartitionList(partitions)
            let err = rd_kafka_committed(probe.pointer, list.pointer, timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(.admin, "committed offsets of \(groupID): \(rdkafkaErrorText(err))", rdkafkaCode: err.rawValue)
            }
            rd_kafka_consumer_close(probe.pointer)
            return PartitionList.entries(of: list.pointer)
        }
    }

    /// The partition count of `topic`, nil when it does not exist (metadata of that topic alone).
    package func partitionCount(of topic: String, timeoutMilliseconds: Int32 = 5_000) async throws -> Int32? {
        let handle = self.handle
        return try await Poller.runBlockingThrowing { try handle.partitionCount(of: topic, timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// The next offset to be written to a partition (its high watermark).
    package func endOffset(topic: String, partition: Int32, timeoutMilliseconds: Int32 = 5_000) async throws -> Int64 {
        let handle = self.handle
        return try await Poller.runBlockingThrowing {
            try handle.watermarks(topic: topic, partition: partition, timeoutMilliseconds: timeoutMilliseconds).high
        }
    }
}
