import CubbyCore
import Foundation

/// A text frame from a xiaozhi server, parsed. Unknown types are kept by name so that a newer server
/// does not end the turn; malformed JSON is an error.
public enum XiaozhiServerMessage: Sendable, Equatable {
    /// The server's answer to our hello: its session and the rate its speech is encoded at.
    case hello(sessionID: String?, sampleRate: Int?, frameDurationMilliseconds: Int?)
    /// What the server heard the child say.
    case stt(text: String)
    /// An emotion for the toy's face or body.
    case emotion(name: String, emoji: String?)
    case ttsStart
    /// The text of the sentence whose audio follows; it must pass the safety filter before that audio plays.
    case sentenceStart(text: String)
    case ttsStop
    /// A JSON-RPC request for the device's MCP server (the raw payload).
    case mcp(payload: Data)
    case system(command: String)
    case alert(status: String?, message: String?)
    case other(type: String)

    public static func parse(_ text: String) throws(CubbyError) -> XiaozhiServerMessage {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw CubbyError(.cloud, "xiaozhi text frame is not a JSON object: \(text.prefix(80))")
        }
        guard let type = object["type"] as? String else { throw CubbyError(.cloud, "xiaozhi text frame has no \"type\": \(text.prefix(80))") }
        switch type {
        case "hello":
            let audio = object["audio_params"] as? [String: Any]
            return .hello(sessionID: object["session_id"] as? String, sampleRate: audio?["sample_rate"] as? Int,
                          frameDurationMilliseconds: audio?["frame_duration"] as? Int)
        case "stt":
            return .stt(text: object["text"] as? String ?? "")
        case "llm":
            return .emotion(name: object["emotion"] as? String ?? "neutral", emoji: object["text"] as? String)
        case "tts":
            switch object["state"] as? String {
            case "start": return .ttsStart
            case "stop": return .ttsStop
            case "sentence_start": return .sentenceStart(text: object["text"] as? String ?? "")
            case let state: return .other(type: "tts.\(state ?? "?")")
            }
        case "mcp":
            guard let payload = object["payload"], JSONSerialization.isValidJSONObject(payload),
                  let data = try? JSONSerialization.data(withJSONObject: payload) else {
                throw CubbyError(.cloud, "xiaozhi mcp frame has no JSON payload")
            }
            return .mcp(payload: data)
        case "system":
            return .system(command: object["command"] as? String ?? "")
        case "alert":
            return .alert(status: object["status"] as? String, message: object["message"] as? String)
        default:
            return .other(type: type)
        }
    }
}

/// Text frames the device sends.
public enum XiaozhiDeviceMessage: Sendable {
    public enum ListenMode: String, Sendable { case auto, manual, realtime }

    case hello(sampleRate: Int, frameDurationMilliseconds: Int, echoCancelled: Bool)
    case listenStart(sessionID: String, mode: ListenMode)
    case listenStop(sessionID: String)
    /// The wake word the device heard.
    case listenDetect(sessionID: String, text: String)
    case abort(sessionID: String, reason: String?)
    case mcp(sessionID: String, payload: Data)

    public func json() -> String {
        var object: [String: Any]
        switch self {
        case .hello(let rate, let frame, let aec):
            var features: [String: Any] = ["mcp": true]
            if aec { features["aec"] = true }
            object = ["type": "hello", "version": 1, "features": features, "transport": "websocket",
                      "audio_params": ["format": "opus", "sample_rate": rate, "channels": 1, "frame_duration": frame]]
        case .listenStart(let session, let mode):
            object = ["session_id": session, "type": "listen", "state": "start", "mode": mode.rawValue]
        case .listenStop(let session):
            object = ["session_id": session, "type": "listen", "state": "stop"]
        case .listenDetect(let session, let text):
            object = ["session_id": session, "type": "listen", "state": "detect", "text": text]
        case .abort(let session, let reason):
            object = ["session_id": session, "type": "abort"]
            if let reason { object["reason"] = reason }
        case .mcp(let session, let payload):
            object = ["session_id": session, "type": "mcp", "payload": (try? JSONSerialization.jsonObject(with: payload)) ?? [:]]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
