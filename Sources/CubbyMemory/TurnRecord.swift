import Foundation

/// How a turn ended, as parents see it in the history.
public enum TurnOutcome: String, Sendable, Codable, CaseIterable {
    /// The model answered (possibly with some sentences blocked).
    case answered
    /// No cloud configured or reachable: the persona's offline line was spoken.
    case offline
    /// What the child said was held back on the device and answered locally.
    case heldBack = "held_back"
    /// The daemon was stopped during the turn; what happened so far is kept.
    case interrupted
}

/// One sentence the toy said or was stopped from saying.
public struct SentenceRecord: Sendable, Equatable, Codable {
    public var text: String
    public var spoken: Bool
    /// Set when the safety filter blocked the sentence.
    public var blockedCategory: String?

    public init(text: String, spoken: Bool, blockedCategory: String? = nil) {
        self.text = text
        self.spoken = spoken
        self.blockedCategory = blockedCategory
    }
}

/// One exchange: what the child said and what the toy answered.
public struct TurnRecord: Sendable, Equatable, Codable {
    public var id: Int64?
    public var conversationID: Int64
    public var startedAt: Date
    public var endedAt: Date
    public var childText: String
    public var outcome: TurnOutcome
    public var sentences: [SentenceRecord]
    /// Why the cloud could not be used, when it could not.
    public var failure: String?

    public init(id: Int64? = nil, conversationID: Int64, startedAt: Date, endedAt: Date, childText: String,
                outcome: TurnOutcome, sentences: [SentenceRecord], failure: String? = nil) {
        self.id = id
        self.conversationID = conversationID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.childText = childText
        self.outcome = outcome
        self.sentences = sentences
        self.failure = failure
    }

    /// What the child heard, in order.
    public var toyText: String { sentences.filter(\.spoken).map(\.text).joined(separator: " ") }
}
