import CubbyAudio
import CubbyCloud
import CubbyCore
import CubbyHardware
import CubbyMemory
import CubbySafety
import CubbyVoice
import CubbyWake
import Foundation
import Logging
import ServiceLifecycle

/// The daemon's main loop: microphone → front end → wake word → utterance → turn → speaker, one
/// conversation at a time.
///
/// Every chunk of captured audio passes through the `Listener`, which keeps nothing while no conversation
/// is open. The listening light is switched on when a conversation opens and off when it closes, so it is
/// lit for the whole time audio may leave the device. With live (paced) audio, a turn runs beside the
/// capture loop: while the toy speaks, the echo-cancelled microphone still reaches the wake detector and
/// the buttons are still read, so a child can interrupt (barge-in) — playback stops within one speaker
/// block and the turn is cancelled. From a file at full speed (`--once` without `--realtime`) turns run
/// inline instead: there is no "meanwhile" to listen to.
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
        public var muteLight: (any Indicator)?
        /// The built-in rules; each settings snapshot adds the persona's and the parent's to them.
        public var filter: OnDeviceFilter
        public var synthesizer: any SpeechSynthesizer
        public var phrases = PhraseCache()
        public var inputs = InputInbox()
        /// Where expressions (the model's emotions) go on the board.
        public var events: BoardEventLog?
        public var makeDetector: @Sendable (WakeSettings) throws(CubbyError) -> any WakeDetector

        public init(capture: CaptureThread, speaker: SpeakerQueue, store: ConversationStore, light: any Indicator,
                    filter: OnDeviceFilter, synthesizer: any SpeechSynthesizer,
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
    /// Audio arrives at real-time pace (a microphone, or `--realtime`): turns run beside capture.
    let realtime: Bool
    let heartbeat: Heartbeat
    let journal: ConversationJournal
    let logger: Logger
    /// Risk, rule-breaking streak and cool-down: for the daemon's lifetime, since a cool-down must
    /// outlast the conversation that started it.
    let safety = ConversationSafety()
    /// One breaker for the daemon: after three failed turns in a row the cloud is left alone for 30 s.
    let breaker = CircuitBreaker()

    public init(parts: Parts, live: LiveSettings, mode: Mode, realtime: Bool, heartbeat: Heartbeat, journal: ConversationJournal,
                logger: Logger) {
        self.parts = parts
        self.live = live
        self.mode = mode
        self.realtime = realtime
        self.heartbeat = heartbeat
        self.journal = journal
        self.logger = logger
    }

    /// One open conversation.
    private struct Open {
        /// nil when the store could not record the conversation (a full disk): the toy still answers.
        var id: Int64?
        var turns = 0
        var snapshot: LiveSettings.Snapshot
    }

    /// A turn running beside the capture loop.
    private struct ActiveTurn {
        var task: Task<TurnReport, Never>
        var done: DoneFlag
    }

    public func run() async throws {
        var snapshot = live.current
        var wakeSettings = Self.wakeSettings(snapshot)
        let needsDetector = mode != .once(waitForWake: false)
        let makeDetector = parts.makeDetector
        var detector: (any WakeDetector)?
        if needsDetector {
            let settings = wakeSettings
            do {
                // A SIGTERM while the engine loads stops the daemon at once instead of after the load.
                // The load can take seconds on a small board: the watchdog is fed meanwhile.
                detector = try await Self.withHeartbeat(heartbeat) {
                    try await cancelWhenGracefulShutdown {
                        UncheckedBox(value: try await OffPoolBuild.run("wake") { () throws(CubbyError) in try makeDetector(settings) })
                    }
                }.value
            } catch is CancellationError {
                return
            }
        }
        heartbeat.beat()
        let listener = Listener(detector: detector, settings: snapshot.configuration.endpointer, ring: parts.capture.ring,
                                bargeInEnabled: realtime && snapshot.configuration.bargeIn)
        var conversation: Open?
        var active: ActiveTurn?
        var lastSample: Int64 = 0
        var buttonMuted = false

        if let closed = try? parts.store.closeDanglingConversations(at: Date()), closed > 0 {
            logger.notice("closed conversations left open by an earlier run", metadata: ["count": "\(closed)"])
        }

        func openConversation(_ reason: OpenReason, at sample: Int64, phrase: String?) {
            let current = live.current
            var id: Int64?
            do {
                id = try parts.store.openConversation(personaID: current.persona.id, openedBy: reason.rawValue, at: Date())
            } catch {
                // A full or failing disk must not silence the toy: this conversation goes unrecorded.
                logger.error("could not record the conversation; answering without recording it", metadata: ["error": "\(error)"])
            }
            conversation = Open(id: id, snapshot: current)
            safety.conversationOpened(coolDown: .seconds(current.configuration.safety.coolDownMinutes * 60))
            parts.light.set(true)
            journal.opened(reason)
            logger.info("conversation opened", metadata: ["by": "\(reason.rawValue)", "phrase": "\(phrase ?? "")", "sample": "\(sample)"])
        }

        func closeConversation(_ reason: String) {
            guard let open = conversation else { return }
            conversation = nil
            do { if let id = open.id { try parts.store.closeConversation(id, at: Date()) } } catch {
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
            listener.bargeInEnabled = realtime && current.configuration.bargeIn
            buttonMuted = false
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

        func makeTurn(_ samples: [Int16], _ open: Open) -> @Sendable () async -> TurnReport {
            let snapshot = open.snapshot
            var turnParts = TurnPipeline.Parts(
                persona: snapshot.persona, configuration: snapshot.configuration,
                provider: snapshot.provider(speakerRate: parts.speaker.format.sampleRate, logger: logger),
                filter: snapshot.filter, synthesizer: parts.synthesizer, speaker: parts.speaker, store: parts.store)
            turnParts.safety = safety
            turnParts.guardModel = snapshot.guardModel
            turnParts.cloudVoice = snapshot.speech
            turnParts.breaker = breaker
            turnParts.phrases = parts.phrases
            let events = parts.events
            turnParts.expression = { events?.record("expression", $0) }
            let pipeline = TurnPipeline(turnParts, logger: logger)
            let input = TurnInput(utterance: samples, conversationID: open.id, index: open.turns, endOfSpeech: .now)
            return { await pipeline.run(input) }
        }

        /// A turn has ended (answered, or interrupted): count it, then listen for a follow-up or close.
        func turnFinished(_ report: TurnReport, resumeAt sample: Int64) throws(CubbyError) -> Bool {
            guard var open = conversation else { return true }
            open.turns += 1
            conversation = open
            journal.answered(report)
            if Task.isCancelled { return false }
            if report.endConversation { return try conversationEnded("ended by the model") }
            if let closed = listener.answerFinished(atSample: sample, followUp: open.snapshot.configuration.followUp),
               case .closed(_, let reason) = closed {
                return try conversationEnded(reason.rawValue)
            }
            return true
        }

        /// Silences the toy now and lets the cancelled turn record itself; returns how long silencing took.
        func stopTurn() async -> Duration {
            let stopTook = parts.speaker.stop()
            guard let turn = active else { return stopTook }
            active = nil
            turn.task.cancel()
            if var open = conversation {
                open.turns += 1
                conversation = open
            }
            if let report = await Self.finishCancelled(turn) {
                journal.answered(report)
            } else {
                logger.error("the interrupted turn did not finish in time; going on without it")
            }
            return stopTook
        }

        /// The child interrupted (barge-in).
        func interrupt(_ reason: OpenReason, at sample: Int64, phrase: String?) async {
            let stopTook = await stopTurn()
            journal.bargedIn(BargeIn(by: reason, atSample: sample, stopMilliseconds: stopTook.milliseconds))
            logger.info("barge-in", metadata: ["by": "\(reason.rawValue)", "phrase": "\(phrase ?? "")",
                                               "stop_ms": "\(stopTook.milliseconds)"])
        }

        func handle(_ events: [ListenerEvent]) async throws(CubbyError) -> Bool {
            for event in events {
                switch event {
                case .opened(let reason, let sample, let phrase):
                    openConversation(reason, at: sample, phrase: phrase)
                case .bargeIn(let reason, let sample, let phrase):
                    await interrupt(reason, at: sample, phrase: phrase)
                    if conversation == nil { openConversation(reason, at: sample, phrase: phrase) }
                case .utterance(let samples, let start, let end):
                    guard let open = conversation else { continue }
                    logger.debug("utterance", metadata: ["from": "\(start)", "to": "\(end)"])
                    let turn = makeTurn(samples, open)
                    if realtime {
                        let done = DoneFlag()
                        let heartbeat = self.heartbeat
                        active = ActiveTurn(task: Task {
                            defer { done.set() }
                            return await Self.withHeartbeat(heartbeat, turn)
                        }, done: done)
                    } else {
                        let report = await Self.withHeartbeat(heartbeat, turn)
                        if try !turnFinished(report, resumeAt: end) { return false }
                    }
                case .closed(_, let reason):
                    if try !conversationEnded(reason.rawValue) { return false }
                }
            }
            return true
        }

        /// Buttons pressed since the last chunk.
        func handleInputs(at sample: Int64) async throws(CubbyError) -> Bool {
            for input in parts.inputs.drain() {
                logger.info("button", metadata: ["input": "\(input.rawValue)"])
                switch input {
                case .muteButton:
                    buttonMuted.toggle()
                case .talkButton, .touchPad:
                    guard !isMuted(buttonMuted) else { continue }
                    let reason: OpenReason = input == .talkButton ? .talkButton : .touchPad
                    if try await !handle([listener.open(by: reason, atSample: sample)]) { return false }
                }
            }
            return try await applyMute(isMuted(buttonMuted), at: sample)
        }

        func applyMute(_ muted: Bool, at sample: Int64) async throws(CubbyError) -> Bool {
            guard muted != parts.capture.isMuted else { return true }
            parts.capture.setMuted(muted)
            parts.muteLight?.set(muted)
            logger.notice(muted ? "microphone muted" : "microphone unmuted")
            guard muted else { return true }
            if active != nil { _ = await stopTurn() }
            if let closed = listener.closeNow(atSample: sample), case .closed(_, let reason) = closed {
                return try conversationEnded(reason.rawValue)
            }
            return true
        }

        warmPhrases(snapshot)
        let stream = parts.capture.start(depthChunks: realtime ? 500 : Int.max / 2)
        logger.info("listening", metadata: ["persona": "\(snapshot.persona.name)", "wake": "\(wakeSettings.phrases)"])
        if try await !applyMute(isMuted(buttonMuted), at: 0) { return }
        if case .once(waitForWake: false) = mode {
            _ = try await handle([listener.open(by: .talkButton, atSample: 0)])
        }

        var keepGoing = true
        var inputEnded = false
        do {
            for try await chunk in stream.cancelOnGracefulShutdown() {
                heartbeat.beat()
                parts.capture.markConsumed(upTo: chunk.endSample)
                if let turn = active, turn.done.isSet {
                    active = nil
                    keepGoing = try turnFinished(await turn.task.value, resumeAt: chunk.startSample)
                    if !keepGoing { break }
                }
                keepGoing = try await handleInputs(at: chunk.startSample)
                if !keepGoing { break }
                guard !chunk.samples.isEmpty else { continue }
                lastSample = chunk.endSample
                keepGoing = try await handle(try listener.process(chunk))
                if !keepGoing { break }
            }
            inputEnded = keepGoing && !Task.isCancelled && !Task.isShuttingDownGracefully
        } catch let error as CubbyError {
            logger.error("capture failed", metadata: ["error": "\(error)"])
            await shutDown(active, closing: closeConversation)
            throw error
        }
        if inputEnded {
            // The input ended while the toy was answering: let it finish, unless the daemon is being
            // stopped meanwhile (then `shutDown` cancels the turn). A turn is its own task, so the
            // group's cancellation does not reach it: waiting on it directly would hold a SIGTERM.
            if let turn = active, let report = await Self.waitForTurn(turn, heartbeat: heartbeat) {
                active = nil
                _ = try? turnFinished(report, resumeAt: lastSample)
            }
            if active == nil && !Task.isShuttingDownGracefully && !Task.isCancelled {
                _ = try? await handle(listener.finishStream(atSample: lastSample))
                if let turn = active, let report = await Self.waitForTurn(turn, heartbeat: heartbeat) {
                    active = nil
                    _ = try? turnFinished(report, resumeAt: lastSample)
                }
            }
            if mode == .daemon && active == nil {
                logger.notice("the audio input ended; waiting to be stopped")
                await Self.withHeartbeat(heartbeat) { try? await gracefulShutdown() }
            }
        }
        await shutDown(active, closing: closeConversation)
    }

    /// A cancelled turn records itself as interrupted; it gets a second, so that whatever it is stuck in
    /// cannot hold the loop or the daemon's shutdown. Polls rather than awaiting the task, which would
    /// not respond to this task's own cancellation.
    private static func finishCancelled(_ turn: ActiveTurn) async -> TurnReport? {
        let deadline = ContinuousClock.now + .seconds(1)
        while !turn.done.isSet && ContinuousClock.now < deadline {
            // Task.sleep throws at once in a cancelled task; a short blocking pause keeps this from spinning.
            if (try? await Task.sleep(for: .milliseconds(10))) == nil { usleep(10_000) }
        }
        return turn.done.isSet ? await turn.task.value : nil
    }

    /// Waits for a running turn to finish, feeding the watchdog; nil when shutdown began first.
    private static func waitForTurn(_ turn: ActiveTurn, heartbeat: Heartbeat) async -> TurnReport? {
        while !turn.done.isSet {
            if Task.isCancelled || Task.isShuttingDownGracefully { return nil }
            heartbeat.beat()
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await turn.task.value
    }

    private func isMuted(_ buttonMuted: Bool) -> Bool {
        live.current.configuration.muted || buttonMuted
    }

    /// Stops capture, silences the speaker, lets a running turn record itself as interrupted, and closes
    /// whatever conversation was open.
    private func shutDown(_ active: ActiveTurn?, closing closeConversation: (String) -> Void) async {
        parts.capture.stop()
        // Silence now, mid-sentence: a paced speaker would otherwise play the sentence out, past the
        // shutdown deadline.
        parts.speaker.stop()
        if let active {
            active.task.cancel()
            if let report = await Self.finishCancelled(active) {
                journal.answered(report)
            } else {
                logger.error("the interrupted turn did not finish in time; stopping without it")
            }
        }
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
    private static func withHeartbeat<T: Sendable>(_ heartbeat: Heartbeat, _ body: () async throws -> T) async rethrows -> T {
        let pulse = Task {
            while !Task.isCancelled {
                heartbeat.beat()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { pulse.cancel() }
        return try await body()
    }

    static func wakeSettings(_ snapshot: LiveSettings.Snapshot) -> WakeSettings {
        var settings = snapshot.persona.wake
        if let sensitivity = snapshot.configuration.wakeSensitivity { settings.sensitivity = sensitivity }
        settings.verifyNearMisses = snapshot.configuration.verifyNearMisses
        return settings
    }
}

/// Set once by a turn's task when it has finished, read by the capture loop between chunks.
final class DoneFlag: @unchecked Sendable {
    // @unchecked: state behind `lock`.
    private let lock = NSLock()
    private var done = false
    func set() { lock.withLock { done = true } }
    var isSet: Bool { lock.withLock { done } }
}

extension Duration {
    var milliseconds: Int { Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000) }
}
