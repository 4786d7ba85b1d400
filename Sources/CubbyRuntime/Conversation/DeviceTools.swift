import CubbyAudio
import CubbyCloud
import Foundation

/// The tools the toy offers the model, and what each may do: the volume is held under the parent's
/// cap, an expression goes to the board (face, LEDs, motors), and the model may end the conversation.
enum DeviceTools {
    static let setVolume = "self.audio_speaker.set_volume"
    static let express = "self.express"
    static let endConversation = "self.end_conversation"

    /// The persona's short names for the tools (`[tools] allowed` in persona.toml).
    static let shortNames = [setVolume: "set_volume", express: "express", endConversation: "end_conversation"]

    static func server(speaker: SpeakerQueue, maxVolume: Int, allowed: Set<String>? = nil, express show: @escaping @Sendable (String) -> Void,
                       endConversation end: @escaping @Sendable () -> Void) -> DeviceToolServer {
        let all = [
            DeviceTool(name: setVolume, description: "Set the toy's speaker volume, 0-100. The child's parent sets the highest allowed.",
                       inputSchema: #"{"type":"object","properties":{"volume":{"type":"integer","minimum":0,"maximum":100}},"required":["volume"]}"#),
            DeviceTool(name: express, description: "Show an emotion with the toy's face and body: happy, sad, surprised, thinking, sleepy, laughing, loving.",
                       inputSchema: #"{"type":"object","properties":{"emotion":{"type":"string"}},"required":["emotion"]}"#),
            DeviceTool(name: endConversation, description: "End the conversation after this answer, when the child says goodbye.",
                       inputSchema: #"{"type":"object","properties":{}}"#),
        ]
        // A tool the persona does not allow is neither offered nor callable.
        let tools = all.filter { tool in allowed.map { $0.contains(shortNames[tool.name] ?? tool.name) } ?? true }
        return DeviceToolServer(tools: tools) { name, arguments in
            let object = (try? JSONSerialization.jsonObject(with: arguments)) as? [String: Any] ?? [:]
            switch name {
            case setVolume:
                guard let asked = object["volume"] as? Int, (0...100).contains(asked) else { return .failure(.init("volume must be a whole number 0-100")) }
                let volume = min(asked, maxVolume)
                speaker.volume = Double(volume) / 100
                return .success(volume < asked ? "volume set to \(volume), the highest the parent allows" : "volume set to \(volume)")
            case express:
                guard let emotion = object["emotion"] as? String, !emotion.isEmpty, emotion.count <= 32,
                      emotion.allSatisfy({ $0.isLetter || $0 == "_" }) else { return .failure(.init("emotion must be a single word")) }
                show(emotion.lowercased())
                return .success("showing \(emotion.lowercased())")
            case endConversation:
                end()
                return .success("the conversation will end after this answer")
            default:
                return .failure(.init("unknown tool \(name)"))
            }
        }
    }
}
