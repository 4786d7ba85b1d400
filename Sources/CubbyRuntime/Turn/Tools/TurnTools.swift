import CubbyAudio
import CubbyCloud
import CubbyMemory
import CubbyPersona
import CubbyCore
import CubbySafety
import Foundation
import Synchronization

/// The toy's tools for one turn, whichever provider calls them, and what their calls changed that the
/// turn must act on afterwards.
struct TurnTools: Sendable {
    var persona: Persona
    var maxVolume: Int
    var speaker: SpeakerQueue
    var memories: MemoryStore
    var filter: any SafetyFilter
    var context: SafetyContext
    var clock: any CubbyClock
    /// Shows an emotion on the board (the model's `express` tool).
    var expression: @Sendable (String) -> Void
    /// The scene narrows the persona's tools (bedtime: only ending the conversation).
    var scene: PersonaScene?
    /// The learning game's score, kept by the `score` tool; nil outside the game.
    var score: DeviceTools.Score?

    func server(effects: ToolEffects) -> DeviceToolServer {
        var allowed = persona.allowedTools
        if let sceneTools = scene?.tools { allowed = (allowed ?? Set(DeviceTools.shortNames.values)).intersection(sceneTools).union(sceneTools.intersection(["score"])) }
        return DeviceTools.server(speaker: speaker, maxVolume: maxVolume, allowed: allowed, memory: memory(), score: score,
                                  express: expression, endConversation: { effects.endConversation() })
    }

    /// What the model may keep about the child: only what the filter passes untouched. A fact with
    /// personal details in it (an address, a school) or anything flagged is refused, not kept redacted.
    private func memory() -> DeviceTools.Memory {
        let (filter, context) = (filter, context)
        return DeviceTools.Memory(store: memories, clock: clock) { fact in
            let verdict = filter.check(fact, direction: .inbound, context: context)
            guard verdict.decision == .allow else {
                return .failure(.init(verdict.redactions.isEmpty
                    ? "not kept: \(verdict.categories.map(\.rawValue).joined(separator: ", ")) is not something to remember"
                    : "not kept: personal details like \(verdict.redactions.joined(separator: ", ")) stay with the family"))
            }
            return .success(fact)
        }
    }
}

/// What the tools asked for during a turn (set from a tool call, read when the turn ends).
final class ToolEffects: Sendable {
    private let ending = Mutex(false)
    func endConversation() { ending.withLock { $0 = true } }
    var endsConversation: Bool { ending.withLock { $0 } }
}
