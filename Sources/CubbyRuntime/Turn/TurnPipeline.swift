import CubbyAudio
import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyParents
import CubbyPersona
import CubbySafety
import CubbyScenes
import CubbyVoice
import Foundation
import Logging

/// Answers one utterance as a pipeline of small stages, each with one job, passing one value — the
/// `TurnReport` — along:
///
///     admission → provider hears → inbound gate → prompt → provider replies → outbound gate → voice → recorder
///                                       ↘ device answers (redirect, alert, cool-down, offline line)
///                                       ↘ child intents (goodbye, "are you real?", a rule change asked for), memory answers
///
/// `CloudAdmission` decides whether the cloud may be asked; the `ReplyProvider` hears the child and streams
/// the reply; `InboundGate` decides what of the child's words may leave the device; `PromptBuilder` builds
/// what the model reads; `ReplyPlayback` puts each sentence through the `OutboundGate` and gives what passes
/// to the `Voice`; `DeviceAnswers` speaks when the device answers alone; `TurnRecorder` stores the turn in
/// one transaction at its end, also when the turn was cancelled (barge-in, mute, shutdown).
public struct TurnPipeline: Sendable {
    let admission: CloudAdmission
    let inbound: InboundGate
    let prompt: PromptBuilder
    let tools: TurnTools
    /// The outbound gate for a turn; redirects are in the language the child spoke (`heard`).
    let outbound: @Sendable (_ heard: String) -> OutboundGate
    let voice: Voice
    let device: DeviceAnswers
    let remembered: MemoryAnswers
    let intents: ChildIntents
    let recorder: TurnRecorder
    /// The scene the conversation is in, the scenes a child may ask for, and what the parent allows.
    let scene: PersonaScene?
    let scenes: SceneCatalog
    let allowsScene: @Sendable (String) -> Bool
    let expression: @Sendable (String) -> Void
    let clock: any CubbyClock
    let logger: Logger

    /// Everything a turn draws on. `provider` nil answers with the persona's offline lines.
    public struct Parts: Sendable {
        public var persona: Persona
        public var configuration: DaemonConfiguration
        public var provider: (any ReplyProvider)?
        public var filter: any SafetyFilter
        /// The conversation's running risk, rule-breaking streak and cool-down.
        public var safety = ConversationSafety()
        /// The optional second opinion on each sentence the filter let through.
        public var guardModel: GuardModelClient?
        /// A cloud voice for the model's sentences; espeak-ng speaks them when it is nil or fails.
        public var cloudVoice: CloudSpeechClient?
        /// Shared by every turn: a cloud that keeps failing is left alone for a while.
        public var breaker: CircuitBreaker?
        /// Shows an emotion on the board (the model's `express` tool, a xiaozhi `llm` emotion).
        public var expression: @Sendable (String) -> Void = { _ in }
        public var synthesizer: any SpeechSynthesizer
        public var speaker: SpeakerQueue
        public var database: CubbyDatabase
        /// Pre-synthesized fixed lines (offline lines, redirects).
        public var phrases: PhraseCache?
        /// Runs for each parent alert once it is stored (the parent's alert command).
        public var onAlert: @Sendable (AlertRecord) -> Void = { _ in }
        /// Timings, the breaker's and the cool-down's time, and the moments recorded.
        public var clock: any CubbyClock = SystemClock()
        /// The toy's calendar (a learning game's score is kept per day).
        public var calendar: Calendar = .current
        /// The scene the conversation is in; nil is the toy's ordinary chat.
        public var scene: PersonaScene?
        /// Called when a child set a timer (the routine scheduler looks again).
        public var routinesChanged: @Sendable () -> Void = {}

        public init(persona: Persona, configuration: DaemonConfiguration, provider: (any ReplyProvider)?, filter: any SafetyFilter,
                    synthesizer: any SpeechSynthesizer, speaker: SpeakerQueue, database: CubbyDatabase) {
            self.persona = persona
            self.configuration = configuration
            self.provider = provider
            self.filter = filter
            self.synthesizer = synthesizer
            self.speaker = speaker
            self.database = database
        }
    }

