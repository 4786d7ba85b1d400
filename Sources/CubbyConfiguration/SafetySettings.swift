
/// The parent's `[safety]` settings: what to add to the built-in rules (which can never be removed),
/// which names never leave the device, how long a cool-down lasts, and the optional guard model.
public struct SafetySettings: Sendable, Equatable {
    /// Topics the toy stays away from, in both directions.
    public var blockedTopics: [String] = []
    /// A rule file of the parent's, added to the built-in and persona rules.
    public var rulesPath: String?
    /// Names redacted from what the child says before it reaches the cloud (the child's name is added).
    public var privateNames: [String] = []
    /// How long the toy stays off the cloud after repeated attempts to break its rules.
    public var coolDownMinutes = 5
    public var guardModel: GuardSettings?

    public init() {}
}
