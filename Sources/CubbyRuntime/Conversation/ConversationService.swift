import AsyncAlgorithms
import CubbyAudio
import CubbyCloud
import CubbyCore
import CubbyHardware
import CubbyMemory
import CubbyRoutines
import CubbySafety
import CubbyVoice
import Foundation
import Logging
import ServiceLifecycle

/// The daemon's conversation: microphone → front end → wake word → utterance → turn → speaker, one
/// conversation at a time.
///
/// Its events come through one channel, `inbox`, in order: audio chunks and the input's end from the
/// `CaptureService`, presses from the `BoardInputService`, and finished turns from the `TurnSupervisor`,
/// which runs turns as child tasks so the child can interrupt while the toy speaks. The
/// `ConversationLoop` takes them one at a time; the wake engine decodes on its own thread (`WakeSpotter`).
/// From a file at full speed (`--once` without `--realtime`) turns run inline instead: there is no
/// "meanwhile".
public final class ConversationService: Service, Sendable {
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
        public var database: CubbyDatabase
        public var light: any Indicator
        public var muteLight: (any Indicator)?
        public var synthesizer: any SpeechSynthesizer
        public var phrases = PhraseCache()
        public var inputs = InputInbox()
        /// Where expressions (the model's emotions) go on the board.
        public var events: BoardEventLog?
        /// Everything the conversation times: turns, cool-downs, the breaker, what is recorded when.
        public var clock: any CubbyClock = SystemClock()
        /// The toy's calendar: when a day starts for the daily limit, and when quiet hours are.
        public var calendar: Calendar = .current
        /// The loudest the board's speaker may play (`[audio] max_volume` in board.toml): no setting goes above it.
        public var boardMaximumVolume = 100
        /// The board's motors, for the model's emotions while it speaks (and touch reactions).
        var body: BodyMotion?
        /// The persona's sounds: touch reactions when idle, emotions between the reply's sentences.
        var sounds: PersonaSounds?
        /// Whether a conversation is open, for the toy's idle life.
        var activity = ConversationActivity()
        /// The wake engine on its own thread; nil when nothing listens for the wake phrase.
        public var wake: WakeSpotter?

        public init(capture: CaptureThread, speaker: SpeakerQueue, database: CubbyDatabase, light: any Indicator,
                    synthesizer: any SpeechSynthesizer) {
            self.capture = capture
            self.speaker = speaker
            self.database = database
            self.light = light
            self.synthesizer = synthesizer
        }
    }

    let parts: Parts
    let live: LiveSettings
    let mode: Mode
    /// Audio arrives at real-time pace (a microphone, or `--realtime`): turns run beside capture.
    let realtime: Bool
    let heartbeat: Heartbeat
    /// Signalled once capture runs with the wake engine in place: the toy can really listen.
    let readiness: Latch
    let journal: ConversationJournal
    let logger: Logger
    /// Risk, rule-breaking streak and cool-down: for the daemon's lifetime, since a cool-down must
    /// outlast the conversation that started it.
    let safety: ConversationSafety
    /// One breaker for the daemon: after three failed turns in a row the cloud is left alone for 30 s.
    let breaker = CircuitBreaker()

    /// Where every source's events arrive; the capture service sends into it.
    let inbox: AsyncChannel<ConversationEvent>
    /// Rung when a child sets a timer, so the routine scheduler looks again.
    let routinesChanged: Doorbell

    init(parts: Parts, live: LiveSettings, mode: Mode, realtime: Bool, heartbeat: Heartbeat, readiness: Latch = Latch(),
         inbox: AsyncChannel<ConversationEvent>, routinesChanged: Doorbell = Doorbell(), journal: ConversationJournal, logger: Logger) {
        self.inbox = inbox
        self.routinesChanged = routinesChanged
        self.parts = parts
        safety = ConversationSafety(clock: parts.clock)
        self.live = live
        self.mode = mode
        self.realtime = realtime
        self.heartbeat = heartbeat
        self.readiness = readiness
        self.journal = journal
        self.logger = logger
    }

    public func run() async throws {
        if let closed = try? parts.database.conversations.closeDangling(at: parts.clock.date), closed > 0 {
            logger.notice("closed conversations left open by an earlier run", metadata: ["count": "\(closed)"])
        }
        let events = inbox
        let supervisor = TurnSupervisor()
        let loop = ConversationLoop(service: self, supervisor: supervisor)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await supervisor.run { handle in await events.send(.turnEnded(handle)) } }
            defer {
                // Whatever way the loop ended, the supervisor ends too, and a sender still waiting returns at once.
                parts.capture.stop()
                supervisor.finish()
                events.finish()
            }
            try await loop.run(events)
        }
    }
}

/// What the conversation loop reacts to, from every source, in the order it happened.
enum ConversationEvent: Sendable {
    case audio(AudioChunk)
    /// A control on the board was pressed.
    case pressed(BoardInput)
    case inputEnded
    case captureFailed(CubbyError)
    /// A turn running beside capture has its report ready.
    case turnEnded(TurnHandle)
    /// A routine's moment came (the scheduler).
    case routineDue(RoutinePlanner.Due)
    /// A parent started a scene (the control channel).
    case sceneStarted(String)
}

extension Duration {
    var milliseconds: Int { Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000) }
}
