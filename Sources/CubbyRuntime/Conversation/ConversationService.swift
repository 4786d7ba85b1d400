import CubbyAudio
import CubbyCore
import CubbyHardware
import CubbyMemory
import CubbySafety
import CubbyVoice
import CubbyWake
import Foundation
import Logging
import ServiceLifecycle

/// The daemon's main loop: microphone → wake word → utterance → turn → speaker, one conversation at a time.
///
/// Every chunk of captured audio passes through the `Listener`, which keeps nothing while no conversation
/// is open. The listening light is switched on when a conversation opens and off when it closes, so it is
/// lit for the whole time audio may leave the device. Turns run inline: while the toy answers, the audio
/// captured meanwhile is its own voice (echo cancellation and barge-in come with the audio issue), so in
/// live mode it is skipped, not answered.
public final class ConversationService: Service, @unchecked Sendable {
    // @unchecked: the mutable conversation state is confined to `run()`, which runs once.

    public enum Mode: Sendable, Equatable {
        /// Run until stopped; live (paced) capture.
        case daemon
        /// One conversation from a file, then return. `waitForWake`: the conversation opens at the wake
        /// phrase; otherwise it counts as opened by the talk button at the first sample.
        case once(waitForWake: Bool)
    }

    public struct Parts: Sendable {
        public var capture: CaptureThread
        public var speaker: SpeakerQueue
        public var store: ConversationStore
        public var light: any Indicator
        public var filter: any SafetyFilter
        public var synthesizer: any SpeechSynthesizer
        public var phrases = PhraseCache()
        public var makeDetector: @Sendable (WakeSettings) throws(CubbyError) -> any WakeDetector

        public init(capture: CaptureThread, speaker: SpeakerQueue, store: ConversationStore, light: any Indicator,
                    filter: any SafetyFilter, synthesizer: any SpeechSynthesizer,
                    makeDetector: @escaping @Sendable (WakeSettings) throws(CubbyError) -> any WakeDetector) {
            self.capture = capture
            self.speaker = speaker
            self.store = store
            self.light = light
            self.filter = filter
            self.synthesizer = synthesizer
            self.makeDetector = makeDetector
        }
    }

    let parts: Parts
    let live: LiveSettings
    let mode: Mode
    let heartbeat: Heartbeat
    let journal: ConversationJournal
    let logger: Logger

    public init(parts: Parts, live: LiveSettings, mode: Mode, heartbeat: Heartbeat, journal: ConversationJournal, logger: Logger) {
        self.parts = parts
        self.live = live
        self.mode = mode
        self.heartbeat = heartbeat
        self.journal = journal
        self.logger = logger
    }

    /// One open conversation.
    private struct Open {
        var id: Int64
        var turns = 0
        var snapshot: LiveSettings.Snapshot
    }

