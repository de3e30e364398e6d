import CRdKafka
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// How a consumer gets its partitions.
package enum KafkaSubscription: Sendable {
    /// Joins consumer group `groupID` and shares the topics' partitions with its other members.
    case group(groupID: String, topics: [String])
    /// Reads exactly these partitions from the given offsets; `groupID` is where offsets are committed.
    case assigned(groupID: String, partitions: [TopicPartitionOffset])
}

/// A consumer that reads on a thread of its own and hands messages over one at a time, so memory is
/// bounded by librdkafka's prefetch queue. Offsets are committed only for messages the caller
/// marked processed (`markProcessed`), so a crash re-delivers what was not finished (at-least-once).
package final class KafkaConsumer: Sendable {
    private let handle: KafkaHandle
    // One thread: librdkafka's poll, commit and close for this handle run there in order.
    private let thread: NIOThreadPool
    private let closed = NIOLockedValueBox(false)
    private let stopped = NIOLockedValueBox(false)
    private let logger: Logger
    package let groupID: String
    private let dozing: KafkaDozing?
    private let doze: NIOLockedValueBox<DozeState>

    package init(configuration: KafkaConfiguration, subscription: KafkaSubscription, logger: Logger) throws {
        let groupID: String
        switch subscription {
        case .group(let id, _), .assigned(let id, _): groupID = id
        }
        self.groupID = groupID
        let callbacks = KafkaCallbacks(logger: logger)
        let doze = NIOLockedValueBox(DozeState())
        self.doze = doze
        callbacks.onRebalance = { rk, err, partitions in
            Self.rebalance(rk: rk, err: err, partitions: partitions, logger: logger)
            // Newly assigned partitions are fetched (not paused): the consumer is awake again.
            doze.withLockedValue { $0 = DozeState() }
        }
        dozing = configuration.dozing
        handle = try KafkaHandle(type: RD_KAFKA_CONSUMER, properties: configuration.consumerProperties(groupID: groupID),
                                 callbacks: callbacks, wantRebalance: true)
        self.logger = logger
        thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        // Route the main queue into the consumer queue so that one poll serves everything.
        rd_kafka_poll_set_consumer(handle.pointer)
        switch subscription {
        case .group(_, let topics):
            let list = PartitionList(topics.map { TopicPartitionOffset(topic: $0, partition: -1, offset: TopicPartitionOffset.stored) })
            let err = rd_kafka_subscribe(handle.pointer, list.pointer)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(.consumer, "subscribe to \(topics): \(rdkafkaErrorText(err))", rdkafkaCode: err.rawValue)
            }
        case .assigned(_, let partitions):
            let list = PartitionList(partitions)
            let err = rd_kafka_assign(handle.pointer, list.pointer)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(.consumer, "assign \(partitions): \(rdkafkaErrorText(err))", rdkafkaCode: err.rawValue)
            }
        }
    }

    deinit {
        // close() is the orderly way out; this is the safety net for a consumer that was dropped.
        if !closed.withLockedValue({ $0 }) {
            rd_kafka_consumer_close(handle.pointer)
        }
        try? thread.syncShutdownGracefully()
    }

    /// The next message, or nil when none arrived within `timeoutMilliseconds`.
    /// - Throws: `.fatal` when librdkafka reports a fatal error, `.shutdown` after `close()`.
    package func poll(timeoutMilliseconds: Int32 = 100) async throws -> KafkaMessage? {
        let handle = self.handle
        let closed = self.closed
        let logger = self.logger
        let (doze, dozing) = (self.doze, self.dozing)
        return try await thread.runIfActive { () throws -> KafkaMessage? in
            if closed.withLockedValue({ $0 }) { throw KafkaError(.shutdown, "consumer is closed") }
            var timeout = timeoutMilliseconds
            if let dozing {
                let (wait, probe) = doze.withLockedValue { $0.advance(dozing, now: .now, handle: handle) }
                if let probe, DozeState.hasNewMessages(since: probe, handle: handle) {
                    doze.withLockedValue { $0.wake(now: .now, handle: handle) }
                }
                timeout = Int32(max(1, min(Double(timeout), (wait / .milliseconds(1)).rounded(.up))))
            }
            guard let message = rd_kafka_consumer_poll(handle.pointer, timeout) else { return nil }
            defer { rd_kafka_message_destroy(message) }
            let err = message.pointee.err
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
                var text = [CChar](repeating: 0, count: 512)
                if rd_kafka_fatal_error(handle.pointer, &text, text.count) != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError(.fatal, cString(text), rdkafkaCode: err.rawValue)
                }
                // Transient (broker down, topic not yet known): librdkafka retries by itself.
                logger.warning("kafka consumer: \(rdkafkaErrorText(err))", metadata: ["code": "\(err.rawValue)"])
                return nil
            }
            if dozing != nil { doze.withLockedValue { $0.wake(now: .now, handle: handle) } }
            return Self.copy(message)
        }
    }

    /// A dozing consumer fetches all the time again, at once: for a process that knows a message
    /// is about to come (the edge, once it offered a call, expects its route).
    package func wake() {
        guard dozing != nil else { return }
        let handle = self.handle
        doze.withLockedValue { $0.wake(now: .now, handle: handle) }
    }

    /// Whether the partitions are paused for want of messages (`KafkaDozing`).
    package var isDozing: Bool { doze.withLockedValue { if case .dozing = $0.mode { true } else { false } } }

    /// Messages as an async sequence; ends when the task is cancelled or the consumer is closed.
    package var messages: Messages { Messages(consumer: self) }

    package struct Messages: AsyncSequence, Sendable {
        package typealias Element = KafkaMessage
        let consumer: KafkaConsumer

        package struct AsyncIterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            package mutating func next() async throws -> KafkaMessage? {
                while !Task.isCancelled && !consumer.stopped.withLockedValue({ $0 }) {
                    do {
                        if let message = try await consumer.poll() { return message }
                    } catch let error as KafkaError where error.code == .shutdown {
                        return nil
                    }
                }
                return nil
            }
        }

        package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
    }

    /// Ends `messages` at the next poll, without closing: the message being handled finishes and is
    /// marked processed, and `close()` afterwards commits it. For graceful shutdown: closing under
    /// a handler loses its commit, and the next owner of the partition handles the message again.
    package func stopReading() {
        stopped.withLockedValue { $0 = true }
    }

    /// Whether `stopReading()` was called: a handler retrying a message gives up and leaves it uncommitted.
    package var isStopping: Bool { stopped.withLockedValue { $0 } }

    /// Marks a message as processed: its offset is committed with the next (automatic or explicit)
    /// commit. Call only after the message's effect is durable.
    package func markProcessed(_ message: KafkaMessage) {
        let list = PartitionList([TopicPartitionOffset(topic: message.topic, partition: message.partition,
                                                       offset: message.offset + 1)])
        let err = rd_kafka_offsets_store(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            // After a rebalance the partition may belong to another member; it will re-deliver.
            logger.debug("offset not stored: \(rdkafkaErrorText(err))", metadata: ["topic": "\(message.topic)"])
        }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    package func commit() async throws {
        let handle = self.handle
        try await thread.runIfActive {
            let err = rd_kafka_commit(handle.pointer, nil, 0)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET else {
                throw KafkaError(.consumer, "commit: \(rdkafkaErrorText(err))", rdkafkaCode: err.rawValue)
            }
        }
    }

    /// The partitions currently assigned to this consumer.
    package func assignment() async throws -> [TopicPartitionOffset] {
        let handle = self.handle
        return try await thread.runIfActive {
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let err = rd_kafka_assignment(handle.pointer, &list)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(.consumer, "assignment: \(rdkafkaErrorText(err))", rdkafkaCode: err.rawValue)
            }
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            return PartitionList.entries(of: list)
        }
    }

    /// Commits what was processed, leaves the group (handing its partitions to the others at once)
    /// and stops. Idempotent.
    package func close() async {
        let handle = self.handle
        let closed = self.closed
        _ = try? await thread.runIfActive {
            let wasClosed = closed.withLockedValue { value in
                defer { value = true }
                return value
            }
            if !wasClosed { rd_kafka_consumer_close(handle.pointer) }
        }
    }

    /// Copies a message out of librdkafka. Takes the pointer librdkafka gave: headers and timestamp
    /// are found from it, so a copy of the struct would not do.
    private static func copy(_ pointer: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage {
        let message = pointer.pointee
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let key = message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) }
        let value = message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) }
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(pointer, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var index = 0
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(pointer, &timestampType)
        return KafkaMessage(topic: topic, partition: message.partition, offset: message.offset, key: key, value: value,
                            headers: headers, timestampMilliseconds: timestamp >= 0 ? timestamp : nil)
    }

    /// Rebalance callback (on the poll thread): take new partitions, commit and hand back revoked ones.
    private static func rebalance(rk: OpaquePointer, err: rd_kafka_resp_err_t,
                                  partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, logger: Logger) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let entries = PartitionList.entries(of: partitions).map { "\($0.topic)/\($0.partition)" }
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info("kafka partitions assigned", metadata: ["partitions": "\(entries)"])
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) { rd_kafka_error_destroy(error) }
            } else {
                rd_kafka_assign(rk, partitions)
            }
            // librdkafka keeps a partition's pause across a rebalance: one paused while this member
            // dozed would never be fetched again.
            _ = rd_kafka_resume_partitions(rk, partitions)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            logger.info("kafka partitions revoked", metadata: ["partitions": "\(entries)"])
            // Commit what was processed before another member takes the partitions over.
            _ = rd_kafka_commit(rk, nil, 0)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) { rd_kafka_error_destroy(error) }
            } else {
                rd_kafka_assign(rk, nil)
            }
        default:
            logger.error("kafka rebalance failed: \(rdkafkaErrorText(err))")
            rd_kafka_assign(rk, nil)
        }
    }
}

