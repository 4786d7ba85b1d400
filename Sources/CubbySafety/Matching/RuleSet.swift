import CubbyCore
import Foundation

/// A versioned set of matching rules loaded from JSON data files.
///
/// Rules are data so that they can be reviewed, versioned and extended by persona packs and parents
/// without a new build. The built-in files ship inside the package (`Rules/*.json`); added sets can
/// only add rules, never replace or remove a built-in one (`adding(_:)`).
///
/// A rule fires when one of its `terms` is in the text (found by one shared `TermIndex` pass), then, if
/// it has `patterns`, when one of them also matches, unless one of its `unless` patterns does (protective
/// advice such as "never play with matches"). Patterns may name a lexicon as `{name}`.
public struct RuleSet: Sendable {
    public struct Rule: Sendable {
        public var id: String
        public var category: SafetyCategory
        public var directions: Set<SafetyDirection>
        /// How much one match counts, per age tier. 1 flags on its own (unless the model overrules a
        /// built-in rule, `OnDeviceFilter.clearlySafe`); less is evidence that adds up
        /// within a sentence and across a conversation. Absent tiers: the rule does not apply.
        public var weights: [AgeTier: Double]
        var termIDs: [Int]
        /// Regular expressions over normalised text (lower case, simplified Chinese, single spaces).
        public var patterns: [NSRegularExpression]
        public var unless: [NSRegularExpression]
        /// Each distinct term found counts its weight (capped at 1), instead of the rule counting once.
        public var perTerm: Bool
        /// Where the rule came from, for error messages and the parents' history.
        public var source: String
        /// Shipped with Cubby (`Rules/*.json`), not added by a persona pack or a parent. Only these may be
        /// overruled by the learned model (`OnDeviceFilter`): a parent's blocked topic always holds.
        public var isBuiltIn: Bool
    }

    /// One rule that matched, with its weight for the child's tier.
    public struct Hit: Sendable {
        public var rule: Rule
        public var weight: Double
    }

    public private(set) var versions: [String]
    public private(set) var rules: [Rule]
    /// See `RuleFile.classifierVetoes`.
    public private(set) var classifierVetoes: [NSRegularExpression] = []
    private var index = TermIndex()
    /// Rule indices by term id.
    private var rulesByTerm: [[Int]] = []
    /// Rules without terms: their patterns run on every text.
    private var alwaysChecked: [Int] = []

    public init() {
        versions = []
        rules = []
    }