    public init(_ parts: Parts, logger: Logger) {
        let context = SafetyAssembly.context(parts.configuration)
        let voice = Voice(persona: parts.persona, synthesizer: parts.synthesizer, speaker: parts.speaker, phrases: parts.phrases,
                          cloudVoice: parts.cloudVoice, clock: parts.clock, logger: logger).inScene(parts.scene)
        let scenes = SceneCatalog(persona: parts.persona)
        scene = parts.scene
        self.scenes = scenes
        let sceneSettings = parts.configuration.scenes
        allowsScene = { sceneSettings.allows($0) }
        admission = CloudAdmission(provider: parts.provider, safety: parts.safety, breaker: parts.breaker, clock: parts.clock)
        inbound = InboundGate(filter: parts.filter, safety: parts.safety, context: context, logger: logger)
        prompt = PromptBuilder(persona: parts.persona, configuration: parts.configuration, database: parts.database, clock: parts.clock,
                               calendar: parts.calendar)
        tools = TurnTools(persona: parts.persona, maxVolume: parts.configuration.maxVolume, speaker: parts.speaker, memories: parts.database.memories,
                          filter: parts.filter, context: context, clock: parts.clock, expression: parts.expression, scene: parts.scene,
                          score: parts.scene?.id == "learning_game" ? .init(settings: parts.database.settings, calendar: parts.calendar) : nil)
        let (filter, safety, guardModel, persona) = (parts.filter, parts.safety, parts.guardModel, parts.persona)
        outbound = { heard in
            let locale = persona.locale(for: heard)
            return OutboundGate(filter: filter, context: context, safety: safety, guardModel: guardModel,
                                redirect: { locale.redirect(for: $0) }, logger: logger)
        }
        self.voice = voice
        remembered = MemoryAnswers(persona: parts.persona, memories: parts.database.memories, filter: parts.filter, context: context, voice: voice)
        intents = ChildIntents(persona: parts.persona, voice: voice, reminders: AIReminders(database: parts.database), clock: parts.clock,
                               routines: parts.database.routines, routinesChanged: parts.routinesChanged, logger: logger)
        var device = DeviceAnswers(persona: parts.persona, voice: voice, alerts: ParentAlerts(alerts: parts.database.alerts, clock: parts.clock, logger: logger, notify: parts.onAlert), logger: logger)
        // Offline, a scene says its own lines (a short story, a counting game) instead of the usual offline ones.
        if let id = parts.scene?.id {
            device.sceneOffline = { locale in scenes.lines(id, locale: locale).offline }
        }
        self.device = device
        recorder = TurnRecorder(conversations: parts.database.conversations, clock: parts.clock, logger: logger)
        clock = parts.clock
        expression = parts.expression
        self.logger = logger
    }

    /// Runs a turn to its end and records it. A cancelled turn (barge-in, mute, shutdown) stops where it
    /// is and is recorded as interrupted, with what was said so far.
    public func run(_ input: TurnInput) async -> TurnReport {
        var turn = await answer(input)
        if Task.isCancelled && turn.outcome != .offline { turn.outcome = .interrupted }
        recorder.record(turn, of: input)
        return turn
    }

    private func answer(_ input: TurnInput) async -> TurnReport {
        var turn = TurnReport()
        switch admission.decide() {
        case .coolingDown:
            await device.coolingDown(input: input, turn: &turn)
        case .unavailable(let reason):
            await device.offline(reason: reason, input: input, turn: &turn)
        case .ask(let provider):
            turn = await ask(provider, input)
            admission.record(turn.outcome)
        }
        return turn
    }

    /// One exchange with the provider. A failure after some of the answer was heard leaves that honest
    /// partial answer; a failure before it, the offline line.
    private func ask(_ provider: any ReplyProvider, _ input: TurnInput) async -> TurnReport {
        let effects = ToolEffects()
        var turn: TurnReport
        var failure: String?
        do {
            (turn, failure) = try await provider.exchange(input.utterance, tools: tools.server(effects: effects)) { exchange in
                await self.converse(exchange, input)
            }
        } catch {
            (turn, failure) = (TurnReport(), "\(error)")
        }
        turn.endConversation = turn.endConversation || effects.endsConversation
        if let failure, !Task.isCancelled {
            logger.warning("the cloud turn failed", metadata: ["provider": "\(provider.name)", "error": "\(failure)"])
            if turn.spokeAnything {
                turn.outcome = .answered
                turn.failure = failure
            } else {
                await device.offline(reason: failure, input: input, turn: &turn)
            }
        }
        return turn
    }

