import CRdKafka
import Logging
import NIOConcurrencyHelpers

/// The librdkafka version this project needs: 2.0.x fails the ApiVersions handshake with current
/// brokers (tagged fields are mis-skipped).
package enum KafkaLibrary {
    package static let minimumVersion: Int32 = 0x0201_00ff

    /// The linked librdkafka's version string, e.g. "2.8.0".
    package static var version: String { String(cString: rd_kafka_version_str()) }

    /// Throws when the librdkafka loaded at run time is older than 2.1 (for instance when two copies
    /// are installed and the wrong one was linked or loaded).
    package static func requireSupportedVersion() throws {
        guard rd_kafka_version() >= minimumVersion else {
            throw KafkaError(.unsupportedLibrary,
                             "librdkafka \(version) is loaded but 2.1.0 or later is required; "
                                 + "run scripts/bootstrap and make sure only one librdkafka is installed")
        }
    }
}

/// Callbacks librdkafka makes into Swift. The handle's opaque points at this box; the owning
/// `KafkaHandle` keeps it alive for longer than the `rd_kafka_t` it belongs to.
final class KafkaCallbacks: @unchecked Sendable {
    // Set once before rd_kafka_new and never changed afterwards, so reads need no lock.
    let logger: Logger
    var onDelivery: (@Sendable (_ id: UInt, _ result: Result<DeliveryReport, KafkaError>) -> Void)?
    var onRebalance: (@Sendable (_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void)?

    init(logger: Logger) { self.logger = logger }
}

/// Owns one `rd_kafka_t` and destroys it in `deinit`. The raw pointer never leaves this class or
/// the files of this folder.
final class KafkaHandle: @unchecked Sendable {
    // Invariant: `pointer` is a live rd_kafka_t from rd_kafka_new until deinit; librdkafka handles
    // are thread-safe for the calls made through it.
    let pointer: OpaquePointer
    let callbacks: KafkaCallbacks

    init(type: rd_kafka_type_t, properties: [String: String], callbacks: KafkaCallbacks,
         wantDeliveryReports: Bool = false, wantRebalance: Bool = false) throws {
        try KafkaLibrary.requireSupportedVersion()
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(.configuration, "rd_kafka_conf_new failed") }
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(.configuration, "\(key)=\(value): \(cString(errstr))")
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
            guard let opaque else { return }
            let box = Unmanaged<KafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
            let text = reason.map { String(cString: $0) } ?? "unknown"
            box.logger.warning("kafka client error", metadata: ["error": "\(text)", "code": "\(err)"])
        }
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let box = Unmanaged<KafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
            let text = message.map { String(cString: $0) } ?? ""
            let fac = facility.map { String(cString: $0) } ?? ""
            // syslog levels: 0–3 error, 4 warning, 5–6 info, 7 debug.
            let swiftLevel: Logger.Level = level <= 3 ? .error : level == 4 ? .warning : level <= 6 ? .info : .debug
            box.logger.log(level: swiftLevel, "librdkafka: \(text)", metadata: ["facility": "\(fac)"])
        }
        if wantDeliveryReports {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let opaque, let message else { return }
                let box = Unmanaged<KafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                let msg = message.pointee
                let id = UInt(bitPattern: msg._private)
                if msg.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    let topic = msg.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                    box.onDelivery?(id, .success(DeliveryReport(topic: topic, partition: msg.partition, offset: msg.offset)))
                } else {
                    let text = String(cString: rd_kafka_err2str(msg.err))
                    box.onDelivery?(id, .failure(KafkaError(.delivery, text, rdkafkaCode: msg.err.rawValue)))
                }
            }
        }
        if wantRebalance {
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk, let opaque else { return }
                let box = Unmanaged<KafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                box.onRebalance?(rk, err, partitions)
            }
        }
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            // On failure rd_kafka_new leaves conf to the caller.
            rd_kafka_conf_destroy(conf)
            throw KafkaError(.configuration, "rd_kafka_new: \(cString(errstr))")
        }
        self.pointer = rk
        self.callbacks = callbacks
    }

    deinit {
        rd_kafka_destroy(pointer)
    }

    /// Topics with their partition counts, from a metadata request (blocking, bounded by `timeoutMilliseconds`).
    func metadata(timeoutMilliseconds: Int32) throws -> [String: Int32] {
        try metadata(of: nil, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The partition count of one topic, nil when the broker does not know it: a metadata request
    /// about that topic alone, which stays small however many topics the cluster holds.
    func partitionCount(of topic: String, timeoutMilliseconds: Int32) throws -> Int32? {
        guard let rkt = rd_kafka_topic_new(pointer, topic, nil) else {
            throw KafkaError(.admin, "topic handle for \(topic): \(String(cString: rd_kafka_err2str(rd_kafka_last_error())))")
        }
        defer { rd_kafka_topic_destroy(rkt) }
        return try metadata(of: rkt, timeoutMilliseconds: timeoutMilliseconds)[topic].flatMap { $0 > 0 ? $0 : nil }
    }

    /// Topics and partition counts from one metadata request: every topic, or only `rkt`'s.
    private func metadata(of rkt: OpaquePointer?, timeoutMilliseconds: Int32) throws -> [String: Int32] {
        var md: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(pointer, rkt == nil ? 1 : 0, rkt, &md, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else {
            throw KafkaError(err == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timeout : .admin,
                             "metadata: \(String(cString: rd_kafka_err2str(err)))", rdkafkaCode: err.rawValue)
        }
        defer { rd_kafka_metadata_destroy(md) }
        var topics: [String: Int32] = [:]
        for i in 0..<Int(md.pointee.topic_cnt) {
            let topic = md.pointee.topics[i]
            if topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                topics[String(cString: topic.topic)] = topic.partition_cnt
            }
        }
        return topics
    }

    /// Low and high watermark of a partition, asked of the broker.
    func watermarks(topic: String, partition: Int32, timeoutMilliseconds: Int32) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(pointer, topic, partition, &low, &high, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.admin, "watermarks of \(topic)/\(partition): \(String(cString: rd_kafka_err2str(err)))",
                             rdkafkaCode: err.rawValue)
        }
        return (low, high)
    }
}

/// A `rd_kafka_topic_partition_list_t` built from Swift values and freed with the value.
final class PartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ entries: [TopicPartitionOffset]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(1, entries.count)))
        for entry in entries {
            let tp = rd_kafka_topic_partition_list_add(pointer, entry.topic, entry.partition)
            tp?.pointee.offset = entry.offset
        }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    /// The entries of a list librdkafka owns.
    static func entries(of list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [TopicPartitionOffset] {
        guard let list else { return [] }
        return (0..<Int(list.pointee.cnt)).map { i in
            let tp = list.pointee.elems[i]
            return TopicPartitionOffset(topic: String(cString: tp.topic), partition: tp.partition, offset: tp.offset)
        }
    }
}

func rdkafkaErrorText(_ err: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(err)) }

/// The text in a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } ?? "" }
}
