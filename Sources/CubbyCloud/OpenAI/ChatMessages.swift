import Foundation

/// A message of the chat-completions API: system, user and assistant text, and the two halves of a
/// tool call (the assistant's request, the device's answer).
public struct ChatMessage: Sendable, Equatable, Encodable {
    public enum Role: String, Sendable, Codable { case system, user, assistant, tool }
    public var role: Role
    public var content: String
    /// Set on an assistant message that asked for tools.
    public var toolCalls: [ToolCall]
    /// Set on a tool message: which call it answers.
    public var toolCallID: String?

    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls", toolCallID = "tool_call_id" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        if toolCalls.isEmpty || !content.isEmpty { try container.encode(content, forKey: .content) } else { try container.encodeNil(forKey: .content) }
        if !toolCalls.isEmpty { try container.encode(toolCalls, forKey: .toolCalls) }
        try container.encodeIfPresent(toolCallID, forKey: .toolCallID)
    }
}

/// A function call the model asked for, as the API spells it.
public struct ToolCall: Sendable, Equatable, Encodable {
    public var id: String
    public var name: String
    /// The arguments as the JSON text the model wrote.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    enum CodingKeys: String, CodingKey { case id, type, function }
    enum FunctionKeys: String, CodingKey { case name, arguments }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode("function", forKey: .type)
        var function = container.nestedContainer(keyedBy: FunctionKeys.self, forKey: .function)
        try function.encode(name, forKey: .name)
        try function.encode(arguments, forKey: .arguments)
    }
}

/// What one streamed chunk of a chat completion carried.
public enum ChatStreamEvent: Sendable, Equatable {
    case text(String)
    /// A piece of a tool call: the first piece of each call carries its id and name; the arguments
    /// arrive in pieces to be joined, by `index`.
    case toolCall(index: Int, id: String?, name: String?, arguments: String)
    case finished(reason: String?)
}

/// Joins the pieces of streamed tool calls.
public struct ToolCallAccumulator: Sendable {
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]

    public init() {}

    public mutating func add(index: Int, id: String?, name: String?, arguments: String) {
        var call = calls[index] ?? (id: "", name: "", arguments: "")
        if let id, !id.isEmpty { call.id = id }
        if let name, !name.isEmpty { call.name = name }
        call.arguments += arguments
        calls[index] = call
    }

    public var isEmpty: Bool { calls.isEmpty }

    /// The complete calls, in index order; a call without a name is dropped (a malformed stream).
    public var toolCalls: [ToolCall] {
        calls.keys.sorted().compactMap { index in
            guard let call = calls[index], !call.name.isEmpty else { return nil }
            return ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: call.arguments.isEmpty ? "{}" : call.arguments)
        }
    }
}
