import CubbyCore
import Foundation

/// A tool the toy offers the model (set the volume, show an emotion, end the conversation…), over MCP
/// (xiaozhi) or as a function of the chat-completions API.
public struct DeviceTool: Sendable, Equatable {
    public var name: String
    public var description: String
    /// JSON Schema of the arguments, as JSON.
    public var inputSchema: Data

    /// `inputSchema` is the JSON Schema as JSON text (checked by the tests that declare tools).
    public init(name: String, description: String, inputSchema: String) {
        self.init(name: name, description: description, inputSchema: Data(inputSchema.utf8))
    }

    public init(name: String, description: String, inputSchema: Data) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// The device side of MCP (protocol 2024-11-05) over the xiaozhi channel: answers `initialize`,
/// `tools/list` and `tools/call` with the toy's own tools. What a tool may do is decided by `call`,
/// which the runtime gives the persona's allowed list and the parent's limits (a volume above the
/// parent's cap is refused there, not here).
public struct DeviceToolServer: Sendable {
    public typealias Call = @Sendable (_ name: String, _ arguments: Data) async -> Result<String, ToolFailure>

    public struct ToolFailure: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    public let tools: [DeviceTool]
    private let call: Call

    public init(tools: [DeviceTool], call: @escaping Call) {
        self.tools = tools
        self.call = call
    }

    /// Runs a tool by its name (as listed here).
    public func call(_ name: String, arguments: Data) async -> Result<String, ToolFailure> {
        guard tools.contains(where: { $0.name == name }) else { return .failure(ToolFailure("unknown tool \(name)")) }
        return await call(name, arguments)
    }

    /// The same tools for the chat-completions API, whose function names allow only letters, digits, _
    /// and - ("self.audio_speaker.set_volume" is offered as "self_audio_speaker_set_volume").
    public var chatTools: [DeviceTool] {
        tools.map { DeviceTool(name: Self.chatName($0.name), description: $0.description, inputSchema: $0.inputSchema) }
    }

    /// The device tool a chat function name stands for.
    public func toolName(forChatName name: String) -> String? {
        tools.first { Self.chatName($0.name) == name }?.name
    }

    static func chatName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    }

    /// The JSON-RPC response to one request, or nil for a notification (no `id`).
    public func respond(to payload: Data) async -> Data? {
        guard let request = (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any] else {
            return Self.encode(["jsonrpc": "2.0", "id": NSNull(), "error": ["code": -32700, "message": "parse error"]])
        }
        guard let id = request["id"], !(id is NSNull) else { return nil }
        let method = request["method"] as? String ?? ""
        let params = request["params"] as? [String: Any] ?? [:]
        func result(_ value: Any) -> Data? { Self.encode(["jsonrpc": "2.0", "id": id, "result": value]) }
        func failure(_ code: Int, _ message: String) -> Data? { Self.encode(["jsonrpc": "2.0", "id": id, "error": ["code": code, "message": message]]) }
        switch method {
        case "initialize":
            return result(["protocolVersion": "2024-11-05", "capabilities": ["tools": [:] as [String: Any]],
                           "serverInfo": ["name": "cubby", "version": CubbyVersion.string]])
        case "tools/list":
            let list: [[String: Any]] = tools.map { tool in
                ["name": tool.name, "description": tool.description,
                 "inputSchema": (try? JSONSerialization.jsonObject(with: tool.inputSchema)) ?? [:]]
            }
            return result(["tools": list])
        case "tools/call":
            guard let name = params["name"] as? String, tools.contains(where: { $0.name == name }) else {
                return failure(-32602, "unknown tool \(params["name"] as? String ?? "(none)")")
            }
            let arguments = (params["arguments"]).flatMap { try? JSONSerialization.data(withJSONObject: $0) } ?? Data("{}".utf8)
            switch await call(name, arguments) {
            case .success(let text):
                return result(["content": [["type": "text", "text": text]], "isError": false])
            case .failure(let problem):
                return result(["content": [["type": "text", "text": problem.message]], "isError": true])
            }
        case "ping":
            return result([:] as [String: Any])
        default:
            return failure(-32601, "method not found: \(method)")
        }
    }

    private static func encode(_ object: [String: Any]) -> Data? {
        try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