    public func run() async throws {
        var snapshot = live.current
        var wakeSettings = Self.wakeSettings(snapshot)
        let needsDetector = mode != .once(waitForWake: false)
        var detector: (any WakeDetector)? = needsDetector ? try parts.makeDetector(wakeSettings) : nil
        heartbeat.beat()
        let listener = Listener(detector: detector, settings: snapshot.configuration.endpointer)
        var conversation: Open?
        var lastSample: Int64 = 0
        var skipUntilSample: Int64 = 0
        let liveCapture = mode == .daemon

        if let closed = try? parts.store.closeDanglingConversations(at: Date()), closed > 0 {
            logger.notice("closed conversations left open by an earlier run", metadata: ["count": "\(closed)"])
        }

        func openConversation(_ reason: OpenReason, at sample: Int64, phrase: String?) throws(CubbyError) {
            let current = live.current
            let id = try parts.store.openConversation(personaID: current.persona.id, openedBy: reason.rawValue, at: Date())
            conversation = Open(id: id, snapshot: current)
            parts.light.set(true)
            journal.opened(reason)
            logger.info("conversation opened", metadata: ["by": "\(reason.rawValue)", "phrase": "\(phrase ?? "")", "sample": "\(sample)"])
        }

        func closeConversation(_ reason: String) {
            guard let open = conversation else { return }
            conversation = nil
            do { try parts.store.closeConversation(open.id, at: Date()) } catch {
                logger.error("could not record the end of the conversation", metadata: ["error": "\(error)"])
            }
            parts.light.set(false)
            journal.closed(reason)
            logger.info("conversation closed", metadata: ["reason": "\(reason)", "turns": "\(open.turns)"])
        }

        /// Picks up a reload between conversations.
        func refreshIfReloaded() throws(CubbyError) {
            let current = live.current
            guard current.generation != snapshot.generation else { return }
            snapshot = current
            let newWake = Self.wakeSettings(current)
            if needsDetector && newWake != wakeSettings {
                detector = try parts.makeDetector(newWake)
                listener.replaceDetector(detector)
                wakeSettings = newWake
                logger.info("wake phrase updated", metadata: ["phrases": "\(newWake.phrases)"])
            }
            listener.replaceSettings(current.configuration.endpointer)
            warmPhrases(current)
        }

        /// Closes the conversation, however it ended; `--once` then stops, the daemon picks up any reload.
        /// Returns whether to keep listening.
        func conversationEnded(_ reason: String) throws(CubbyError) -> Bool {
            closeConversation(reason)
            if case .once = mode { return false }
            try refreshIfReloaded()
            return true
        }

        func handle(_ events: [ListenerEvent]) async throws(CubbyError) -> Bool {
            for event in events {
                switch event {
                case .opened(let reason, let sample, let phrase):
                    try openConversation(reason, at: sample, phrase: phrase)
                case .utterance(let samples, let start, let end):
                    guard var open = conversation else { continue }
                    let endOfSpeech = ContinuousClock.now
                    logger.debug("utterance", metadata: ["from": "\(start)", "to": "\(end)"])
                    let runner = TurnRunner(
                        persona: open.snapshot.persona, configuration: open.snapshot.configuration, cloud: open.snapshot.cloud,
                        filter: parts.filter, synthesizer: parts.synthesizer, speaker: parts.speaker, store: parts.store,
                        phrases: parts.phrases, logger: logger)
                    let report = await withHeartbeat {
                        await runner.run(utterance: samples, conversationID: open.id, turnIndex: open.turns, endOfSpeech: endOfSpeech)
                    }
                    open.turns += 1
                    conversation = open
                    journal.answered(report)
                    if Task.isCancelled { return false }
                    let resumeAt = liveCapture ? max(lastSample, parts.capture.samplesCaptured) : end
                    skipUntilSample = liveCapture ? resumeAt : 0
                    if let closed = listener.answerFinished(atSample: resumeAt, followUp: open.snapshot.configuration.followUp),
                       case .closed(_, let reason) = closed, try !conversationEnded(reason.rawValue) {
                        return false
                    }
                case .closed(_, let reason):
                    if try !conversationEnded(reason.rawValue) { return false }
                }
            }
            return true
        }

        warmPhrases(snapshot)
        let stream = parts.capture.start(depthChunks: liveCapture ? 500 : Int.max / 2)
        logger.info("listening", metadata: ["persona": "\(snapshot.persona.name)", "wake": "\(wakeSettings.phrases)"])
        if case .once(waitForWake: false) = mode {
            _ = try await handle([listener.open(by: .talkButton, atSample: 0)])
        }

        var keepGoing = true
        var inputEnded = false
        do {
            for try await chunk in stream.cancelOnGracefulShutdown() {
                heartbeat.beat()
                lastSample = chunk.endSample
                if chunk.endSample <= skipUntilSample { continue }
                keepGoing = try await handle(try listener.process(chunk))
                if !keepGoing { break }
            }
            inputEnded = keepGoing && !Task.isCancelled && !Task.isShuttingDownGracefully
        } catch let error as CubbyError {
            logger.error("capture failed", metadata: ["error": "\(error)"])
            await shutDown(closing: closeConversation)
            throw error
        }
        if inputEnded {
            _ = try? await handle(listener.finishStream(atSample: lastSample))
            if mode == .daemon {
                logger.notice("the audio input ended; waiting to be stopped")
                await withHeartbeat { try? await gracefulShutdown() }
            }
        }
        await shutDown(closing: closeConversation)
    }

    /// Stops capture, silences the speaker and closes whatever conversation was open.
    private func shutDown(closing closeConversation: (String) -> Void) async {
        parts.capture.stop()
        parts.speaker.flush()
        // The light is on exactly while a conversation is open; closing it switches the light off.
        closeConversation("stopped")
    }

    /// Synthesizes the persona's fixed lines in the background; a turn that needs one before it is ready
    /// synthesizes it itself.
    private func warmPhrases(_ snapshot: LiveSettings.Snapshot) {
        let persona = snapshot.persona
        let lines = persona.offlineLines + [persona.defaultRedirect] + persona.redirects.keys.sorted().compactMap { persona.redirects[$0] }
        let (phrases, synthesizer, rate) = (parts.phrases, parts.synthesizer, parts.speaker.format.sampleRate)
        Task.detached(priority: .utility) {
            await phrases.warm(lines, voice: persona.voice, rate: rate, synthesizer: synthesizer)
        }
    }

    /// Keeps the watchdog fed while a turn is in progress: a turn is bounded by the cloud timeouts.
    private func withHeartbeat<T: Sendable>(_ body: () async -> T) async -> T {
        let heartbeat = self.heartbeat
        let pulse = Task {
            while !Task.isCancelled {
                heartbeat.beat()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { pulse.cancel() }
        return await body()
    }

    static func wakeSettings(_ snapshot: LiveSettings.Snapshot) -> WakeSettings {
        var settings = snapshot.persona.wake
        if let sensitivity = snapshot.configuration.wakeSensitivity { settings.sensitivity = sensitivity }
        return settings
    }
}
