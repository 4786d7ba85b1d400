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
    public var synthesizer: any SpeechSynthesizer
    public var speaker: SpeakerQueue
    public var store: ConversationStore
    /// Pre-synthesized fixed lines (offline lines, redirects).
    public var phrases: PhraseCache?
    public var logger: Logger

    public init(persona: Persona, configuration: DaemonConfiguration, cloud: OpenAICompatibleClient?, filter: any SafetyFilter,
                synthesizer: any SpeechSynthesizer, speaker: SpeakerQueue, store: ConversationStore, phrases: PhraseCache? = nil,
                logger: Logger) {
        self.phrases = phrases
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
        await answer(utterance: utterance, turnIndex: turnIndex, progress: progress)
        var report = progress.report()
        if Task.isCancelled && report.outcome != .offline { report.outcome = .interrupted }
        guard let conversationID else { return report }
        let record = TurnRecord(conversationID: conversationID, startedAt: startedAt, endedAt: Date(), childText: report.heard,
                                outcome: report.outcome, sentences: report.sentences, failure: report.failure)
        do {
            try store.record(record)
        } catch {
            logger.error("could not record the turn", metadata: ["error": "\(error)"])
        }
        return report
    }

    private func answer(utterance: [Int16], turnIndex: Int, progress: TurnProgress) async {
        guard let cloud else {
            await speakOffline(turnIndex: turnIndex, reason: "no cloud is configured", progress: progress)
            return
        }
        let heard: String
        do {
            progress.markRequestSent()
            let wav = WAVAudio(format: .speech, samples: utterance).encoded()
            heard = try await cloud.transcribe(wav: wav)
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

        let context = SafetyContext(childAge: configuration.childAge)
        let inbound = filter.check(heard, direction: .inbound, context: context)
        if inbound.decision == .flag, let category = inbound.categories.first {
            progress.outcome = .heldBack
            progress.failure = "held back on the device: \(category.rawValue)"
            await speak(persona.redirect(for: category), progress: progress)
            return
        }

        do {
            try await streamReply(to: heard, cloud: cloud, context: context, progress: progress)
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

    private func messages(for heard: String) -> [ChatMessage] {
        var messages = [ChatMessage(role: .system, content: SafetyPreamble.systemPrompt(
            persona: persona, childAge: configuration.childAge, childName: configuration.childName))]
        if configuration.historyTurns > 0, let recent = try? store.recentTurns(limit: configuration.historyTurns) {
            for turn in recent where turn.outcome == .answered && !turn.childText.isEmpty {
                messages.append(ChatMessage(role: .user, content: turn.childText))
                if !turn.toyText.isEmpty { messages.append(ChatMessage(role: .assistant, content: turn.toyText)) }
            }
        }
        messages.append(ChatMessage(role: .user, content: heard))
        return messages
    }

    /// Reads the model's stream on one task and speaks on this one, so synthesis never stalls the socket.
    private func streamReply(to heard: String, cloud: OpenAICompatibleClient, context: SafetyContext, progress: TurnProgress) async throws {
        let (events, continuation) = AsyncThrowingStream<ChatStreamEvent, any Error>.makeStream()
        let messages = messages(for: heard)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await cloud.streamChat(messages: messages) { event in
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            let persona = self.persona
            var gate = SentenceGate(filter: filter, context: context, redirect: { persona.redirect(for: $0) })
            var segmenter = SentenceSegmenter()
            func handle(_ sentence: String) async throws -> Bool {
                switch gate.admit(sentence) {
                case .speak(let text):
                    progress.sentences.append(SentenceRecord(text: text, spoken: true))
                    await speak(text, progress: progress, record: false)
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
                case .finished:
                    continue
                }
            }
            if !gate.isClosed, let last = segmenter.finish() { _ = try await handle(last) }
            // A blocked reply stops here: whatever the model still sends is never heard.
            group.cancelAll()
        }
        try await speaker.waitUntilIdle()
    }

    private func speakOffline(turnIndex: Int, reason: String, progress: TurnProgress) async {
        logger.warning("answering offline", metadata: ["reason": "\(reason)"])
        progress.outcome = .offline
        progress.failure = reason
        await speak(persona.offlineLine(turn: turnIndex), progress: progress)
        try? await speaker.waitUntilIdle()
    }

    /// Synthesizes and queues one line. `record` adds it to the turn's sentences (redirects and offline
    /// lines are recorded here; model sentences by the gate).
    private func speak(_ text: String, progress: TurnProgress, record: Bool = true) async {
        if record { progress.sentences.append(SentenceRecord(text: text, spoken: true)) }
        do {
            let rate = speaker.format.sampleRate
            let samples: [Int16]
            if let cached = phrases?.samples(for: text, voice: persona.voice, rate: rate) {
                samples = cached
            } else {
                let speech = try await synthesizer.synthesize(text, voice: persona.voice)
                samples = try Resampler.convert(speech.samples, from: speech.sampleRate, to: rate)
            }
            progress.markFirstAudio()
            try speaker.enqueue(samples)
            progress.spokeAnything = true
        } catch {
            logger.error("could not speak", metadata: ["error": "\(error)"])
        }
    }
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
    private var timings = TurnTimings()

    init(endOfSpeech: ContinuousClock.Instant) { self.endOfSpeech = endOfSpeech }

    var heard: String { get { lock.withLock { _heard } } set { lock.withLock { _heard = newValue } } }
    var sentences: [SentenceRecord] { get { lock.withLock { _sentences } } set { lock.withLock { _sentences = newValue } } }
    var outcome: TurnOutcome { get { lock.withLock { _outcome } } set { lock.withLock { _outcome = newValue } } }
    var failure: String? { get { lock.withLock { _failure } } set { lock.withLock { _failure = newValue } } }
    var spokeAnything: Bool { get { lock.withLock { _spoke } } set { lock.withLock { _spoke = newValue } } }

    private func elapsed() -> Int { (ContinuousClock.now - endOfSpeech).milliseconds }

    func markRequestSent() { lock.withLock { if timings.toRequestMs == nil { timings.toRequestMs = elapsed() } } }
    func markFirstToken() { lock.withLock { if timings.toFirstTokenMs == nil { timings.toFirstTokenMs = elapsed() } } }
    func markFirstAudio() { lock.withLock { if timings.toFirstAudioMs == nil { timings.toFirstAudioMs = elapsed() } } }

    func report() -> TurnReport {
        lock.withLock { TurnReport(heard: _heard, sentences: _sentences, outcome: _outcome, failure: _failure, timings: timings) }
    }
}