/// Where a dozing consumer is (`KafkaDozing`); changed under the consumer's lock, so a `wake()`
/// from another thread and the poll thread's pause never cross.
struct DozeState: Sendable {
    enum Mode: Sendable {
        case awake
        /// Paused since `probed` last looked; `baseline`: each partition's high watermark when it paused.
        case dozing(probed: ContinuousClock.Instant, baseline: [TopicPartitionOffset])
    }
    var mode = Mode.awake
    var lastMessage = ContinuousClock.now

    /// Pauses as the time says; returns how long the next poll may wait, and the partitions to
    /// look at (their high watermarks then) when a probe is due.
    mutating func advance(_ dozing: KafkaDozing, now: ContinuousClock.Instant, handle: KafkaHandle)
        -> (wait: Duration, probe: [TopicPartitionOffset]?) {
        switch mode {
        case .awake:
            let quiet = now - lastMessage
            guard quiet >= dozing.quietAfter else { return (dozing.quietAfter - quiet, nil) }
            guard let baseline = Self.fetchedHighWatermarks(handle) else { return (dozing.quietAfter, nil) }
            Self.setPaused(true, handle: handle)
            mode = .dozing(probed: now, baseline: baseline)
            return (dozing.probeEvery, nil)
        case .dozing(let probed, let baseline):
            guard now - probed >= dozing.probeEvery else { return (dozing.probeEvery - (now - probed), nil) }
            mode = .dozing(probed: now, baseline: baseline)
            return (dozing.probeEvery, baseline)
        }
    }

