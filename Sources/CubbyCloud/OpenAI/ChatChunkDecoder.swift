import CubbyCore
import Foundation

/// Turns the `data:` payloads of a chat-completions stream into text deltas.
///
/// `[DONE]` ends the stream. A payload that is not the expected JSON, or an `error` object sent mid-stream
/// (some providers do), ends the turn with an error naming what was wrong.
public enum ChatChunkDecoder {
    private struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                struct ToolCallDelta: Decodable {
                    struct Function: Decodable { var name: String?; var arguments: String? }
                    var index: Int?
                    var id: String?
                    var function: Function?
                }
                var content: String?
                var tool_calls: [ToolCallDelta]?
            }
            var delta: Delta?
            var finish_reason: String?
        }
        struct APIError: Decodable { var message: String? }
        var choices: [Choice]?
        var error: APIError?
    }

    public static func decode(_ data: String) throws(CubbyError) -> [ChatStreamEvent] {
        let trimmed = data.trimmingSpaces()
        if trimmed == "[DONE]" { return [.finished(reason: nil)] }
        let chunk: Chunk
        do {
            chunk = try JSONDecoder().decode(Chunk.self, from: Data(trimmed.utf8))
        } catch {
            throw CubbyError(.cloud, "malformed chat stream chunk: \(trimmed.prefix(120))")
        }
        if let error = chunk.error {
            throw CubbyError(.cloud, "the model reported an error mid-stream: \(error.message ?? "no message")")
        }
        guard let choices = chunk.choices else {
            throw CubbyError(.cloud, "chat stream chunk has no choices: \(trimmed.prefix(120))")
        }
        var events: [ChatStreamEvent] = []
        for choice in choices {
            if let content = choice.delta?.content, !content.isEmpty { events.append(.text(content)) }
            for (position, call) in (choice.delta?.tool_calls ?? []).enumerated() {
                events.append(.toolCall(index: call.index ?? position, id: call.id, name: call.function?.name, arguments: call.function?.arguments ?? ""))
            }
            if let reason = choice.finish_reason { events.append(.finished(reason: reason)) }
        }
        return events
    }
}
