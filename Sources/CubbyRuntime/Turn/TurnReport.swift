import CubbyMemory
import CubbySafety

/// Latencies of one turn, in milliseconds from the end of the child's speech.
public struct TurnTimings: Sendable, Equatable, Codable {
    public var toRequestMs: Int?
    public var toFirstTokenMs: Int?
    public var toFirstAudioMs: Int?

    public init(toRequestMs: Int? = nil, toFirstTokenMs: Int? = nil, toFirstAudioMs: Int? = nil) {
        self.toRequestMs = toRequestMs
        self.toFirstTokenMs = toFirstTokenMs
        self.toFirstAudioMs = toFirstAudioMs
    }

    enum CodingKeys: String, CodingKey {
        case toRequestMs = "end_of_speech_to_request_ms"
        case toFirstTokenMs = "end_of_speech_to_first_token_ms"
        case toFirstAudioMs = "end_of_speech_to_first_audio_ms"
    }

    /// Every key is always present, null when that moment never came (an offline turn sends no request),
    /// so scripts reading `--once` output see a stable shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(toRequestMs, forKey: .toRequestMs)
        try container.encode(toFirstTokenMs, forKey: .toFirstTokenMs)
        try container.encode(toFirstAudioMs, forKey: .toFirstAudioMs)
    }
}

/// What happened in one turn, for the store, the log and `--once`'s JSON. It is also the record each
/// stage of the `TurnPipeline` adds to as the turn goes along: a value, owned by the turn's task.
public struct TurnReport: Sendable {
    public var heard = ""
    public var sentences: [SentenceRecord] = []
    /// `.interrupted` until a stage says how the turn ended.
    public var outcome: TurnOutcome = .interrupted
    public var failure: String?
    public var timings = TurnTimings()
    /// What the safety filter did with the child's words, and why.
    public var inbound: SafetyVerdict?
    /// What left the device of the child's words; nil when nothing did.
    public var sentText: String?
    /// The alert raised for the parents during this turn, if any.
    public var alertCategory: String?
    /// The model asked to end the conversation after this turn (its `end_conversation` tool).
    public var endConversation = false
    /// The scene the child asked for in this turn ("tell me a story"): the conversation is in it from now on.
    public var scene: String?
    /// Some audio reached the speaker: a failure after it leaves an honest partial answer, not the offline line.
    public var spokeAnything = false

    public init() {}

    /// What the toy said aloud, in order.
    public var said: [String] { sentences.filter(\.spoken).map(\.text) }
    /// Sentences held back, with the category that held them.
    public var blocked: [(sentence: String, category: String)] {
        sentences.compactMap { s in s.blockedCategory.map { (s.text, $0) } }
    }
}
