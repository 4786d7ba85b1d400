import AsyncAlgorithms
import CubbyAudio
import CubbyConfiguration
import CubbyCore
import CubbyHardware
import CubbyPersona
import CubbyRoutines
import Foundation
import Logging
import ServiceLifecycle

/// The conversation service's loop: takes events one at a time and acts on them through the listener
/// (what the audio means), the `ConversationState` (what may happen now), the ledger (store, light,
/// journal) and the supervisor (running turns). Confined to the service's task; not thread-safe.
///
/// The listening light is switched on when a conversation opens and off when it closes, so it is lit for
/// the whole time audio may leave the device.
final class ConversationLoop {
    let service: ConversationService
    let supervisor: TurnSupervisor
    let listener: Listener
    let ledger: ConversationLedger
    /// The parent's limits, asked when a conversation would open and between turns.
    let playtime: PlayTimekeeper
    var state = ConversationState()
    /// The settings the loop applies now (listener, wake engine); the newest reload's after a conversation ends.
    var applied: LiveSettings.Snapshot
    /// The settings the open conversation started with: a reload never changes a conversation midway.
    var conversationSettings: LiveSettings.Snapshot
    /// Whether the microphone is muted now; nil until the loop first applies it.
    var mutedNow: Bool?
    var running: TurnHandle?
    /// Where the open conversation's turns get their answers; closed with the conversation.
    var provider: (any ReplyProvider)?
    var nextTurnID = 0
    /// The end of the last chunk with audio: where the input ended, if it ends.
    var lastSample: Int64 = 0
    /// The end of the last chunk, with audio or not (muted): where a press lands in the stream.
    var position: Int64 = 0
    /// The scene the open conversation is in (story, bedtime…); nil is the toy's ordinary chat.
    var activeScene: PersonaScene?
    /// Answers given in the active scene (bedtime ends after its few).
    var sceneTurns = 0
    /// Routines that came due while the toy was busy: said between turns (reminders) or once it is free (scenes).
    var pendingRoutines: [RoutinePlanner.Due] = []
    /// After bedtime's goodnight the toy rests until then: the wake phrase gets a sleepy line.
    var sleepingUntil: Date?

    var parts: ConversationService.Parts { service.parts }
    var logger: Logger { service.logger }

    init(service: ConversationService, supervisor: TurnSupervisor) {
        self.service = service
        self.supervisor = supervisor
        let current = service.live.current
        applied = current
        conversationSettings = current
        listener = Listener(spotter: service.parts.wake, settings: current.configuration.endpointer, ring: service.parts.capture.ring,
                            bargeInEnabled: service.realtime && current.configuration.bargeIn)
        ledger = ConversationLedger(conversations: service.parts.database.conversations, light: service.parts.light, journal: service.journal,
                                    clock: service.parts.clock, logger: service.logger)
        let live = service.live
        playtime = PlayTimekeeper(limits: { live.current.configuration.limits }, calendar: service.parts.calendar, database: service.parts.database,
                                  clock: service.parts.clock, logger: service.logger)
    }

    func run(_ events: AsyncChannel<ConversationEvent>) async throws {
        warmPhrases(applied)
        logger.info("listening", metadata: ["persona": "\(applied.persona.name)", "wake": "\(applied.wake?.settings.phrases ?? [])"])
        do {
            if try await !applyMute(at: 0) { return await shutDown() }
            if case .once(waitForWake: false) = service.mode, try await !handle([listener.open(by: .talkButton, atSample: 0)]) {
                return await shutDown()
            }
            var inputEnded = false
            events: for await event in events.cancelOnGracefulShutdown() {
                service.heartbeat.beat()
                switch event {
                case .audio(let chunk):
                    // The first audio through the loop is when the toy can really listen.
                    if !service.readiness.isSignalled { service.readiness.signal() }
                    parts.capture.markConsumed(upTo: chunk.endSample)
                    position = chunk.endSample
                    guard try await applyMute(at: chunk.startSample) else { break events }
                    guard !chunk.samples.isEmpty else { continue }
                    lastSample = chunk.endSample
                    guard try await handle(try await listener.process(chunk)) else { break events }
                case .pressed(let input):
                    guard try await handlePress(input, at: position) else { break events }
                    guard try await applyMute(at: position) else { break events }
                case .turnEnded(let handle):
                    guard handle === running, let report = handle.finishedReport else { continue }
                    running = nil
                    guard try await turnFinished(report, resumeAt: lastSample) else { break events }
                case .inputEnded:
                    inputEnded = true
                    break events
                case .captureFailed(let error):
                    throw error
                case .routineDue(let due):
                    guard try await routineDue(due) else { break events }
                case .sceneStarted(let id):
                    guard try await startScene(id, by: .parent) else { break events }
                }
            }
            if inputEnded && !Task.isCancelled && !Task.isShuttingDownGracefully { await finishInput() }
        } catch let error as CubbyError {
            logger.error("capture failed", metadata: ["error": "\(error)"])
            await shutDown()
            throw error
        }
        await shutDown()
    }

    /// The input ended while the toy may still be answering: let it finish (unless the daemon is being
    /// stopped meanwhile), answer what the child was still saying, then stop (`--once`) or wait to be stopped.
    private func finishInput() async {
        await finishRunningTurn()
        if running == nil && !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = try? await handle(listener.finishStream(atSample: lastSample))
            await finishRunningTurn()
        }
        if service.mode == .daemon && running == nil {
            logger.notice("the audio input ended; waiting to be stopped")
            await service.heartbeat.pulse { try? await gracefulShutdown() }
        }
    }

    /// Lets a running turn finish and counts it, feeding the watchdog meanwhile; gives up when shutdown
    /// begins first (then `shutDown` stops the turn).
    private func finishRunningTurn() async {
        guard let handle = running else { return }
        let report = await service.heartbeat.pulse {
            await cancelWhenGracefulShutdown { await handle.report() }
        }
        guard let report else { return }
        running = nil
        _ = try? await turnFinished(report, resumeAt: lastSample)
    }

    /// Stops capture, silences the speaker mid-sentence (a paced speaker would otherwise play the sentence
    /// out, past the shutdown deadline), lets a running turn record itself as interrupted, and closes
    /// whatever conversation was open.
    private func shutDown() async {
        parts.capture.stop()
        _ = await stopTurn()
        // The light is on exactly while a conversation is open; closing it switches the light off.
        await close("stopped")
    }

    /// Synthesizes the persona's fixed lines in the background; a turn that needs one before it is ready
    /// synthesizes it itself.
    func warmPhrases(_ snapshot: LiveSettings.Snapshot) {
        let persona = snapshot.persona
        let (phrases, synthesizer, rate) = (parts.phrases, parts.synthesizer, parts.speaker.format.sampleRate)
        Task.detached(priority: .utility) {
            for locale in persona.locales {
                let lines = locale.lines.offline + [locale.lines.coolDown, locale.defaultRedirect] + locale.redirects.keys.sorted().compactMap { locale.redirects[$0] }
                await phrases.warm(lines, voice: locale.voice(rate: persona.rate, pitch: persona.pitch), rate: rate, synthesizer: synthesizer)
            }
        }
    }
}
