import Foundation

/// What the filter remembers within one conversation. A single sentence may be harmless while ten of
/// them walk a child step by step toward a topic, so evidence below the flag line is added up, fading
/// with every text; and a child (or someone using the child) who keeps trying to talk the toy out of
/// its rules gets a break instead of an eleventh try.
public struct SafetySession: Sendable {
    /// How much of the running risk is left after each text.
    public var fading: Double
    /// Rule-breaking attempts in a row that start a cool-down.
    public var attemptsBeforeCoolDown: Int
    public var coolDown: Duration

    public private(set) var risk: [SafetyCategory: Double] = [:]
    public private(set) var ruleBreakingStreak = 0
    public private(set) var coolDownUntil: ContinuousClock.Instant?
    /// The toy's last spoken sentence in this conversation: the context the child's next words are read in.
    public private(set) var lastToySentence: String?

    public init(fading: Double = 0.85, attemptsBeforeCoolDown: Int = 3, coolDown: Duration = .seconds(300)) {
        self.fading = fading
        self.attemptsBeforeCoolDown = attemptsBeforeCoolDown
        self.coolDown = coolDown
    }

    /// Drops the running risk (a new conversation); the streak and any cool-down remain.
    public mutating func forgetRisk() {
        risk = [:]
        lastToySentence = nil
    }

    /// Notes a sentence the toy spoke, so the child's answer to it is read with it.
    public mutating func toySaid(_ sentence: String) {
        lastToySentence = sentence
    }

    public func isCoolingDown(at now: ContinuousClock.Instant = .now) -> Bool {
        coolDownUntil.map { now < $0 } ?? false
    }

    /// Takes one verdict into the conversation and returns it, changed when the conversation as a whole
    /// crosses a line the single text did not.
    public mutating func review(_ verdict: SafetyVerdict, direction: SafetyDirection, at now: ContinuousClock.Instant = .now) -> SafetyVerdict {
        var result = verdict
        var drifted: [SafetyCategory] = []
        for category in Set(risk.keys).union(verdict.risk.keys) {
            let value = (risk[category] ?? 0) * fading + (verdict.risk[category] ?? 0)
            if value >= 1 && !verdict.categories.contains(category) {
                drifted.append(category)
                risk[category] = 0.5
            } else {
                risk[category] = value < 0.01 ? nil : value
            }
        }
        if !drifted.isEmpty {
            result.decision = .flag
            result.categories = Array(Set(result.categories).union(drifted)).sorted()
            result.ruleIDs += drifted.sorted().map { "conversation.drift.\($0.rawValue)" }
            switch direction {
            case .outbound:
                result.action = .blockSentence
                result.text = ""
            case .inbound:
                if result.action == .pass || result.action == .redact {
                    result.action = drifted.contains(where: \.answeredLocallyWhenAsked) ? .answerLocally : .guide
                    if result.action == .answerLocally { result.text = "" }
                }
            }
        }
        if direction == .inbound {
            if result.categories.contains(.ruleBreaking) {
                ruleBreakingStreak += 1
                if ruleBreakingStreak >= attemptsBeforeCoolDown {
                    ruleBreakingStreak = 0
                    coolDownUntil = now + coolDown
                    result.action = .coolDown
                    result.text = ""
                }
            } else {
                ruleBreakingStreak = 0
            }
        }
        return result
    }
}
