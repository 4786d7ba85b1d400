import Foundation

/// The on-device filter: normalises the text, then matches it against the rule set.
///
/// This is the walking skeleton's minimal filter; the safety issue deepens normalisation (full-width
/// forms, traditional Chinese, leetspeak), adds conversation state, age tiers and a classifier.
public struct RuleBasedFilter: SafetyFilter {
    public let rules: RuleSet

    public init(rules: RuleSet) {
        self.rules = rules
    }

    /// Lower case, Unicode compatibility forms folded, runs of white space as one space.
    public static func normalise(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
            .replacingOccurrences(of: "’", with: "'")
        return folded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    public func check(_ text: String, direction: SafetyDirection, context: SafetyContext) -> SafetyVerdict {
        let normalised = Self.normalise(text)
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
