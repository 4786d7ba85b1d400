import CubbySafety
import Logging

/// The first door: what the child said, read by the filter in the light of the toy's last sentence, and
/// by the conversation's memory (running risk, rule-breaking streak). Decides what may leave the device.
struct InboundGate: Sendable {
    var filter: any SafetyFilter
    var safety: ConversationSafety
    var context: SafetyContext
    var logger: Logger

    func review(_ heard: String) -> SafetyVerdict {
        let reading = context.reading(after: safety.lastToySentence)
        let verdict = safety.review(filter.check(heard, direction: .inbound, context: reading), direction: .inbound)
        if verdict.decision == .flag {
            logger.notice("safety filter on the child's words", metadata: [
                "action": "\(verdict.action.rawValue)", "categories": "\(verdict.categories.map(\.rawValue))", "rules": "\(verdict.ruleIDs)"])
        }
        return verdict
    }
}
