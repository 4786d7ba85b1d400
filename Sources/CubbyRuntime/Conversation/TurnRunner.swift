import CubbyAudio
import CubbyCloud
import CubbyCore
import CubbyMemory
import CubbyPersona
import CubbySafety
import CubbyVoice
import Foundation
import Logging

/// Answers one utterance: transcribe it, ask the model, and speak the reply sentence by sentence, each
/// sentence through the safety gate first. When the cloud cannot help, the persona's offline line is
/// spoken instead, so the toy never goes silent. The whole turn is recorded in one transaction at its end,
/// also when the daemon is stopped mid-turn.
public struct TurnRunner: Sendable {
    public var persona: Persona
    public var configuration: DaemonConfiguration
    public var cloud: OpenAICompatibleClient?
    public var filter: any SafetyFilter
    /// The conversation's running risk, rule-breaking streak and cool-down.
    public var safety: ConversationSafety
    /// The optional second opinion on each sentence the filter let through.
    public var guardModel: GuardModelClient?
    /// A cloud voice for the model's sentences; espeak-ng speaks them when it is nil or fails.
    public var cloudVoice: CloudSpeechClient?
    /// Retries for the steps that are safe to repeat.
    public var retry = RetryPolicy()
    /// Shared by every turn: a cloud that keeps failing is left alone for a while.
    public var breaker: CircuitBreaker?
    /// Shows an emotion on the board (the model's `express` tool, a xiaozhi `llm` emotion).
    public var expression: @Sendable (String) -> Void = { _ in }
    public var synthesizer: any SpeechSynthesizer
    public var speaker: SpeakerQueue
    public var store: ConversationStore
    /// Pre-synthesized fixed lines (offline lines, redirects).
    public var phrases: PhraseCache?
    public var logger: Logger

    public init(persona: Persona, configuration: DaemonConfiguration, cloud: OpenAICompatibleClient?, filter: any SafetyFilter,
                safety: ConversationSafety = ConversationSafety(), guardModel: GuardModelClient? = nil,
                synthesizer: any SpeechSynthesizer, speaker: SpeakerQueue, store: ConversationStore, phrases: PhraseCache? = nil,
                logger: Logger) {
        self.phrases = phrases
        self.safety = safety
        self.guardModel = guardModel
        self.persona = persona
        self.configuration = configuration
        self.cloud = cloud
        self.filter = filter
        self.synthesizer = synthesizer
        self.speaker = speaker
        self.store = store
        self.logger = logger
    }

    /// Runs a turn. `endOfSpeech` is when the endpointer decided the child had finished.
    /// `conversationID` is nil when the conversation could not be recorded (a full disk): the turn is
    /// answered and reported but not stored.
    public func run(utterance: [Int16], conversationID: Int64?, turnIndex: Int, endOfSpeech: ContinuousClock.Instant) async -> TurnReport {
        let startedAt = Date()
        let progress = TurnProgress(endOfSpeech: endOfSpeech)
        await answer(utterance: utterance, turnIndex: turnIndex, conversationID: conversationID, progress: progress)
        var report = progress.report()
        if Task.isCancelled && report.outcome != .offline { report.outcome = .interrupted }
        guard let conversationID else { return report }
        var record = TurnRecord(conversationID: conversationID, startedAt: startedAt, endedAt: Date(), childText: report.heard,
                                outcome: report.outcome, sentences: report.sentences, failure: report.failure)
        record.inboundAction = report.inbound?.action.rawValue
        record.inboundCategories = report.inbound?.categories.map(\.rawValue) ?? []
        record.sentText = report.sentText
        do {
            try store.record(record)
        } catch {
            logger.error("could not record the turn", metadata: ["error": "\(error)"])
        }
        return report
    }

