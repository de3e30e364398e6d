import Events
import Foundation
import Kafka
import Messaging

/// `kafka-bench play-loop --brokers HOST:PORT --prefix P --sha256 HASH`: the application of the
/// media benchmark (scripts/bench-media). Every call the edge answers into an application hears
/// the prompt looped until it hangs up, the way `ivr` would loop music on hold.
func playLoop() async throws {
    let brokers = option("brokers")
    let prefix = option("prefix", "")
    let prompt = option("sha256")
    let producer = try KafkaProducer(configuration: configuration(brokers, client: "bench-player"), logger: logger)
    let publisher = EventPublisher(producer: producer, topicPrefix: prefix)
    let consumer = try KafkaConsumer(configuration: configuration(brokers, client: "bench-player"),
                                     subscription: .group(groupID: "\(prefix)bench-player", topics: [Topic.callEvents.name(prefix: prefix)]),
                                     logger: logger)
    for try await message in consumer.messages {
        let bytes = message.value ?? []
        guard let header = try? EnvelopeHeader.decode(bytes), header.type == CallAppStarted.type,
              let started = try? header.decode(bytes, as: CallAppStarted.self) else { continue }
        let play = CallPlay(operation: "bench", items: [.prompt(sha256: prompt)], loop: true, bargeIn: false)
        try await publisher.publish(Envelope(tenant: header.tenant, callId: header.callId, data: play), partition: Int32(started.data.offer.edge))
    }
}
