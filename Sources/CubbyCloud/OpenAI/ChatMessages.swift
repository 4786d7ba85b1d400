/// A message of the chat-completions API.
public struct ChatMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// What one streamed chunk of a chat completion carried.
public enum ChatStreamEvent: Sendable, Equatable {
    case text(String)
    case finished(reason: String?)
}
