import CubbyCloud
import CubbySafety
import Logging

/// The last door before the speaker, for one reply: each sentence through the on-device filter (with the
/// reply's earlier sentences as context and the conversation's drift), then the optional guard model.
/// Once a sentence is held back the gate stays closed for the rest of the reply.
struct OutboundGate: Sendable {
    private var gate: SentenceGate
    private let safety: ConversationSafety
    private let guardModel: GuardModelClient?
    private let logger: Logger

    init(filter: any SafetyFilter, context: SafetyContext, safety: ConversationSafety, guardModel: GuardModelClient?,
         redirect: @escaping @Sendable (SafetyCategory) -> String, logger: Logger) {
        gate = SentenceGate(filter: filter, context: context, redirect: redirect, review: { safety.review($0, direction: .outbound) })
        self.safety = safety
        self.guardModel = guardModel
        self.logger = logger
    }

    mutating func admit(_ sentence: String) async -> SentenceGate.Outcome {
        var outcome = gate.admit(sentence)
        if case .speak(let text) = outcome, let guardModel, let category = await secondOpinion(text, guardModel: guardModel) {
            outcome = gate.close(sentence: text, category: category)
        }
        if case .speak(let text) = outcome { safety.toySaid(text) }
        return outcome
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
}
