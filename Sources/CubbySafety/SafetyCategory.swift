/// What a flagged text is about. Each category has its own handling and its own redirect line in the
/// persona; raw values are the names used in rule files, persona packs, the store and JSON output.
public enum SafetyCategory: String, Sendable, CaseIterable, Codable, Comparable {
    case sexual
    case violence
    case selfHarm = "self_harm"
    case dangerousActivity = "dangerous_activity"
    case drugs
    case hate
    case profanity
    case personalInformation = "personal_information"
    case grooming
    case manipulation
    case commercial
    case medical
    case scary
    case ruleBreaking = "rule_breaking"
    case disclosure
    /// Stealing, cheating, hacking, lying to hurt someone: what a child may ask "without getting caught".
    case wrongdoing
    /// A topic the parent or the persona pack asked the toy to stay away from.
    case blockedTopic = "blocked_topic"

    public static func < (lhs: SafetyCategory, rhs: SafetyCategory) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Categories where a child's request is answered on the device rather than sent on with guidance:
    /// the model must never be the one explaining these to a child.
    var answeredLocallyWhenAsked: Bool {
        switch self {
        case .sexual, .violence, .selfHarm, .dangerousActivity, .drugs, .grooming, .wrongdoing, .ruleBreaking, .disclosure:
            return true
        case .hate, .profanity, .personalInformation, .manipulation, .commercial, .medical, .scary, .blockedTopic:
            return false
        }
    }
}

/// Which way a text is going: from the child to the cloud, or from the model to the child.
public enum SafetyDirection: String, Sendable, Codable {
    case inbound, outbound
}

/// The three age bands the filter's thresholds are set for. The parent sets the age; the tier follows.
public enum AgeTier: String, Sendable, CaseIterable, Codable {
    case preschool = "3-5"
    case earlySchool = "6-8"
    case preteen = "9-12"

    public init(age: Int) {
        switch age {
        case ..<6: self = .preschool
        case 6...8: self = .earlySchool
        default: self = .preteen
        }
    }
}

/// Who the text is for, which changes what is acceptable.
public struct SafetyContext: Sendable, Equatable {
    public var childAge: Int
    /// Names the parent wants kept on the device (the child's full name, siblings, school friends):
    /// redacted from what the child says before it reaches the cloud.
    public var privateNames: [String]
    /// What came just before the text: for a sentence of the model's, the reply's earlier sentences; for
    /// the child's words, the toy's last sentence. The learned layer reads the text in this context, so
    /// an instruction split over two sentences, or a "yes" to a dangerous suggestion, is still caught.
    public var preceding: String?

    public init(childAge: Int, privateNames: [String] = [], preceding: String? = nil) {
        self.childAge = childAge
        self.privateNames = privateNames
        self.preceding = preceding
    }

    public var tier: AgeTier { AgeTier(age: childAge) }

    /// The same child, for a text that comes after `preceding`.
    public func reading(after preceding: String?) -> SafetyContext {
        var context = self
        context.preceding = preceding
        return context
    }
}

/// What the filter decided about one text.
public struct SafetyVerdict: Sendable, Equatable {
    public enum Decision: String, Sendable, Codable { case allow, flag }
    public enum Action: String, Sendable, Codable {
        /// Pass the text on unchanged.
        case pass
        /// Pass the text on with personal details replaced by placeholders.
        case redact
        /// Pass the child's words on, and give the model guidance for this turn on how to answer.
        case guide
        /// Do not send the child's words on; the persona answers on the device.
        case answerLocally = "answer_locally"
        /// The child told of harm: a parent alert is raised and the persona answers with warmth, on the device.
        case alert
        /// Never speak this sentence; drop the rest of the reply and speak the redirect line.
        case blockSentence = "block_sentence"
        /// Repeated attempts to break the rules: the toy takes a break from the cloud for a while.
        case coolDown = "cool_down"

        /// Whether the text goes on (possibly redacted, possibly with guidance) rather than stopping here.
        public var passesOn: Bool { self == .pass || self == .redact || self == .guide }
    }

    public var decision: Decision
    public var categories: [SafetyCategory]
    public var action: Action
    /// What would be passed on (empty when nothing is).
    public var text: String
    /// The rule ids that matched, for the log and the parents' history.
    public var ruleIDs: [String]
    /// Evidence below the flag line, per category; the conversation adds it up across turns to catch a
    /// slow drift toward a topic.
    public var risk: [SafetyCategory: Double]
    /// The kinds of personal detail removed from `text` (e.g. "phone", "address").
    public var redactions: [String]

    public init(decision: Decision, categories: [SafetyCategory], action: Action, text: String, ruleIDs: [String] = [],
                risk: [SafetyCategory: Double] = [:], redactions: [String] = []) {
        self.decision = decision
        self.categories = categories
        self.action = action
        self.text = text
        self.ruleIDs = ruleIDs
        self.risk = risk
        self.redactions = redactions
    }

    public static func allow(_ text: String) -> SafetyVerdict {
        SafetyVerdict(decision: .allow, categories: [], action: .pass, text: text)
    }

    /// The category to answer with: the most serious one flagged.
    public var primaryCategory: SafetyCategory? {
        categories.first { $0 == .disclosure } ?? categories.first { $0 == .selfHarm } ?? categories.first
    }
}

/// Judges one text (a sentence the model wants to say, or what the child said).
public protocol SafetyFilter: Sendable {
    func check(_ text: String, direction: SafetyDirection, context: SafetyContext) -> SafetyVerdict
}