    private func answer(utterance: [Int16], turnIndex: Int, conversationID: Int64?, progress: TurnProgress) async {
        // On a break: nothing goes to the cloud, not even the audio, until the cool-down ends.
        if safety.isCoolingDown {
            progress.outcome = .heldBack
            progress.failure = "cooling down after repeated attempts to break the rules"
            await speak(persona.coolDownLine, progress: progress)
            try? await speaker.waitUntilIdle()
            return
        }
        if configuration.xiaozhi != nil || cloud != nil, let breaker, !breaker.allowsRequest() {
            await speakOffline(turnIndex: turnIndex, reason: "the cloud failed repeatedly; trying it again later", progress: progress)
            return
        }
        if let xiaozhi = configuration.xiaozhi {
            await answerViaXiaozhi(xiaozhi, utterance: utterance, turnIndex: turnIndex, conversationID: conversationID, progress: progress)
            recordCloudOutcome(progress)
            return
        }
        guard let cloud else {
            await speakOffline(turnIndex: turnIndex, reason: "no cloud is configured", progress: progress)
            return
        }
        defer { recordCloudOutcome(progress) }
        let heard: String
        do {
            let wav = WAVAudio(format: .speech, samples: utterance).encoded()
            // Marked once the upload is built and handed to the HTTP client: what the device itself took.
            progress.markRequestSent()
            heard = try await retry.run({ () throws(CubbyError) in try await cloud.transcribe(wav: wav) },
                                        onRetry: { error, attempt in logger.notice("retrying the transcription", metadata: ["error": "\(error)", "attempt": "\(attempt)"]) })
            progress.heard = heard
        } catch {
            await speakOffline(turnIndex: turnIndex, reason: "\(error)", progress: progress)
            return
        }
        logger.info("child said", metadata: ["text": "\(heard)"])
        guard !heard.isEmpty else {
            progress.outcome = .answered
            return
        }

        let context = SafetyAssembly.context(configuration)
        let inbound = safety.review(filter.check(heard, direction: .inbound, context: context.reading(after: safety.lastToySentence)),
                                    direction: .inbound)
        progress.inbound = inbound
        if inbound.decision == .flag {
            logger.notice("safety filter on the child's words", metadata: [
                "action": "\(inbound.action.rawValue)", "categories": "\(inbound.categories.map(\.rawValue))", "rules": "\(inbound.ruleIDs)"])
        }
        if await answeredOnDevice(inbound, heard: heard, conversationID: conversationID, progress: progress) { return }
        progress.sentText = inbound.text

        do {
            let guidance = inbound.action == .guide ? SafetyGuidance.forTurn(inbound.categories, childAge: configuration.childAge) : nil
            try await streamReply(to: inbound.text, guidance: guidance, cloud: cloud, context: context, progress: progress)
            progress.outcome = .answered
        } catch {
            if Task.isCancelled { return }
            logger.warning("cloud turn failed", metadata: ["error": "\(error)"])
            if progress.spokeAnything {
                progress.outcome = .answered
                progress.failure = "\(error)"
            } else {
                await speakOffline(turnIndex: turnIndex, reason: "\(error)", progress: progress)
            }
        }
    }

    /// Acts on what the filter decided about the child's words. Returns true when the turn ends on the
    /// device (a local answer, a parent alert, a cool-down) and nothing more may go to the cloud; both
    /// providers use this, so the child meets the same toy whichever cloud is behind it.
    func answeredOnDevice(_ inbound: SafetyVerdict, heard: String, conversationID: Int64?, progress: TurnProgress) async -> Bool {
        switch inbound.action {
        case .pass, .redact, .guide:
            return false
        case .alert:
            raiseAlert(for: inbound, heard: heard, conversationID: conversationID, progress: progress)
            await answerLocally(inbound, progress: progress)
        case .answerLocally, .blockSentence:
            await answerLocally(inbound, progress: progress)
        case .coolDown:
            progress.outcome = .heldBack
            progress.failure = "cool-down started after repeated attempts to break the rules"
            await speak(persona.redirect(for: .ruleBreaking), progress: progress)
            await speak(persona.coolDownLine, progress: progress)
            try? await speaker.waitUntilIdle()
        }
        return true
    }

    /// The child's words stay on the device; the persona answers for the most serious category.
    private func answerLocally(_ verdict: SafetyVerdict, progress: TurnProgress) async {
        progress.outcome = .heldBack
        let category = verdict.primaryCategory ?? .ruleBreaking
        progress.failure = "held back on the device: \(category.rawValue)"
        await speak(persona.redirect(for: category), progress: progress)
        try? await speaker.waitUntilIdle()
    }

    /// A disclosure of harm: kept for the parents with the words and the time, whatever else happens.
    func raiseAlert(for verdict: SafetyVerdict, heard: String, conversationID: Int64?, progress: TurnProgress) {
        let category = verdict.primaryCategory ?? .disclosure
        progress.alertCategory = category.rawValue
        logger.warning("parent alert: the child may need help", metadata: ["category": "\(category.rawValue)"])
        do {
            try store.raise(AlertRecord(conversationID: conversationID, raisedAt: Date(), category: category.rawValue,
                                        excerpt: String(heard.prefix(500)), rules: verdict.ruleIDs))
        } catch {
            logger.error("could not record the parent alert", metadata: ["error": "\(error)"])
        }
    }

