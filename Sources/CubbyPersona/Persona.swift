import CubbyCore
import CubbySafety

/// Who the toy is: the character a maker ships in a persona pack and a family can move to a new body.
public struct Persona: Sendable, Equatable {
    public var id: String
    public var name: String
    /// BCP-47 language of the persona's lines and prompt, e.g. "en" or "zh-CN".
    public var language: String
    public var wake: WakeSettings
    public var voice: VoiceSettings
    /// The character description sent as the start of every model prompt.
    public var personality: String
    public var greeting: String
    /// Spoken when the cloud is not configured or cannot be reached.
    public var offlineLines: [String]
    /// Spoken instead of a blocked sentence, per category; `defaultRedirect` for the rest.
    public var redirects: [SafetyCategory: String]
    public var defaultRedirect: String
    /// Spoken when repeated attempts to break the rules start a cool-down.
    public var coolDownLine: String = Persona.defaultCoolDownLine
    /// Topics the maker wants this character to stay away from (added to the built-in rules).
    public var blockedTopics: [String] = []
    /// The pack's own rule file (`[safety] rules`), added to the built-in rules; it cannot remove any.
    public var safetyRulesPath: String?
    /// The device tools this character may use (`set_volume`, `express`, `end_conversation`); nil: all.
    public var allowedTools: Set<String>?
    /// Where the pack was loaded from.
    public var sourcePath: String

    public static let defaultCoolDownLine = "Let's take a little break from talking now. I'll be right here when you want to play later!"

    public func redirect(for category: SafetyCategory) -> String {
        redirects[category] ?? defaultRedirect
    }

    /// An offline line, rotating so the toy does not repeat itself word for word.
    public func offlineLine(turn: Int) -> String {
        offlineLines[abs(turn) % offlineLines.count]
    }
}
