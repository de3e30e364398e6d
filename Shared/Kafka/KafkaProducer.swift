import CRdKafka
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers

/// An idempotent producer (acks=all). `send` completes when the broker has acknowledged the message
/// and throws when it refused it or the delivery deadline (`deliveryTimeoutMilliseconds`) passed:
/// it never waits longer than that.
package final class KafkaProducer: Sendable {
    private let handle: KafkaHandle
    private let pending: PendingDeliveries
    private let poller: Poller
    private let logger: Logger

    package init(configuration: KafkaConfiguration, logger: Logger) throws {
        let pending = PendingDeliveries()
        let callbacks = KafkaCallbacks(logger: logger)
        callbacks.onDelivery = { id, result in pending.complete(id, result) }
        self.handle = try KafkaHandle(type: RD_KAFKA_PRODUCER, properties: configuration.producerProperties,
                                      callbacks: callbacks, wantDeliveryReports: true)
        self.pending = pending
        self.logger = logger
        // Delivery reports are served by rd_kafka_poll on a thread of our own, never on the
        // cooperative pool or an event loop.
        let rk = handle
        self.poller = Poller(name: "kafka-producer-poll") { rd_kafka_poll(rk.pointer, 50) }
    }

    deinit {
        poller.stop()
        pending.failAll(KafkaError(.shutdown, "producer was released with messages in flight"))
    }

    /// Produces one message and waits for the broker's acknowledgement.
    /// - Throws: `KafkaError` `.produce` when it cannot be enqueued (unknown topic, local queue full,
    ///   message too large), `.delivery` when the broker refused it or the deadline passed.
    @discardableResult
    package func send(_ record: ProducerRecord) async throws -> DeliveryReport {
        try await withCheckedThrowingContinuation { continuation in
            let id = pending.register(continuation)
            if let error = enqueue(record, id: id) {
                pending.complete(id, .failure(error))
            }
        }
    }

    /// Waits until every enqueued message is delivered or failed, at most `timeoutMilliseconds`.
    package func flush(timeoutMilliseconds: Int32 = 5_000) async {
        let rk = handle
        await Poller.runBlocking { _ = rd_kafka_flush(rk.pointer, timeoutMilliseconds) }
    }

    /// Flushes, then stops serving delivery reports. Messages still in flight fail with `.shutdown`.
    package func shutdown() async {
        await flush()
        poller.stop()
        pending.failAll(KafkaError(.shutdown, "producer shut down"))
    }

    /// Topics and partition counts known to the cluster (a metadata request).
    package func topics(timeoutMilliseconds: Int32 = 2_000) async throws -> [String: Int32] {
        let rk = handle
        return try await Poller.runBlockingThrowing { try rk.metadata(timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// The partition count of `topic`, nil when it does not exist (a metadata request about that
    /// topic alone).
    package func partitionCount(of topic: String, timeoutMilliseconds: Int32 = 5_000) async throws -> Int32? {
        let rk = handle
        return try await Poller.runBlockingThrowing { try rk.partitionCount(of: topic, timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// The next offset to be written to a partition (its high watermark), asked of the broker now.
    package func endOffset(topic: String, partition: Int32, timeoutMilliseconds: Int32 = 5_000) async throws -> Int64 {
        let rk = handle
        return try await Poller.runBlockingThrowing {
            try rk.watermarks(topic: topic, partition: partition, timeoutMilliseconds: timeoutMilliseconds).high
        }
    }


    private func enqueue(_ record: ProducerRecord, id: UInt) -> KafkaError? {
        let headerCount = record.headers.count
        var error: OpaquePointer?
        record.topic.withCString { topic in
            withOptionalBytes(record.key) { keyPointer, keyCount in
                record.value.withUnsafeBytes { value in
                    withHeaderPointers(record.headers) { names, values in
                        var vus = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 6 + headerCount)
                        var n = 0
                        vus[n].vtype = RD_KAFKA_VTYPE_TOPIC; vus[n].u.cstr = topic; n += 1
                        vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS; vus[n].u.i = RD_KAFKA_MSG_F_COPY; n += 1
                        vus[n].vtype = RD_KAFKA_VTYPE_VALUE
                        vus[n].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        vus[n].u.mem.size = value.count; n += 1
                        vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE; vus[n].u.ptr = UnsafeMutableRawPointer(bitPattern: id); n += 1
                        if let keyPointer {
                            vus[n].vtype = RD_KAFKA_VTYPE_KEY
                            vus[n].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyPointer)
                            vus[n].u.mem.size = keyCount; n += 1
                        }
                        if let partition = record.partition {
                            vus[n].vtype = RD_KAFKA_VTYPE_PARTITION; vus[n].u.i32 = partition; n += 1
                        }
                        for i in 0..<headerCount {
                            vus[n].vtype = RD_KAFKA_VTYPE_HEADER
                            vus[n].u.header.name = names[i]
                            vus[n].u.header.val = values[i].0
                            vus[n].u.header.size = values[i].1; n += 1
                        }
                        error = rd_kafka_produceva(handle.pointer, &vus, n)
                    }
                }
            }
        }
        guard let error else { return nil }
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        return KafkaError(.produce, "\(record.topic): \(String(cString: rd_kafka_error_string(error)))",
                          rdkafkaCode: code.rawValue)
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), $0.count) }
}

/// Keeps C strings and value buffers of the headers alive for the duration of `body`.
private func withHeaderPointers<R>(_ headers: [KafkaHeader],
                                   _ body: ([UnsafePointer<CChar>], [(UnsafeRawPointer?, Int)]) -> R) -> R {
    let names = headers.map { strdup($0.name) }
    let values: [(UnsafeMutableRawPointer?, Int)] = headers.map { header in
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, header.value.count), alignment: 1)
        header.value.withUnsafeBytes { source in
            if let base = source.baseAddress { buffer.copyMemory(from: base, byteCount: source.count) }
        }
        return (buffer, header.value.count)
    }
    defer {
        names.forEach { free($0) }
        values.forEach { $0.0?.deallocate() }
    }
    return body(names.map { UnsafePointer($0!) }, values.map { (UnsafeRawPointer($0.0), $0.1) })
}

/// Continuations of messages waiting for their delivery report, keyed by the message opaque.
final class PendingDeliveries: Sendable {
    private struct State {
        var nextID: UInt = 1
        var waiting: [UInt: CheckedContinuation<DeliveryReport, Error>] = [:]
    }
    private let state = NIOLockedValueBox(State())

    func register(_ continuation: CheckedContinuation<DeliveryReport, Error>) -> UInt {
        state.withLockedValue { state in
            let id = state.nextID
            state.nextID &+= 1
            if state.nextID == 0 { state.nextID = 1 }
            state.waiting[id] = continuation
            return id
        }
    }

    func complete(_ id: UInt, _ result: Result<DeliveryReport, KafkaError>) {
        let continuation = state.withLockedValue { $0.waiting.removeValue(forKey: id) }
        continuation?.resume(with: result.mapError { $0 as Error })
    }

    func failAll(_ error: KafkaError) {
        let all = state.withLockedValue { state in
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        all.forEach { $0.resume(throwing: error) }
    }
}
