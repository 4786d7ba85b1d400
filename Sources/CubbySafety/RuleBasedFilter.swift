import CubbyCore
import Foundation

/// The on-device filter: normalises the text, then matches it against the rule set.
///
/// The rule set is still the walking skeleton's minimal one; the safety issue adds the categories' rules in
/// English and Chinese, conversation state, age tiers and a classifier on top of this normaliser.
public struct RuleBasedFilter: SafetyFilter {
    public let rules: RuleSet
    public let normaliser: TextNormaliser

    public init(rules: RuleSet, normaliser: TextNormaliser) {
        self.rules = rules
        self.normaliser = normaliser
    }

    /// The built-in rules and character tables.
    public static func builtIn() throws(CubbyError) -> RuleBasedFilter {
        RuleBasedFilter(rules: try RuleSet.builtIn(), normaliser: try TextNormaliser.builtIn())
    }

    public func check(_ text: String, direction: SafetyDirection, context: SafetyContext) -> SafetyVerdict {
        let normalised = normaliser.normalise(text)
        let range = NSRange(normalised.startIndex..., in: normalised)
        var categories: [SafetyCategory] = []
        var ids: [String] = []
        for rule in rules.rules where rule.directions.contains(direction) {
            guard rule.patterns.contains(where: { $0.firstMatch(in: normalised, range: range) != nil }) else { continue }
            if rule.unless.contains(where: { $0.firstMatch(in: normalised, range: range) != nil }) { continue }
            if !categories.contains(rule.category) { categories.append(rule.category) }
            ids.append(rule.id)
        }
        guard !categories.isEmpty else { return .allow(text) }
        let action: SafetyVerdict.Action = direction == .outbound ? .blockSentence : .answerLocally
        return SafetyVerdict(decision: .flag, categories: categories.sorted(), action: action, text: "", ruleIDs: ids)
    }
}
