import CubbyCore
import CubbyMemory
import Foundation

/// What moves with the child to a new toy: the child's profile, every memory, and the relationship
/// (when they met, how often they talk, which character the toy was). Transcripts and parent alerts stay
/// behind: they are the family's record of this toy, not the character's soul.
public struct Soul: Sendable, Codable {
    public struct PersonaState: Sendable, Codable, Equatable {
        public var id: String
        public var version: String
        public var name: String

        public init(id: String, version: String, name: String) {
            self.id = id
            self.version = version
            self.name = name
        }
    }

    public var format = 1
    public var createdAt: Date
    public var persona: PersonaState
    public var profile: ChildDataStore.Profile?
    public var relationship: ChildDataStore.Relationship
    public var memories: [Memory]

    public init(createdAt: Date, persona: PersonaState, profile: ChildDataStore.Profile?, relationship: ChildDataStore.Relationship, memories: [Memory]) {
        self.createdAt = createdAt
        self.persona = persona
        self.profile = profile
        self.relationship = relationship
        self.memories = memories
    }

    /// The soul of the toy whose database this is.
    public static func gather(from database: CubbyDatabase, persona: PersonaState, at date: Date) throws(CubbyError) -> Soul {
        Soul(createdAt: date, persona: persona, profile: try database.child.profile(), relationship: try database.child.relationship(),
             memories: try database.memories.all())
    }
}
