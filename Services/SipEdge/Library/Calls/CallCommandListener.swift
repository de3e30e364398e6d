import Events
import Foundation
import Kafka
import Logging
import Messaging
import NIOConcurrencyHelpers
import Postgres
import Runtime
import ServiceLifecycle

/// Reads this edge's own partition of `call.commands` (DESIGN §3: partition = edge ordinal, no
/// group) and hands each command to its call. Before that, it closes the calls a previous run of
/// this edge left in `platform.edge_calls` (it crashed or was killed): each gets its `ended`
/// event and its CDR, so no call stays open forever. It stops after the `CallSupervisor` drained
/// the live calls, so commands reach them until the end.
struct CallCommandListener: Service {
    let context: ServiceContext
    let registry: CallRegistry
    let waker: CommandWaker

    func run() async throws {
        // The database may be down or not yet migrated when the edge starts: it keeps trying, so
        // an edge started before `switchboard migrate` (or during a PostgreSQL restart) recovers.
        var failures = 0
        while true {
            do {
                try await closeCallsOfPreviousRun()
                break
            } catch {
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    context.logger.warning("calls of the previous run not closed; retrying",
                                           metadata: ["attempt": "\(failures)", "error": "\(error)"])
                }
                if Task.isShuttingDownGracefully { return }
                try await Task.sleep(for: Backoff.exponential(failures))
            }
        }
        let topic = context.topic(.callCommands)
        let edge = context.configuration.edgeOrdinal
        guard let partitions = try await context.producer.partitionCount(of: topic) else {
            throw ConfigurationError(message: "topic \(topic) does not exist; run `switchboard topics ensure`")
        }
        guard edge < partitions else {
            throw ConfigurationError(message: "edge ordinal \(edge) has no partition of \(topic) (it has \(partitions))")
        }
        // From the end: commands from before this start were for calls of the previous run, which are gone.
        let consumer = try KafkaConsumer(
            configuration: context.kafka(),
            subscription: .assigned(groupID: "\(context.configuration.topicPrefix)sip-edge-\(edge)",
                                    partitions: [TopicPartitionOffset(topic: topic, partition: Int32(edge), offset: TopicPartitionOffset.end)]),
            logger: context.logger)
        waker.attach(consumer)
        let logger = context.logger
        await withGracefulShutdownHandler {
            do {
                for try await message in consumer.messages {
                    dispatch(message, logger: logger)
                }
            } catch {
                logger.error("call command listener stopped", metadata: ["error": "\(error)"])
            }
        } onGracefulShutdown: {
            consumer.stopReading()
        }
        await consumer.close()
    }

    private func dispatch(_ message: KafkaMessage, logger: Logger) {
        let bytes = message.value ?? []
        do {
            let header = try EnvelopeHeader.decode(bytes)
            guard let callID = header.callId else { throw EventError(message: "command without a call id") }
            guard let call = registry.call(id: callID) else {
                logger.debug("command for a call that is gone", metadata: ["call": "\(callID)", "type": "\(header.type)"])
                return
            }
            // A command names its tenant; one for another tenant's call is refused, never applied.
            guard header.tenant == call.setup.tenant.slug.value else {
                logger.warning("command for another tenant's call refused", metadata: ["call": "\(callID)", "tenant": "\(header.tenant)"])
                return
            }
            switch header.type {
            case CallRoute.type:
                call.post(.route(try header.decode(bytes, as: CallRoute.self).data))
            case CallPlay.type:
                call.post(.application(.play(try header.decode(bytes, as: CallPlay.self).data)))
            case CallCollect.type:
                call.post(.application(.collect(try header.decode(bytes, as: CallCollect.self).data)))
            case CallRecordAudio.type:
                call.post(.application(.record(try header.decode(bytes, as: CallRecordAudio.self).data)))
            case CallStop.type:
                call.post(.application(.stop))
            case CallTransfer.type:
                call.post(.application(.transfer(destination: try header.decode(bytes, as: CallTransfer.self).data.destination)))
            case CallHangUp.type:
                call.post(.application(.hangUp(cause: try header.decode(bytes, as: CallHangUp.self).data.cause)))
            default:
                logger.warning("unknown call command", metadata: ["type": "\(header.type)"])
            }
        } catch {
            logger.warning("malformed call command", metadata: ["offset": "\(message.offset)", "error": "\(error)"])
        }
    }

    private func closeCallsOfPreviousRun() async throws {
        let edge = context.configuration.edgeOrdinal
        let outbox = context.outbox
        let cause = "edge restarted"
        // The rows go and their ended events and CDRs enter the outbox in one transaction.
        let closed = try await context.db.withTransaction { connection -> Int in
            let rows = try await connection.query("""
                DELETE FROM platform.edge_calls WHERE deployment = \(context.configuration.topicPrefix) AND edge = \(edge)
                RETURNING call_id, tenant, caller, callee, direction, classification, started_at, answered_at, recording_id
                """)
            let now = Date()
            for row in rows {
                let callID: String = try row.decode("call_id")
                let tenant: String = try row.decode("tenant")
                let answered: Date? = try row.decode("answered_at")
                try await outbox.add(Envelope(tenant: tenant, callId: callID, data: CallStateChanged(state: .ended, cause: cause, party: nil)),
                                     on: connection)
                // Billable time ends at the restart: the edge cannot know when the call really ended.
                var record = CallRecord(from: try row.decode("caller"), to: try row.decode("callee"), direction: try row.decode("direction"),
                                        classification: try row.decode("classification"), start: try row.decode("started_at"),
                                        answer: answered, end: now,
                                        billableSeconds: answered.map { Int(ceil(now.timeIntervalSince($0))) } ?? 0, cause: cause)
                // What was recorded until the crash is kept (recording flags it incomplete).
                record.recording = try row.decode("recording_id", as: String?.self).map {
                    CallRecordingNote(outcome: .recorded, recordingId: $0, reason: nil)
                }
                try await outbox.add(Envelope(tenant: tenant, callId: callID, data: record), key: tenant, on: connection)
            }
            return rows.count
        }
        outbox.committed()
        if closed > 0 { context.logger.notice("closed calls of the previous run", metadata: ["count": "\(closed)"]) }
    }
}

/// Wakes this edge's `call.commands` consumer when a call publishes something a command may answer
/// (its offer, a failed plan, an application's events): dozing (`KafkaDozing`), the consumer
/// would see the command only at its next probe.
final class CommandWaker: Sendable {
    // The consumer itself, not a closure: a closure kept in a generic box gains two reabstraction
    // thunks at every `withLockedValue`, and this is called for every event of every call.
    private let consumer = NIOLockedValueBox<KafkaConsumer?>(nil)

    func attach(_ consumer: KafkaConsumer) { self.consumer.withLockedValue { $0 = consumer } }
    func expectCommand() { consumer.withLockedValue { $0 }?.wake() }
}