    /// The rules built into this build of Cubby: every `Rules/*.json` in the package.
    public static func builtIn(normaliser: TextNormaliser) throws(CubbyError) -> RuleSet {
        guard let directory = Bundle.module.url(forResource: "Rules", withExtension: nil) else {
            throw CubbyError(.invalidConfiguration, "the built-in safety rules are missing from the installation", context: "CubbySafety/Rules")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else {
            throw CubbyError(.invalidConfiguration, "the built-in safety rules are missing from the installation", context: directory.path)
        }
        var set = RuleSet()
        for name in names {
            let path = directory.appendingPathComponent(name).path
            try set.add(try RuleFile.load(contentsOf: path), source: path, builtIn: true, normaliser: normaliser)
        }
        return set
    }

    /// This set with the rules of another file added. A rule id that is already in the set is refused:
    /// an added file can never replace a built-in rule.
    public func adding(contentsOf path: String, normaliser: TextNormaliser) throws(CubbyError) -> RuleSet {
        let file = try RuleFile.load(contentsOf: path)
        var set = self
        try set.add(file, source: path, normaliser: normaliser)
        return set
    }

    /// Blocked topics as simple rules (a parent's or persona's list of words or phrases).
    public func addingBlockedTopics(_ topics: [String], source: String, normaliser: TextNormaliser) throws(CubbyError) -> RuleSet {
        let cleaned = topics.map(normaliser.normalise).filter { $0.utf8.count >= 2 }
        guard !cleaned.isEmpty else { return self }
        var set = self
        let file = RuleFile(format: RuleFile.currentFormat, version: "blocked-topics", lexicons: [:], rules: [
            RuleFile.Entry(id: "blocked-topic.\(source)", category: SafetyCategory.blockedTopic.rawValue,
                           directions: ["inbound", "outbound"], terms: cleaned, patterns: nil, unless: nil, weight: nil, tiers: nil),
        ])
        try set.add(file, source: source, normaliser: normaliser)
        return set
    }

    private mutating func add(_ file: RuleFile, source: String, builtIn: Bool = false, normaliser: TextNormaliser) throws(CubbyError) {
        versions.append(file.version)
        for pattern in file.classifierVetoes {
            do {
                classifierVetoes.append(try NSRegularExpression(pattern: pattern))
            } catch {
                throw CubbyError(.invalidConfiguration, "invalid classifier veto \(pattern)", context: source, underlying: error)
            }
        }
        var known = Set(rules.map(\.id))
        for entry in file.rules {
            func fail(_ message: String) -> CubbyError {
                CubbyError(.invalidConfiguration, "rule \"\(entry.id)\": \(message)", context: source)
            }
            guard known.insert(entry.id).inserted else {
                throw fail("a rule with this id is already loaded (built-in rules cannot be replaced or removed)")
            }
            guard let category = SafetyCategory(rawValue: entry.category) else {
                throw fail("unknown category \"\(entry.category)\" (known: \(SafetyCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var directions: Set<SafetyDirection> = []
            for name in entry.directions {
                guard let direction = SafetyDirection(rawValue: name) else { throw fail("unknown direction \"\(name)\"") }
                directions.insert(direction)
            }
            guard !directions.isEmpty else { throw fail("\"directions\" is empty") }
            let weight = entry.weight ?? 1
            guard weight > 0 && weight <= 1 else { throw fail("\"weight\" must be above 0 and at most 1") }
            var weights: [AgeTier: Double] = [:]
            if let tiers = entry.tiers {
                for (name, value) in tiers {
                    guard let tier = AgeTier(rawValue: name) else { throw fail("unknown age tier \"\(name)\" (known: 3-5, 6-8, 9-12)") }
                    guard value >= 0 && value <= 1 else { throw fail("tier weight for \(name) must be from 0 to 1") }
                    weights[tier] = value
                }
            } else {
                for tier in AgeTier.allCases { weights[tier] = weight }
            }
            var spellings: [String] = []
            for term in entry.terms ?? [] {
                if term.hasPrefix("@") {
                    guard let words = file.lexicons[String(term.dropFirst())] else { throw fail("unknown lexicon \(term)") }
                    spellings += words
                } else {
                    spellings.append(term)
                }
            }
            var termIDs: [Int] = []
            for spelling in spellings {
                let isPrefix = spelling.hasSuffix("*")
                let body = normaliser.normalise(isPrefix ? String(spelling.dropLast()) : spelling)
                guard body.utf8.count >= 2 else { throw fail("term \"\(spelling)\" is too short to match safely") }
                termIDs.append(index.add(isPrefix ? body + "*" : body))
            }
            func compile(_ source: String) throws(CubbyError) -> NSRegularExpression {
                let expanded: String
                do { expanded = try file.expandLexicons(in: source) } catch { throw fail(error.message) }
                do { return try NSRegularExpression(pattern: expanded) } catch { throw fail("invalid pattern \(source): \(error)") }
            }
            var patterns: [NSRegularExpression] = []
            for pattern in entry.patterns ?? [] { patterns.append(try compile(pattern)) }
            var unless: [NSRegularExpression] = []
            for pattern in entry.unless ?? [] { unless.append(try compile(pattern)) }
            guard !termIDs.isEmpty || !patterns.isEmpty else { throw fail("a rule needs \"terms\" or \"patterns\"") }

            let ruleIndex = rules.count
            rules.append(Rule(id: entry.id, category: category, directions: directions, weights: weights, termIDs: termIDs,
                              patterns: patterns, unless: unless, perTerm: entry.per_term ?? false, source: source,
                              isBuiltIn: builtIn))
            while rulesByTerm.count < index.count { rulesByTerm.append([]) }
            for id in termIDs { rulesByTerm[id].append(ruleIndex) }
            if termIDs.isEmpty { alwaysChecked.append(ruleIndex) }
        }
    }

    /// Whether a classifier's verdict on this text should count only as evidence.
    public func vetoesClassifier(_ normalised: String) -> Bool {
        let range = NSRange(normalised.startIndex..., in: normalised)
        return classifierVetoes.contains { $0.firstMatch(in: normalised, range: range) != nil }
    }

    /// The rules that match a normalised text going `direction`, for a child in `tier`.
    public func hits(in normalised: String, direction: SafetyDirection, tier: AgeTier) -> [Hit] {
        var candidates = Set(alwaysChecked)
        let found = index.find(in: Array(normalised.utf8))
        for term in found { candidates.formUnion(rulesByTerm[term]) }
        guard !candidates.isEmpty else { return [] }
        let range = NSRange(normalised.startIndex..., in: normalised)
        var hits: [Hit] = []
        for ruleIndex in candidates.sorted() {
            let rule = rules[ruleIndex]
            guard rule.directions.contains(direction), let weight = rule.weights[tier], weight > 0 else { continue }
            if !rule.patterns.isEmpty && !rule.patterns.contains(where: { $0.firstMatch(in: normalised, range: range) != nil }) { continue }
            if rule.unless.contains(where: { $0.firstMatch(in: normalised, range: range) != nil }) { continue }
            if rule.perTerm {
                let spellings = Set(rule.termIDs.filter(found.contains).map { index.spelling(of: $0) })
                hits.append(Hit(rule: rule, weight: min(1, weight * Double(max(1, spellings.count)))))
            } else {
                hits.append(Hit(rule: rule, weight: weight))
            }
        }
        return hits
    }
}

// NSRegularExpression is immutable after creation and documented as thread-safe.
extension NSRegularExpression: @retroactive @unchecked Sendable {}