    mutating func wake(now: ContinuousClock.Instant, handle: KafkaHandle) {
        if case .dozing = mode { Self.setPaused(false, handle: handle) }
        mode = .awake
        lastMessage = now
    }

    /// A probe: whether any partition's high watermark moved past where it was when the consumer
    /// paused. A round trip that the broker answers at once, where a fetch would be held for the
    /// whole wait; run without the lock (it may take a while when the broker is slow).
    static func hasNewMessages(since baseline: [TopicPartitionOffset], handle: KafkaHandle) -> Bool {
        baseline.contains { partition in
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high, 1_000)
            // A probe that fails (the broker away) wakes the consumer: fetching finds out what is there.
            return err != RD_KAFKA_RESP_ERR_NO_ERROR || high > partition.offset
        }
    }

    /// Every assigned partition's high watermark from its last fetch, or nil while one has not been
    /// fetched yet: paused while its logical start (say, the end) is still being looked up, it
    /// would resolve that only after the pause and skip what came meanwhile.
    private static func fetchedHighWatermarks(_ handle: KafkaHandle) -> [TopicPartitionOffset]? {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return nil }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        var marks: [TopicPartitionOffset] = []
        for partition in PartitionList.entries(of: list) {
            var low: Int64 = 0
            var high: Int64 = 0
            guard rd_kafka_get_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                  high >= 0 else { return nil }
            marks.append(TopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: high))
        }
        return marks.isEmpty ? nil : marks
    }

    /// One thread for every consumer's wake-up requests (they may block for a round trip).
    static let nudger: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// Pauses or resumes every partition assigned now.
    private static func setPaused(_ paused: Bool, handle: KafkaHandle) {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = paused ? rd_kafka_pause_partitions(handle.pointer, list) : rd_kafka_resume_partitions(handle.pointer, list)
        guard !paused else { return }
        // librdkafka does not wake the broker thread on a resume: it would fetch only when its idle
        // wait (up to a second) ends. A request to the partition's leader wakes that thread now
        // (one partition's: dozing is for the single local broker).
        guard let first = PartitionList.entries(of: list).first else { return }
        DozeState.nudger.submit { _ in
            var low: Int64 = 0
            var high: Int64 = 0
            _ = rd_kafka_query_watermark_offsets(handle.pointer, first.topic, first.partition, &low, &high, 1_000)
        }
    }
}
