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
    /// What the safety filter did with the child's words ("pass", "redact", "guide", "answer_locally",
    /// "alert", "cool_down"), and why.
    public var inboundAction: String?
    public var inboundCategories: [String] = []
    /// What left the device of the child's words (personal details replaced); nil when nothing did.
    /// Later turns send this, never `childText`, as history.
    public var sentText: String?

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

    /// The safety filter did something with this turn: the child's words were not simply passed on, or a
    /// sentence of the toy's was held back.
    public var wasFlagged: Bool { (inboundAction.map { $0 != "pass" } ?? false) || sentences.contains { $0.blockedCategory != nil } }
}

/// Something a parent must hear about: a child's words that told of harm (abuse, bullying, self-harm,
/// danger), kept with the moment and the excerpt.
public struct AlertRecord: Sendable, Equatable, Codable {
    public var id: Int64?
    public var conversationID: Int64?
    public var raisedAt: Date
    /// The safety category, e.g. "disclosure" or "self_harm".
    public var category: String
    /// The child's words, as heard (kept on the device only).
    public var excerpt: String
    /// The rules that matched, for the parent's "why".
    public var rules: [String]
    /// When a parent marked it seen; nil while new.
    public var seenAt: Date?

    public init(id: Int64? = nil, conversationID: Int64?, raisedAt: Date, category: String, excerpt: String, rules: [String], seenAt: Date? = nil) {
        self.id = id
        self.conversationID = conversationID
        self.raisedAt = raisedAt
        self.category = category
        self.excerpt = excerpt
        self.rules = rules
        self.seenAt = seenAt
    }
}