    private func messages(for text: String, guidance: String?) -> [ChatMessage] {
        var preamble = SafetyPreamble.systemPrompt(
            persona: persona, childAge: configuration.childAge, childName: configuration.childName,
            blockedTopics: persona.blockedTopics + configuration.safety.blockedTopics)
        if let remembered = try? store.memories(limit: 20), !remembered.isEmpty {
            preamble += "\n\nWhat the child told you in earlier conversations:\n" + remembered.map { "- \($0)" }.joined(separator: "\n")
        }
        let system = ChatMessage(role: .system, content: preamble)
        var exchanges: [[ChatMessage]] = []
        if configuration.historyTurns > 0, let recent = try? store.recentTurns(limit: configuration.historyTurns) {
            for turn in recent where turn.outcome == .answered {
                // Only what left the device before goes again: redacted, and never a held-back request.
                guard let sent = turn.sentText, !sent.isEmpty else { continue }
                var exchange = [ChatMessage(role: .user, content: sent)]
                if !turn.toyText.isEmpty { exchange.append(ChatMessage(role: .assistant, content: turn.toyText)) }
                exchanges.append(exchange)
            }
        }
        let tail = (guidance.map { [ChatMessage(role: .system, content: $0)] } ?? []) + [ChatMessage(role: .user, content: text)]
        return PromptBudget.fit(system: system, history: exchanges, tail: tail, budget: configuration.promptTokenBudget)
    }

    /// Reads the model's stream on one task and speaks on this one, so synthesis never stalls the socket.
    /// When the model calls the toy's tools, they run and the answer continues in a second request (at
    /// most three rounds); what was said before the call stays said.
    private func streamReply(to text: String, guidance: String?, cloud: OpenAICompatibleClient, context: SafetyContext,
                             progress: TurnProgress) async throws {
        var messages = messages(for: text, guidance: guidance)
        let tools = DeviceTools.server(speaker: speaker, maxVolume: configuration.maxVolume, allowed: persona.allowedTools,
                                       memory: memoryForTools(context: context), express: expression,
                                       endConversation: { progress.endConversation = true })
        let persona = self.persona
        let safety = self.safety
        var gate = SentenceGate(filter: filter, context: context, redirect: { persona.redirect(for: $0) },
                                review: { safety.review($0, direction: .outbound) })
        for round in 0..<3 {
            let calls = try await streamRound(messages: messages, tools: round < 2 ? tools.chatTools : [], cloud: cloud, gate: &gate,
                                              progress: progress)
            guard !calls.isEmpty, !gate.isClosed else { break }
            messages.append(ChatMessage(role: .assistant, content: "", toolCalls: calls))
            for call in calls {
                let result: String
                if let name = tools.toolName(forChatName: call.name) {
                    switch await tools.call(name, arguments: Data(call.arguments.utf8)) {
                    case .success(let text): result = text
                    case .failure(let problem): result = "error: \(problem.message)"
                    }
                } else {
                    result = "error: no tool named \(call.name)"
                }
                logger.info("the model used a tool", metadata: ["tool": "\(call.name)", "result": "\(result)"])
                messages.append(ChatMessage(role: .tool, content: result, toolCallID: call.id))
            }
        }
        try await speaker.waitUntilIdle()
    }

