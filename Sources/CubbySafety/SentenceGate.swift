/// The last door before the speaker: every sentence the model produced passes here before it is
/// synthesized. A flagged sentence is replaced by the persona's redirect line for its category, and the
/// gate stays closed for the rest of that reply.
public struct SentenceGate: Sendable {
    public enum Outcome: Sendable, Equatable {
        case speak(String)
        /// Never speak `sentence`; speak `redirect` instead and drop the rest of the reply.
        case block(sentence: String, category: SafetyCategory, redirect: String)
        /// An earlier sentence was blocked; this one is dropped unheard.
        case drop(String)
    }

    private let filter: any SafetyFilter
    private let context: SafetyContext
    private let redirect: @Sendable (SafetyCategory) -> String
    private let review: @Sendable (SafetyVerdict) -> SafetyVerdict
    public private(set) var isClosed = false
    /// The sentences of this reply spoken so far: the context the next one is judged in.
    private var admitted: [String] = []
    /// How many earlier sentences the filter sees with the next one.
    static let contextSentences = 2

    /// `review` sees every verdict before it is acted on: the conversation's memory (`SafetySession`)
    /// can flag a sentence that is harmless alone but the last step of a drift.
    public init(filter: any SafetyFilter, context: SafetyContext, redirect: @escaping @Sendable (SafetyCategory) -> String,
                review: @escaping @Sendable (SafetyVerdict) -> SafetyVerdict = { $0 }) {
        self.filter = filter
        self.context = context
        self.redirect = redirect
        self.review = review
    }

    public mutating func admit(_ sentence: String) -> Outcome {
        guard !isClosed else { return .drop(sentence) }
        let before = admitted.isEmpty ? nil : admitted.suffix(Self.contextSentences).joined(separator: " ")
        let verdict = review(filter.check(sentence, direction: .outbound, context: context.reading(after: before)))
        guard verdict.decision == .flag, let category = verdict.primaryCategory else {
            admitted.append(sentence)
            return .speak(sentence)
        }
        return close(sentence: sentence, category: category)
    }

    /// Blocks a sentence that passed the filter but not a later check (the guard model), and closes
    /// the gate for the rest of the reply.
    public mutating func close(sentence: String, category: SafetyCategory) -> Outcome {
        isClosed = true
        return .block(sentence: sentence, category: category, redirect: redirect(category))
    }
}
