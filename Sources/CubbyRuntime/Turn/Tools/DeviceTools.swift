import CubbyAudio
import CubbyCloud
import CubbyCore
import CubbyMemory
import CubbyScenes
import Foundation

/// The tools the toy offers the model, and what each may do: the volume is held under the parent's
/// cap, an expression goes to the board (face, LEDs, motors), and the model may end the conversation.
enum DeviceTools {
    static let setVolume = "self.audio_speaker.set_volume"
    static let express = "self.express"
    static let endConversation = "self.end_conversation"
    static let remember = "self.memory.remember"
    static let forget = "self.memory.forget"
    static let score = "self.game.score"

    /// Where the learning game keeps its score.
    struct Score: Sendable {
        var settings: SettingStore
        var calendar: Calendar
    }

    /// Long-term memory for the tools: where facts are kept, and the check a fact must pass first
    /// (the safety filter: personal details redacted, anything flagged refused).
    struct Memory: Sendable {
        var store: MemoryStore
        var clock: any CubbyClock
        /// The text to keep, or why not.
        var vet: @Sendable (String) -> Result<String, DeviceToolServer.ToolFailure>
    }

    /// The persona's short names for the tools (`[tools] allowed` in persona.toml).
    static let shortNames = [setVolume: "set_volume", express: "express", endConversation: "end_conversation", remember: "remember", forget: "forget",
                             score: "score"]

    static func server(speaker: SpeakerQueue, maxVolume: Int, allowed: Set<String>? = nil, memory: Memory? = nil, score keeper: Score? = nil,
                       express show: @escaping @Sendable (String) -> Void, endConversation end: @escaping @Sendable () -> Void) -> DeviceToolServer {
        var all = [
            DeviceTool(name: setVolume, description: "Set the toy's speaker volume, 0-100. The child's parent sets the highest allowed.",
                       inputSchema: #"{"type":"object","properties":{"volume":{"type":"integer","minimum":0,"maximum":100}},"required":["volume"]}"#),
            DeviceTool(name: express, description: "Show an emotion with the toy's face and body: happy, sad, surprised, thinking, sleepy, laughing, loving.",
                       inputSchema: #"{"type":"object","properties":{"emotion":{"type":"string"}},"required":["emotion"]}"#),
            DeviceTool(name: endConversation, description: "End the conversation after this answer, when the child says goodbye.",
                       inputSchema: #"{"type":"object","properties":{}}"#),
        ]
        if memory != nil {
            all += [
                DeviceTool(name: remember, description: "Remember something the child shared, for later conversations (likes, pets, friends' first names, plans, feelings), as a short fact in the child's language. Never addresses, schools or other personal details.",
                           inputSchema: #"{"type":"object","properties":{"fact":{"type":"string"},"kind":{"type":"string","enum":["preference","person","pet","event","plan","feeling","other"]}},"required":["fact"]}"#),
                DeviceTool(name: forget, description: "Forget what was remembered about something, when the child asks.",
                           inputSchema: #"{"type":"object","properties":{"about":{"type":"string"}},"required":["about"]}"#),
            ]
        }
        if keeper != nil {
            all.append(DeviceTool(name: score, description: "Count the child's answer in the learning game: correct true or false. Call once per answer.",
                                  inputSchema: #"{"type":"object","properties":{"correct":{"type":"boolean"}},"required":["correct"]}"#))
        }
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
            case remember:
                guard let memory, let fact = object["fact"] as? String, !fact.isEmpty, fact.count <= 200 else {
                    return .failure(.init("fact must be 1-200 characters"))
                }
                switch memory.vet(fact) {
                case .success(let kept):
                    let kind = (object["kind"] as? String).flatMap(CubbyMemory.Memory.Kind.init(rawValue:)) ?? CubbyMemory.Memory.Kind.other
                    do {
                        let outcome = try memory.store.remember(kept, kind: kind, at: memory.clock.date)
                        if case .updated = outcome { return .success("already remembered; updated: \(kept)") }
                    } catch { return .failure(.init("could not remember: \(error)")) }
                    return .success("remembered: \(kept)")
                case .failure(let refusal):
                    return .failure(refusal)
                }
            case forget:
                guard let memory, let about = object["about"] as? String, about.count >= 2 else { return .failure(.init("say what to forget")) }
                do {
                    let count = try memory.store.forget(matching: about)
                    return .success(count == 0 ? "nothing was remembered about \(about)" : "forgot \(count) thing(s) about \(about)")
                } catch {
                    return .failure(.init("could not forget: \(error)"))
                }
            case score:
                guard let keeper, let correct = object["correct"] as? Bool else { return .failure(.init("say whether the answer was correct: true or false")) }
                let clock = memory?.clock ?? SystemClock()
                do {
                    let day = GameScore.day(of: clock.date, calendar: keeper.calendar)
                    let total = try GameScore.record(correct: correct, keeper.settings, day: day, at: clock.date)
                    return .success("score today: \(total.right) of \(total.asked)")
                } catch {
                    return .failure(.init("could not keep the score: \(error)"))
                }
            default:
                return .failure(.init("unknown tool \(name)"))
            }
        }
    }
}
