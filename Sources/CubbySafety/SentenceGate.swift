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
    public private(set) var isClosed = false

    public init(filter: any SafetyFilter, context: SafetyContext, redirect: @escaping @Sendable (SafetyCategory) -> String) {
        self.filter = filter
        self.context = context
        self.redirect = redirect
    }

    public mutating func admit(_ sentence: String) -> Outcome {
        guard !isClosed else { return .drop(sentence) }
        let verdict = filter.check(sentence, direction: .outbound, context: context)
        guard verdict.decision == .flag, let category = verdict.categories.first else { return .speak(sentence) }
        isClosed = true
        return .block(sentence: sentence, category: category, redirect: redirect(category))
    }
}
