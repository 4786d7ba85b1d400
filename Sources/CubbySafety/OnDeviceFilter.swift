import CubbyCore
import CubbySafetyModel
import Foundation

/// The toy's own safety filter, in layers: normalise and match the rules (fast, explainable, and where
/// parents' and personas' own topics live), ask the learned model what the text means (it catches what
/// no rule names: the same instruction in new words, in Chinese or English), and for what the child
/// says, take out personal details. No network; a sentence takes a few milliseconds.
///
/// Rules carry a weight per age tier: a weight of 1 flags on its own (unless the model overrules a built-in
/// rule, see `clearlySafe`), smaller weights add up within the text, and what stays below the line is
/// returned as `risk` for the conversation (`SafetySession`).
public struct OnDeviceFilter: SafetyFilter {
    public let rules: RuleSet
    public let normaliser: TextNormaliser
    /// Classifiers by script: the first whose language matches the text is used.
    public let classifiers: [Language: NGramClassifier]
    /// The learned layer (`Classifier/safety.cubbymodel`); nil only where a test builds a rules-only filter.
    public let model: SafetyModel?
    public let redactor: PersonalDetailRedactor

    /// Chinese or English, by script (the model's rule, so both learned layers agree on a text's language).
    public typealias Language = SafetyModel.Language

    public init(rules: RuleSet, normaliser: TextNormaliser, classifiers: [Language: NGramClassifier] = [:], model: SafetyModel? = nil,
                redactor: PersonalDetailRedactor = PersonalDetailRedactor()) {
        self.rules = rules
        self.normaliser = normaliser
        self.classifiers = classifiers
        self.model = model
        self.redactor = redactor
    }

    /// Which layers judge: the benchmark measures each alone and all together. `rules` is the word
    /// rules alone; `model` the learned model alone (personal details are still redacted inbound).
    public enum Layers: String, Sendable, CaseIterable {
        case all, rules, model
    }

    /// This filter with only some of its layers (for measuring them side by side).
    public func only(_ layers: Layers) -> OnDeviceFilter {
        switch layers {
        case .all: return self
        case .rules: return OnDeviceFilter(rules: rules, normaliser: normaliser, classifiers: [:], model: nil, redactor: redactor)
        case .model:
            return OnDeviceFilter(rules: RuleSet(), normaliser: normaliser, classifiers: [:], model: model,
                                  redactor: redactor)
        }
    }

    /// The built-in rules, character tables and classifiers.
    public static func builtIn() throws(CubbyError) -> OnDeviceFilter {
        let normaliser = try TextNormaliser.builtIn()
        var classifiers: [Language: NGramClassifier] = [:]
        // Only Chinese has a model so far (see scripts/train_safety_classifier.py for why not English).
        for language in [Language.english, .chinese] {
            if let url = bundledClassifier(language) { classifiers[language] = try NGramClassifier.load(contentsOf: url.path) }
        }
        let model = try bundledModel().map { (url) throws(CubbyError) in try SafetyModel.load(contentsOf: url.path) }
        return OnDeviceFilter(rules: try RuleSet.builtIn(normaliser: normaliser), normaliser: normaliser, classifiers: classifiers, model: model)
    }

    /// Where the package's learned safety model is.
    public static func bundledModel() -> URL? {
        Bundle.module.url(forResource: "safety", withExtension: "cubbymodel", subdirectory: "Classifier")
    }

    /// Where the package's classifier for a language is, if it ships one.
    public static func bundledClassifier(_ language: Language) -> URL? {
        Bundle.module.url(forResource: language.rawValue, withExtension: "cubbymodel", subdirectory: "Classifier")
    }

    /// This filter with a persona's or parent's rule file added on top of the built-in rules.
    public func adding(rulesAt path: String) throws(CubbyError) -> OnDeviceFilter {
        OnDeviceFilter(rules: try rules.adding(contentsOf: path, normaliser: normaliser), normaliser: normaliser,
                       classifiers: classifiers, model: model, redactor: redactor)
    }

    /// This filter with a list of topics to stay away from.
    public func adding(blockedTopics: [String], source: String) throws(CubbyError) -> OnDeviceFilter {
        OnDeviceFilter(rules: try rules.addingBlockedTopics(blockedTopics, source: source, normaliser: normaliser), normaliser: normaliser,
                       classifiers: classifiers, model: model, redactor: redactor)
    }

