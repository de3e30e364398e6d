/// Settings shared by producers, consumers and admin clients. Defaults fit the local development
/// broker; `extra` passes any other librdkafka property through unchanged.
package struct KafkaConfiguration: Sendable {
    /// `host:port[,host:port...]`.
    package var bootstrapServers: String
    package var clientID: String
    /// How long a produced message may wait for the broker's acknowledgement before `send` throws.
    package var deliveryTimeoutMilliseconds: Int = 10_000
    /// Idempotent produce (exactly-once per partition across retries). Needs a broker that supports
    /// KIP-360 epoch bumps, as Apache Kafka does; the local development broker does not.
    package var idempotence = true
    /// Producer batching delay. Routing decisions need 0–1 ms (DESIGN §3).
    package var lingerMilliseconds: Int = 1
    /// How long the broker may hold a fetch. Small values keep the round trip short.
    package var fetchWaitMaxMilliseconds: Int = 2
    /// Consumer-group session timeout; small in development because the local broker waits for it.
    package var sessionTimeoutMilliseconds: Int = 6_000
    package var maxPollIntervalMilliseconds: Int = 10_000
    /// Upper bound of messages buffered inside the producer (bounded memory): beyond it `send`
    /// throws instead of queueing.
    package var maxBufferedMessages: Int = 100_000
    /// Upper bound of prefetched messages per partition inside the consumer.
    package var maxPrefetchMessages: Int = 1_000
    /// How a consumer with nothing to read spares the broker; nil: it fetches all the time.
    package var dozing: KafkaDozing?
    /// Any other librdkafka property; wins over the typed fields.
    package var extra: [String: String] = [:]

    package init(bootstrapServers: String, clientID: String = "switchboard") {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
    }

    var common: [String: String] {
        [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            // Small request/reply messages must not wait for Nagle and delayed ACKs (40 ms stalls).
            "socket.nagle.disable": "true",
            "reconnect.backoff.ms": "50",
            "reconnect.backoff.max.ms": "1000",
            "topic.metadata.refresh.interval.ms": "10000",
            "allow.auto.create.topics": "false",
        ]
    }

    var producerProperties: [String: String] {
        common.merging([
            "acks": "all",
            "enable.idempotence": idempotence ? "true" : "false",
            "linger.ms": String(lingerMilliseconds),
            "message.timeout.ms": String(deliveryTimeoutMilliseconds),
            "queue.buffering.max.messages": String(maxBufferedMessages),
            "queue.buffering.max.kbytes": "65536",
        ]) { $1 }.merging(extra) { $1 }
    }

    func consumerProperties(groupID: String) -> [String: String] {
        common.merging([
            "group.id": groupID,
            "enable.auto.commit": "true",
            // Offsets are stored only once a message has been processed (commit after processing).
            "enable.auto.offset.store": "false",
            "auto.commit.interval.ms": "500",
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": String(fetchWaitMaxMilliseconds),
            "fetch.error.backoff.ms": "50",
            "session.timeout.ms": String(sessionTimeoutMilliseconds),
            "heartbeat.interval.ms": String(max(100, sessionTimeoutMilliseconds / 6)),
            "max.poll.interval.ms": String(maxPollIntervalMilliseconds),
            "queued.max.messages.kbytes": "16384",
            "queued.min.messages": String(maxPrefetchMessages),
            "partition.assignment.strategy": "range,roundrobin",
        ]) { $1 }.merging(extra) { $1 }
    }
}

/// A consumer that read nothing for `quietAfter` pauses its partitions and, while it stays quiet,
/// asks the broker for their high watermarks every `probeEvery` (a request answered at once); a
/// watermark that moved, or `wake()`, makes it fetch all the time again. For brokers that hold
/// every fetch for the whole `fetch.wait.max.ms` (Tansu): a call-path consumer at 2 ms costs such
/// a broker 500 empty fetches a second while nothing happens; dozing makes it ten watermark
/// queries, for at most `probeEvery` more latency on the first message after a quiet spell.
package struct KafkaDozing: Sendable, Equatable {
    package var quietAfter: Duration
    package var probeEvery: Duration

    package init(quietAfter: Duration = .seconds(1), probeEvery: Duration = .milliseconds(100)) {
        self.quietAfter = quietAfter
        self.probeEvery = probeEvery
    }
}
