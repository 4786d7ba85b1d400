import Foundation

/// One thing the toy remembers about the child, in the child's own language.
public struct Memory: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case preference, person, pet, event, plan, feeling, other
    }

    public var id: Int64
    public var text: String
    public var kind: Kind
    /// "en" or "zh".
    public var language: String
    /// The turn in which the child said it, while that transcript is kept.
    public var sourceTurnID: Int64?
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// 0...1: how much it matters (a pet's name more than a passing mood); raised each time it is told again.
    public var salience: Double
    public var expiresAt: Date?

    public init(id: Int64 = 0, text: String, kind: Kind = .other, language: String = "en", sourceTurnID: Int64? = nil, createdAt: Date,
                lastUsedAt: Date? = nil, salience: Double = 0.5, expiresAt: Date? = nil) {
        self.id = id
        self.text = text
        self.kind = kind
        self.language = language
        self.sourceTurnID = sourceTurnID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.salience = salience
        self.expiresAt = expiresAt
    }
}
