/// The one error type of the Kafka client. `code` says what went wrong in our terms; `rdkafkaCode`
/// carries librdkafka's own `rd_kafka_resp_err_t` when there is one.
package struct KafkaError: Error, CustomStringConvertible, Sendable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let name: String
        package var description: String { name }

        /// librdkafka is older than the version this project needs.
        package static let unsupportedLibrary = Code(name: "unsupported-library")
        /// A configuration key or value was refused.
        package static let configuration = Code(name: "configuration")
        /// The message could not be enqueued (local queue full, unknown topic, too large, ...).
        package static let produce = Code(name: "produce")
        /// The broker did not acknowledge the message before the delivery deadline, or refused it.
        package static let delivery = Code(name: "delivery")
        /// The client was shut down while the operation was in flight.
        package static let shutdown = Code(name: "shutdown")
        /// A consumer-side failure (subscription, assignment, poll, commit).
        package static let consumer = Code(name: "consumer")
        /// An admin or metadata request failed.
        package static let admin = Code(name: "admin")
        /// An operation did not complete within its deadline.
        package static let timeout = Code(name: "timeout")
        /// librdkafka raised a fatal error; the handle cannot be used any more.
        package static let fatal = Code(name: "fatal")
    }

    package let code: Code
    /// librdkafka's `rd_kafka_resp_err_t`, when the failure came from librdkafka.
    package let rdkafkaCode: Int32?
    package let message: String
    package let file: String
    package let line: UInt

    package init(_ code: Code, _ message: String, rdkafkaCode: Int32? = nil,
                 file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.rdkafkaCode = rdkafkaCode
        self.file = file
        self.line = line
    }

    package var description: String {
        if let rdkafkaCode { return "kafka \(code): \(message) (rdkafka error \(rdkafkaCode))" }
        return "kafka \(code): \(message)"
    }
}