    /// One streamed request: speaks admitted sentences as they complete; returns the tool calls the
    /// model made, if it made any.
    private func streamRound(messages: [ChatMessage], tools: [DeviceTool], cloud: OpenAICompatibleClient, gate: inout SentenceGate,
                             progress: TurnProgress) async throws -> [ToolCall] {
        let (events, continuation) = AsyncThrowingStream<ChatStreamEvent, any Error>.makeStream()
        var gateCopy = gate
        defer { gate = gateCopy }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let (retry, logger) = (self.retry, self.logger)
            group.addTask {
                let started = StartedFlag()
                do {
                    // Asking again is safe only while nothing of the answer has arrived.
                    try await retry.run({ () throws(CubbyError) in
                        try await cloud.streamChat(messages: messages, tools: tools) { event in
                            started.set()
                            continuation.yield(event)
                        }
                    }, shouldRetry: { $0.isTransient && !started.isSet },
                       onRetry: { error, attempt in logger.notice("retrying the chat request", metadata: ["error": "\(error)", "attempt": "\(attempt)"]) })
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            var segmenter = SentenceSegmenter()
            var calls = ToolCallAccumulator()
            func handle(_ sentence: String) async throws -> Bool {
                var outcome = gateCopy.admit(sentence)
                if case .speak(let text) = outcome, let guardModel, let category = await secondOpinion(text, guardModel: guardModel) {
                    outcome = gateCopy.close(sentence: text, category: category)
                }
                switch outcome {
                case .speak(let text):
                    safety.toySaid(text)
                    progress.sentences.append(SentenceRecord(text: text, spoken: true))
                    await speak(text, progress: progress, record: false, cloudVoice: cloudVoice)
                    return true
                case .block(let text, let category, let redirect):
                    logger.notice("blocked a sentence", metadata: ["category": "\(category.rawValue)"])
                    progress.sentences.append(SentenceRecord(text: text, spoken: false, blockedCategory: category.rawValue))
                    await speak(redirect, progress: progress)
                    return false
                case .drop(let text):
                    progress.sentences.append(SentenceRecord(text: text, spoken: false))
                    return false
                }
            }
            streaming: for try await event in events {
                switch event {
                case .text(let delta):
                    progress.markFirstToken()
                    for sentence in segmenter.append(delta) where try await !handle(sentence) {
                        break streaming
                    }
                case .toolCall(let index, let id, let name, let arguments):
                    progress.markFirstToken()
                    calls.add(index: index, id: id, name: name, arguments: arguments)
                case .finished:
                    continue
                }
            }
            if !gateCopy.isClosed, let last = segmenter.finish() { _ = try await handle(last) }
            // A blocked reply stops here: whatever the model still sends is never heard.
            group.cancelAll()
            return gateCopy.isClosed ? [] : calls.toolCalls
        }
    }

    /// The guard model's view of a sentence the device let through: the category to block it under, or
    /// nil to speak it. Slow or failing guards follow the parent's `on_failure` setting.
    private func secondOpinion(_ sentence: String, guardModel: GuardModelClient) async -> SafetyCategory? {
        do {
            switch try await guardModel.review(sentence) {
            case .safe:
                return nil
            case .unsafe(let labels):
                logger.notice("the guard model flagged a sentence", metadata: ["labels": "\(labels)"])
                return SafetyGuidance.category(forGuardLabels: labels)
            }
        } catch {
            logger.warning("the guard model did not answer in time", metadata: ["error": "\(error)", "policy": "\(guardModel.settings.onFailure.rawValue)"])
            return guardModel.settings.onFailure == .block ? .ruleBreaking : nil
        }
    }

    func speakOffline(turnIndex: Int, reason: String, progress: TurnProgress) async {
        logger.warning("answering offline", metadata: ["reason": "\(reason)"])
        progress.outcome = .offline
        progress.failure = reason
        await speak(persona.offlineLine(turn: turnIndex), progress: progress)
        try? await speaker.waitUntilIdle()
    }

    /// Synthesizes and queues one line. `record` adds it to the turn's sentences (redirects and offline
    /// lines are recorded here; model sentences by the gate).
    func speak(_ text: String, progress: TurnProgress, record: Bool = true, cloudVoice: CloudSpeechClient? = nil) async {
        if record { progress.sentences.append(SentenceRecord(text: text, spoken: true)) }
        do {
            let rate = speaker.format.sampleRate
            var samples: [Int16]?
            if let cached = phrases?.samples(for: text, voice: persona.voice, rate: rate) {
                samples = cached
            } else if let cloudVoice {
                // Played as it arrives. If the voice fails before any audio, the toy says the sentence in its
                // own voice rather than not at all; after some audio, the rest of that sentence is dropped.
                let resampler = try Resampler(from: CloudSpeechSettings.pcmSampleRate, to: rate)
                let speaker = self.speaker
                let started = StartedFlag()
                do {
                    try await cloudVoice.stream(text) { chunk in
                        let converted = resampler.process(chunk)
                        if !started.isSet { progress.markFirstAudio() }
                        started.set()
                        try speaker.enqueue(converted)
                    }
                    if started.isSet {
                        progress.spokeAnything = true
                        return
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("the cloud voice failed", metadata: ["error": "\(error)", "fallback": "\(started.isSet ? "none" : "espeak-ng")"])
                    if started.isSet {
                        progress.spokeAnything = true
                        return
                    }
                }
            }
            if samples == nil {
                let speech = try await synthesizer.synthesize(text, voice: persona.voice)
                samples = try Resampler.convert(speech.samples, from: speech.sampleRate, to: rate)
            }
            progress.markFirstAudio()
            try speaker.enqueue(samples ?? [])
            progress.spokeAnything = true
        } catch {
            logger.error("could not speak", metadata: ["error": "\(error)"])
        }
    }

}

extension TurnRunner {
    /// What the model may keep about the child: only what the filter passes untouched. A fact with
    /// personal details in it (an address, a school) or anything flagged is refused, not kept redacted.
    func memoryForTools(context: SafetyContext) -> DeviceTools.Memory {
        let filter = self.filter
        return DeviceTools.Memory(store: store) { fact in
            let verdict = filter.check(fact, direction: .inbound, context: context)
            guard verdict.decision == .allow else {
                return .failure(.init(verdict.redactions.isEmpty
                    ? "not kept: \(verdict.categories.map(\.rawValue).joined(separator: ", ")) is not something to remember"
                    : "not kept: personal details like \(verdict.redactions.joined(separator: ", ")) stay with the family"))
            }
            return .success(fact)
        }
    }

    /// A turn that reached the cloud and had to fall back to the offline line counts against it.
    func recordCloudOutcome(_ progress: TurnProgress) {
        guard let breaker, !Task.isCancelled else { return }
        if progress.outcome == .offline { breaker.recordFailure() } else { breaker.recordSuccess() }
    }
}

/// Whether any of a streamed answer has arrived (set from the stream's callback).
final class StartedFlag: @unchecked Sendable {
    // @unchecked: `value` is read and written under `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// The mutable record of a turn in progress, shared with the streaming callbacks.
final class TurnProgress: @unchecked Sendable {
    // @unchecked: every property is read and written under `lock`.
    private let lock = NSLock()
    private let endOfSpeech: ContinuousClock.Instant
    private var _heard = ""
    private var _sentences: [SentenceRecord] = []
    private var _outcome: TurnOutcome = .interrupted
    private var _failure: String?
    private var _spoke = false
    private var _inbound: SafetyVerdict?
    private var _sentText: String?
    private var _alertCategory: String?
    private var _endConversation = false
    private var timings = TurnTimings()

    init(endOfSpeech: ContinuousClock.Instant) { self.endOfSpeech = endOfSpeech }

    var heard: String { get { lock.withLock { _heard } } set { lock.withLock { _heard = newValue } } }
    var sentences: [SentenceRecord] { get { lock.withLock { _sentences } } set { lock.withLock { _sentences = newValue } } }
    var outcome: TurnOutcome { get { lock.withLock { _outcome } } set { lock.withLock { _outcome = newValue } } }
    var failure: String? { get { lock.withLock { _failure } } set { lock.withLock { _failure = newValue } } }
    var spokeAnything: Bool { get { lock.withLock { _spoke } } set { lock.withLock { _spoke = newValue } } }
    var inbound: SafetyVerdict? { get { lock.withLock { _inbound } } set { lock.withLock { _inbound = newValue } } }
    var sentText: String? { get { lock.withLock { _sentText } } set { lock.withLock { _sentText = newValue } } }
    var alertCategory: String? { get { lock.withLock { _alertCategory } } set { lock.withLock { _alertCategory = newValue } } }
    var endConversation: Bool { get { lock.withLock { _endConversation } } set { lock.withLock { _endConversation = newValue } } }

    private func elapsed() -> Int { (ContinuousClock.now - endOfSpeech).milliseconds }

    func markRequestSent() { lock.withLock { if timings.toRequestMs == nil { timings.toRequestMs = elapsed() } } }
    func markFirstToken() { lock.withLock { if timings.toFirstTokenMs == nil { timings.toFirstTokenMs = elapsed() } } }
    func markFirstAudio() { lock.withLock { if timings.toFirstAudioMs == nil { timings.toFirstAudioMs = elapsed() } } }

    func report() -> TurnReport {
        lock.withLock {
            TurnReport(heard: _heard, sentences: _sentences, outcome: _outcome, failure: _failure, timings: timings, inbound: _inbound,
                       sentText: _sentText, alertCategory: _alertCategory, endConversation: _endConversation)
        }
    }
}
