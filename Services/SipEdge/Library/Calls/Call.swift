import Events
import Foundation
import Logging
import Messaging
import NIOCore
import SIP
import Tenancy

/// Runs one call's `CallMachine` and does its I/O (DESIGN §3, §6): feeds it the call's inputs in
/// order from one inbox, and carries out the actions each step returns — SIP sends, client
/// transactions, media, timers on the edge's clock, events and the live-call journal.
actor Call {
    nonisolated let setup: CallSetup
    private var machine: CallMachine
    private let env: CallEnvironment
    private let registry: CallRegistry
    private let media: MediaSession
    private let journal: CallJournal
    /// Requests in client transactions, sent side by side by a child task of the call: a device
    /// whose TCP connection must first be opened (or never opens) holds up neither the other
    /// branches of its stage nor the call's signalling. A recording's chunk publisher runs here too.
    private let requests: AsyncStream<@Sendable () async -> Void>
    private let requestsContinuation: AsyncStream<@Sendable () async -> Void>.Continuation
    private nonisolated let inbox: AsyncStream<CallInput>.Continuation
    private let inputs: AsyncStream<CallInput>
    private var timers: [CallTimer: Task<Void, Never>] = [:]
    /// The queue of the recording's chunks to the broker, while it records.
    private var recordingChunks: AsyncStream<AudioChunk>.Continuation?
    /// Chunks waiting for the broker beyond this drop their oldest (half a minute of audio).
    private static let chunkBacklog = 30

    init(setup: CallSetup, env: CallEnvironment, registry: CallRegistry, media: MediaSession) throws(SIPParseError) {
        self.setup = setup
        self.env = env
        self.registry = registry
        self.media = media
        machine = try CallMachine(setup: setup, settings: env.callSettings, mediaPorts: media.localPorts, now: env.clock.now)
        journal = CallJournal()
        (requests, requestsContinuation) = AsyncStream<@Sendable () async -> Void>.makeStream()
        (inputs, inbox) = AsyncStream<CallInput>.makeStream()
    }

    nonisolated func post(_ input: CallInput) { inbox.yield(input) }

    /// The call from its INVITE to its last journal write, as a task of the edge's `CallSupervisor`.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.journal.run() }
            group.addTask {
                await withDiscardingTaskGroup { sends in
                    for await send in self.requests { sends.addTask { await send() } }
                }
            }
            await perform(machine.start())
            for await input in inputs {
                await perform(machine.handle(input, now: env.clock.now))
                if machine.isFinished { break }
            }
            for timer in timers.keys { cancel(timer) }
            recordingChunks?.finish()
            requestsContinuation.finish()
            journal.finish()
        }
        // Only now is the call gone: its CDR is in the outbox, and a draining edge may stop.
        registry.remove(self, callIDs: machine.callIDs)
    }

    private func perform(_ actions: [CallAction]) async {
        for action in actions {
            switch action {
            case .send(let message, let target):
                do {
                    try await env.transport.send(message, to: target)
                } catch {
                    env.logger.debug("SIP message not sent", metadata: ["call": "\(setup.id)", "target": "\(target)", "error": "\(error)"])
                }
            case .respond(let response, let request, let target):
                await env.respond(response, to: request, target: target)
            case .request(let request, let target, let replies):
                let transactions = env.transactions
                requestsContinuation.yield { [weak self] in
                    await transactions.start(request, to: target) { [weak self] event in
                        switch replies {
                        case .branch(let index): self?.post(.branch(index, event))
                        case .inDialog(let party, let method): self?.post(.inDialog(party, method: method, event))
                        case .ignored: break
                        }
                    }
                }
            case .attach(let callID):
                registry.attach(callID: callID, to: self)
            case .configureMedia(let party, let session):
                let format = session.g711.first
                await media.configure(leg: party.mediaLeg, remote: await Self.remote(of: session),
                                      format: LegFormat(audioPayloadType: format?.payloadType ?? 0,
                                                        telephoneEvent: session.telephoneEvent?.payloadType))
            case .probeMedia(let quiet):
                let limit = NIODeadline.now() - .nanoseconds(Int64(quiet.components.seconds) * 1_000_000_000)
                if await media.activity().allSatisfy({ ($0.last ?? .distantPast) < limit }) {
                    env.logger.notice("call ended: no media", metadata: ["call": "\(setup.id)"])
                    post(.mediaQuiet)
                }
            case .start(let timer, let duration):
                schedule(timer, after: duration)
            case .cancel(let timer):
                cancel(timer)
            case .publish(let notice):
                publish(notice)
            case .journal(let entry):
                write(entry)
            case .startPlayback(let items, let loop, let number):
                await startPlayback(items, loop: loop, number: number)
            case .stopPlayback:
                await media.stop()
            case .listenForKeys:
                await media.listenForKeys { [weak self] key, source in self?.post(.key(key, source)) }
            case .startRecording(let command, let id, let number):
                await startRecording(Recorder.Settings(command), id: id) { [weak self] limit in self?.post(.recordingLimit(number, limit)) }
            case .stopRecording(let end):
                await stopRecording(end)
            case .playNotice(let sha256, let number):
                await playNotice(sha256: sha256, number: number)
            case .startTap(let started):
                await startRecording(.tap, id: started.recordingId) { _ in }
            case .stopTap:
                _ = await finishChunks()
            case .closeMedia:
                await media.close()
            }
        }
    }

    /// Prompts come from the edge's cache (the media store behind it); tones are made here.
    private func startPlayback(_ items: [PlayItem], loop: Bool, number: Int) async {
        do {
            let audio = try await env.prompts.render(items, tenant: setup.tenant.slug)
            await media.play(audio, loop: loop) { [weak self] in self?.post(.playbackEnded(number)) }
        } catch {
            env.logger.warning("playback failed", metadata: ["call": "\(setup.id)", "error": "\(error)"])
            await media.stop()
            post(.playbackFailed(number))
        }
    }

    // MARK: Recording

    /// The chunks leave through a queue of their own, published in order by a child task of the
    /// call: the media loop only hands them over, and a slow or failing broker costs chunks
    /// (counted and logged), never the call's audio or signalling.
    private func startRecording(_ settings: Recorder.Settings, id: String, onLimit: @escaping @Sendable (Recorder.Limit) -> Void) async {
        let (chunks, continuation) = AsyncStream<AudioChunk>.makeStream(bufferingPolicy: .bufferingNewest(Self.chunkBacklog))
        recordingChunks = continuation
        let publisher = env.publisher
        let logger = env.logger
        requestsContinuation.yield {
            var failures = 0
            for await chunk in chunks {
                do {
                    try await publisher.publish(chunk)
                } catch {
                    MediaMetrics.chunksLost.increment()
                    failures += 1
                    if failures == 1 || failures % 60 == 0 {
                        logger.warning("recording chunk not published", metadata: [
                            "call": "\(chunk.callId)", "recording": "\(chunk.recordingId)", "failures": "\(failures)", "error": "\(error)",
                        ])
                    }
                }
            }
        }
        let (tenant, callID) = (setup.tenant.slug.value, setup.id)
        await media.startRecording(settings, onChunk: { chunk in
            let message = AudioChunk(tenant: tenant, callId: callID, recordingId: id, sequence: chunk.sequence, codec: .pcmuStereo,
                                     final: chunk.final, audio: chunk.audio)
            if case .dropped = continuation.yield(message) { MediaMetrics.chunksLost.increment() }
        }, onLimit: onLimit)
    }

    /// The notice to both parties of the bridge; a notice that cannot be had means no recording.
    private func playNotice(sha256: String, number: Int) async {
        do {
            let audio = try await env.prompts.render([.prompt(sha256: sha256)], tenant: setup.tenant.slug)
            await media.play(audio, loop: false, toBoth: true) { [weak self] in self?.post(.noticeEnded(number)) }
        } catch {
            env.logger.warning("recording notice not played; the call is not recorded", metadata: ["call": "\(setup.id)", "error": "\(error)"])
            post(.noticeFailed(number))
        }
    }

    /// Ends the recording with its final chunk and closes the queue to the broker behind it.
    private func finishChunks() async -> Recorder.Summary? {
        let summary = await media.stopRecording()
        recordingChunks?.finish()
        recordingChunks = nil
        return summary
    }

    private func stopRecording(_ end: RecordingEnd) async {
        let summary = await finishChunks()
        publish(CallRecordFinished(operation: end.operation, recordingId: end.recordingId, reason: end.reason, key: end.key,
                                   durationMs: summary?.durationMs ?? 0, chunks: summary?.chunks ?? 0))
    }

    // MARK: Timers

    private func schedule(_ timer: CallTimer, after duration: Duration) {
        timers[timer]?.cancel()
        let clock = env.clock
        timers[timer] = Task { [weak self] in
            try? await clock.sleep(for: duration)
            guard !Task.isCancelled else { return }
            await self?.fired(timer)
        }
    }

    private func fired(_ timer: CallTimer) {
        timers[timer] = nil
        post(.timer(timer))
    }

    private func cancel(_ timer: CallTimer) {
        timers.removeValue(forKey: timer)?.cancel()
    }

    // MARK: Events and the journal

    /// Events leave one after another through the journal, off the call's own loop.
    private func publish(_ notice: CallNotice) {
        switch notice {
        case .offered(let offer): publish(offer, key: setup.tenant.slug.value)
        case .state(let change): publish(change)
        case .planFailed(let failure): publish(failure, key: setup.tenant.slug.value)
        case .transferRequested(let transfer): publish(transfer, key: setup.tenant.slug.value)
        case .applicationStarted(let started): publish(started)
        case .key(let key): publish(key)
        case .playFinished(let finished): publish(finished)
        case .collectFinished(let finished): publish(finished)
        case .recordingStarted(let started): publish(started)
        case .recordingFailed(let failed): publish(failed)
        }
    }

    private func publish<P: EventPayload>(_ payload: P, key: String? = nil) {
        let envelope = Envelope(tenant: setup.tenant.slug.value, callId: setup.id, data: payload)
        env.commandWaker.expectCommand()
        let publisher = env.publisher
        let logger = env.logger
        journal.append {
            do {
                try await publisher.publish(envelope, key: key)
            } catch {
                logger.warning("call event not published", metadata: ["call": "\(envelope.callId ?? "")", "type": "\(P.type)", "error": "\(error)"])
            }
        }
    }

    private func write(_ entry: JournalEntry) {
        let db = env.db
        let id = setup.id
        let logger = env.logger
        switch entry {
        case .started(let direction, let started):
            let setup = setup
            let edge = env.edge
            let deployment = env.deployment
            journal.append {
                do {
                    try await db.query("""
                    INSERT INTO platform.edge_calls (call_id, deployment, edge, tenant, caller, callee, direction, started_at)
                    VALUES (\(id), \(deployment), \(edge), \(setup.tenant.slug.value), \(SIPURI(setup.callerIdentity.uri)?.user ?? setup.callerIdentity.uri),
                            \(setup.dialled), \(direction), \(started))
                    ON CONFLICT (call_id) DO NOTHING
                    """)
                } catch {
                    logger.warning("live call not recorded", metadata: ["call": "\(id)", "error": "\(error)"])
                }
            }
        case .answered(let answered):
            journal.append {
                do {
                    try await db.query("UPDATE platform.edge_calls SET answered_at = \(answered) WHERE call_id = \(id)")
                } catch {
                    logger.warning("live call not updated", metadata: ["call": "\(id)", "error": "\(error)"])
                }
            }
        case .recording(let recordingID):
            journal.append {
                do {
                    try await db.query("UPDATE platform.edge_calls SET recording_id = \(recordingID) WHERE call_id = \(id)")
                } catch {
                    logger.warning("live call not updated", metadata: ["call": "\(id)", "error": "\(error)"])
                }
            }
        case .ended(let record):
            store(Envelope(tenant: setup.tenant.slug.value, callId: id, data: record))
        }
    }

    /// The CDR replaces the live-call row in one transaction: it is never lost (the outbox relays
    /// it whenever the broker can take it) and never made twice (a restart finds no live call).
    /// While the database is down it is retried; if the edge stops first, the live-call row stays
    /// and the next start ends the call from it.
    private func store(_ envelope: Envelope<CallRecord>) {
        let outbox = env.outbox
        let id = setup.id
        let logger = env.logger
        journal.append {
            var attempt = 0
            while true {
                do {
                    try await outbox.db.withTransaction { connection in
                        try await connection.query("DELETE FROM platform.edge_calls WHERE call_id = \(id)")
                        try await outbox.add(envelope, key: envelope.tenant, on: connection)
                    }
                    outbox.committed()
                    return
                } catch {
                    attempt += 1
                    if attempt == 1 { logger.warning("CDR not stored yet; retrying", metadata: ["call": "\(id)", "error": "\(error)"]) }
                    guard attempt < 120 else {
                        logger.error("CDR not stored; the next start ends the call from its live-call row", metadata: ["call": "\(id)"])
                        return
                    }
                    try? await Task.sleep(for: Backoff.exponential(attempt))
                }
            }
        }
        journal.finish()
    }

    private static func remote(of description: SessionDescription) async -> SocketAddress? {
        guard description.address != "0.0.0.0", description.audioPort != 0 else { return nil }
        return try? await SIPTransport.resolve(description.address, port: description.audioPort)
    }
}
