import CubbyCore
import CubbyMemory
import CubbySafety
import Logging

/// Hands each event of a reply to the right stage: sentences through the outbound gate and then to the
/// voice, provider audio to the speaker only when an admitted sentence announced it, emotions to the board.
struct ReplyPlayback {
    private var gate: OutboundGate
    private let voice: Voice
    private let providerVoice: Bool
    private let expression: @Sendable (String) -> Void
    private let clock: any CubbyClock
    private let logger: Logger
    /// Audio now arriving belongs to an admitted sentence.
    private var playing = false

    init(gate: OutboundGate, voice: Voice, providerVoice: Bool, expression: @escaping @Sendable (String) -> Void, clock: any CubbyClock,
         logger: Logger) {
        self.clock = clock
        self.gate = gate
        self.voice = voice
        self.providerVoice = providerVoice
        self.expression = expression
        self.logger = logger
    }

    mutating func handle(_ event: ReplyEvent, in turn: inout TurnReport, since start: ContinuousClock.Instant) async -> ReplyControl {
        switch event {
        case .started:
            turn.timings.mark(.firstToken, at: clock.now, since: start)
        case .emotion(let name):
            expression(name)
        case .audio(let samples):
            // Only audio announced by an admitted sentence reaches the speaker.
            guard playing else { return .more }
            do { try voice.play(samples, in: &turn, since: start) } catch {
                logger.error("could not play the reply", metadata: ["error": "\(error)"])
                return .stop
            }
        case .sentence(let text):
            return await admit(text, in: &turn, since: start)
        }
        return .more
    }

    private mutating func admit(_ text: String, in turn: inout TurnReport, since start: ContinuousClock.Instant) async -> ReplyControl {
        switch await gate.admit(text) {
        case .speak(let sentence):
            turn.sentences.append(SentenceRecord(text: sentence, spoken: true))
            if providerVoice {
                playing = true
            } else {
                await voice.say(sentence: sentence, in: &turn, since: start)
            }
            return .more
        case .block(let sentence, let category, let redirect):
            playing = false
            logger.notice("blocked a sentence", metadata: ["category": "\(category.rawValue)"])
            turn.sentences.append(SentenceRecord(text: sentence, spoken: false, blockedCategory: category.rawValue))
            await voice.say(line: redirect, in: &turn, since: start)
            return .stop
        case .drop(let sentence):
            playing = false
            turn.sentences.append(SentenceRecord(text: sentence, spoken: false))
            return .stop
        }
    }
}