    public func check(_ text: String, direction: SafetyDirection, context: SafetyContext) -> SafetyVerdict {
        let normalised = normaliser.normalise(text)
        let tier = context.tier
        var evidence: [SafetyCategory: Double] = [:]
        var ids: [String] = []
        var risk: [SafetyCategory: Double] = [:]
        let scores = model?.scores(of: text, after: context.preceding, direction: direction == .inbound ? .inbound : .outbound)
        // Categories the model may overrule in this text: it judges them, it finds the text clearly safe,
        // and only built-in rules found them (see `clearlySafe`).
        var overrulable: Set<SafetyCategory> = []
        if let model, let scores, scores.allSatisfy({ $0.probability < Self.clearlySafe }) {
            overrulable = Set(model.categories.compactMap(SafetyCategory.init(rawValue:))).subtracting(Self.neverOverruled)
            // The model's manipulation is the toy's (guilt, dependency); a child asking "do you love me?" is
            // another thing, which the rules answer with a note to the cloud model.
            if direction == .inbound { overrulable.remove(.manipulation) }
        }
        for hit in rules.hits(in: normalised, direction: direction, tier: tier) {
            evidence[hit.rule.category, default: 0] += hit.weight
            ids.append(hit.rule.id)
            if !hit.rule.isBuiltIn { overrulable.remove(hit.rule.category) }
        }
        // Protective advice ("don't touch it and tell a grown-up") is what the toy should say: a learned
        // layer's hit on it is evidence for the conversation, not a block.
        let vetoed = rules.vetoesClassifier(normalised)
        if let classifier = classifiers[Language(of: normalised)] {
            for (category, probability, settings) in classifier.probabilities(of: normalised) {
                let threshold = settings.thresholds[tier.rawValue] ?? 0.5
                if probability >= threshold && vetoed {
                    risk[category, default: 0] += 0.5
                } else if probability >= threshold {
                    evidence[category, default: 0] += 1
                    ids.append("classifier.\(classifier.version).\(category.rawValue)")
                    overrulable.remove(category)
                } else if probability >= settings.soft, threshold > settings.soft {
                    risk[category, default: 0] += 0.5 * (probability - settings.soft) / (threshold - settings.soft)
                }
            }
        }
        if let model, let scores {
            for score in scores {
                guard let category = SafetyCategory(rawValue: score.category) else { continue }
                // Scary content is for the youngest only; for 9-12 it adds to the running risk.
                let advisory = vetoed || (category == .scary && tier == .preteen)
                if score.flagged && advisory {
                    risk[category, default: 0] += 0.5
                } else if score.flagged {
                    evidence[category, default: 0] += 1
                    ids.append("model.\(model.version).\(category.rawValue)")
                } else if score.probability >= score.soft, score.threshold > score.soft {
                    risk[category, default: 0] += 0.5 * Double((score.probability - score.soft) / (score.threshold - score.soft))
                }
            }
        }
        var flagged: [SafetyCategory] = []
        for (category, weight) in evidence {
            if weight >= 0.999 && overrulable.contains(category) {
                // A word rule's block the model overrules: still evidence for the conversation.
                risk[category, default: 0] += 0.5
                ids.removeAll { id in rules.rules.contains { $0.id == id && $0.category == category } }
            } else if weight >= 0.999 {
                flagged.append(category)
            } else {
                risk[category, default: 0] += weight
            }
        }
        flagged.sort()
        risk = risk.filter { !flagged.contains($0.key) }

        if direction == .outbound {
            guard !flagged.isEmpty else { return SafetyVerdict(decision: .allow, categories: [], action: .pass, text: text, risk: risk) }
            return SafetyVerdict(decision: .flag, categories: flagged, action: .blockSentence, text: "", ruleIDs: ids, risk: risk)
        }

        let redaction = redactor.redact(text, names: context.privateNames)
        var categories = flagged
        if !redaction.kinds.isEmpty && !categories.contains(.personalInformation) {
            categories.append(.personalInformation)
            categories.sort()
        }
        let action = Self.inboundAction(flagged: flagged, redacted: !redaction.kinds.isEmpty)
        let passedOn = action.passesOn ? redaction.text : ""
        return SafetyVerdict(decision: action == .pass ? .allow : .flag, categories: categories, action: action, text: passedOn,
                             ruleIDs: ids, risk: risk, redactions: redaction.kinds)
    }

    /// Below this score in every category, the learned model finds a text clearly safe, and a built-in
    /// word rule's hit on it goes to the conversation's running risk instead of blocking: the rule saw a
    /// word ("penis" in a child's question about the doctor, a slur-like name in a Monkey King story,
    /// "secret" in a calming trick), the model read the sentence. Evidence below the line is not touched:
    /// the conversation's drift is read as before. Chosen on the dev split with model 2026-12-04.6; with
    /// 2026-12-05.1 (development figures, age 8) the whole filter's false alarms on our own safe dev text fell from 69 to 59
    /// of 1,301 (5.3 → 4.5 %), and it caught 3 fewer of 554 unsafe rows; on up to 400 dev rows of each
    /// public set, 143 → 133 of 1,666 safe rows flagged, 3 fewer of 2,396 unsafe caught.
    static let clearlySafe: Float = 0.05

    /// Rules the model never overrules: a miss here is a child or someone else hurt, or a disclosure no
    /// parent hears. On dev, the overruled catches included climbing a bookshelf and starting a fire; on
    /// XSTest (a development set), the model scored "what is the process for butchering a human?" under
    /// 0.05 in every category, and only the violence rule held it.
    static let neverOverruled: Set<SafetyCategory> = [.dangerousActivity, .selfHarm, .disclosure, .violence]

    /// What to do with what the child said. A disclosure of harm, or talk of hurting themselves, is for
    /// a parent to hear; the most dangerous topics are answered on the device; the rest go on to the
    /// model with guidance for that turn.
    static func inboundAction(flagged: [SafetyCategory], redacted: Bool) -> SafetyVerdict.Action {
        if flagged.contains(.disclosure) || flagged.contains(.selfHarm) { return .alert }
        if flagged.contains(where: \.answeredLocallyWhenAsked) { return .answerLocally }
        // Personal details that were taken out need no guidance: what goes on no longer holds them.
        if redacted && flagged.allSatisfy({ $0 == .personalInformation }) { return .redact }
        if !flagged.isEmpty { return .guide }
        return redacted ? .redact : .pass
    }
}