    /// The language code of the persona's locale for what the child said.
    private func persona(_ heard: String) -> String { intents.persona.locale(for: heard).code }

    /// The device's side of an exchange: hear, gate, ask, play. Returns the turn and, when the exchange
    /// failed, why.
    private func converse(_ exchange: any ReplyExchange, _ input: TurnInput) async -> (TurnReport, String?) {
        var turn = TurnReport()
        do {
            let heard = try await exchange.heard()
            turn.heard = heard.text
            turn.timings.mark(.requestSent, at: heard.sentAt, since: input.endOfSpeech)
            logger.info("child said", metadata: ["text": "\(heard.text)"])
            guard !heard.text.isEmpty else {
                turn.outcome = .answered
                await exchange.abort()
                return (turn, nil)
            }
            let verdict = inbound.review(heard.text)
            turn.inbound = verdict
            let intent = ChildIntents.recognise(heard.text)
            // A request to change a parent's rule gets its own kind answer even when the filter would only
            // redirect it; a disclosure or a cool-down is still handled as such.
            if intent == .askingToChangeARule,
               verdict.action.passesOn || (verdict.action == .answerLocally && verdict.primaryCategory == .ruleBreaking) {
                await exchange.abort()
                await intents.answer(.askingToChangeARule, heard: heard.text, input: input, turn: &turn)
                return (turn, nil)
            }
            guard verdict.action.passesOn else {
                await exchange.abort()
                await device.answer(verdict, heard: heard.text, input: input, turn: &turn)
                return (turn, nil)
            }
            // Goodbye, "are you real?", "turn off the time limit": the toy answers itself; the parents' rules never change by voice.
            if let intent {
                await exchange.abort()
                await intents.answer(intent, heard: heard.text, input: input, turn: &turn)
                return (turn, nil)
            }
            // "Tell me a story", "讲个故事": the scene starts with this very answer, if the parent allows it.
            var scene = self.scene
            // At bedtime a request ("tell me a bedtime story") is answered inside bedtime: a child cannot talk the toy out of it.
            if scene?.id != "bedtime", let asked = scenes.requested(in: heard.text), asked != scene?.id, let requested = scenes[asked] {
                guard allowsScene(asked) else {
                    await exchange.abort()
                    logger.notice("the child asked for a scene the parent has not allowed", metadata: ["scene": "\(asked)"])
                    await intents.voice.say(line: BuiltInScenes.notNow(locale: persona(heard.text)), in: &turn, since: input.endOfSpeech)
                    await intents.voice.finish()
                    turn.outcome = .answered
                    turn.sentText = nil
                    return (turn, nil)
                }
                scene = requested
                turn.scene = asked
            }
            // "What do you know about me?" is answered from the store, never by the cloud.
            if MemoryAnswers.isAsking(heard.text) {
                await exchange.abort()
                turn.sentText = nil
                await remembered.answer(heard: heard.text, input: input, turn: &turn)
                return (turn, nil)
            }
            // xiaozhi's server already has the words; the toy's filter still guards what comes back.
            turn.sentText = heard.alreadyLeftTheDevice ? heard.text : verdict.text
            let request = ReplyRequest(text: verdict.text, messages: exchange.wantsPrompt ? prompt.messages(for: verdict.text, verdict: verdict, scene: scene) : [])
            let sceneVoice = scene?.id == self.scene?.id ? voice : voice.inScene(scene)
            var playback = ReplyPlayback(gate: outbound(heard.text), voice: sceneVoice, providerVoice: exchange.bringsItsOwnVoice,
                                         expression: expression, clock: clock, logger: logger)
            try await exchange.reply(to: request) { event in
                await playback.handle(event, in: &turn, since: input.endOfSpeech)
            }
            await sceneVoice.finish()
            if !Task.isCancelled { turn.outcome = .answered }
            return (turn, nil)
        } catch {
            return (turn, Task.isCancelled ? nil : "\(error)")
        }
    }
}
