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

    public static func < (lhs: SafetyCategory, rhs: SafetyCategory) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Which way a text is going: from the child to the cloud, or from the model to the child.
public enum SafetyDirection: String, Sendable, Codable {
    case inbound, outbound
}

/// Who the text is for, which changes what is acceptable.
public struct SafetyContext: Sendable, Equatable {
    public var childAge: Int

    public init(childAge: Int) {
        self.childAge = childAge
    }
}

/// What the filter decided about one text.
public struct SafetyVerdict: Sendable, Equatable {
    public enum Decision: String, Sendable, Codable { case allow, flag }
    public enum Action: String, Sendable, Codable {
        /// Pass the text on unchanged.
        case pass
        /// Never speak this sentence; drop the rest of the reply and speak the redirect line.
        case blockSentence = "block_sentence"
        /// Do not send the child's words on; answer locally.
        case answerLocally = "answer_locally"
    }

    public var decision: Decision
    public var categories: [SafetyCategory]
    public var action: Action
    /// What would be passed on (empty when nothing is).
    public var text: String
    /// The rule ids that matched, for the log and the parents' history.
    public var ruleIDs: [String]

    public init(decision: Decision, categories: [SafetyCategory], action: Action, text: String, ruleIDs: [String] = []) {
        self.decision = decision
        self.categories = categories
        self.action = action
        self.text = text
        self.ruleIDs = ruleIDs
    }

    public static func allow(_ text: String) -> SafetyVerdict {
        SafetyVerdict(decision: .allow, categories: [], action: .pass, text: text)
    }
}

/// Judges one text (a sentence the model wants to say, or what the child said).
public protocol SafetyFilter: Sendable {
    func check(_ text: String, direction: SafetyDirection, context: SafetyContext) -> SafetyVerdict
}
