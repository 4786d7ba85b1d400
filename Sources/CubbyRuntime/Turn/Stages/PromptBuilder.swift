import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyPersona
import CubbySafety
import CubbyScenes
import Foundation

/// Builds what the model reads: the persona and safety preamble, what the child shared before, the
/// recent exchanges that fit the budget, any guidance the inbound gate asked for, and the child's words.
/// The scene's instructions (story time, bedtime…) come after the preamble.
struct PromptBuilder: Sendable {
    var persona: Persona
    var configuration: DaemonConfiguration
    var database: CubbyDatabase
    var clock: any CubbyClock
    var calendar: Calendar
    /// How much of the prompt recalled memories may take (estimated tokens).
    static let memoryBudget = 300

    func messages(for text: String, verdict: SafetyVerdict, scene: PersonaScene? = nil) -> [ChatMessage] {
        let guidance = verdict.action == .guide ? SafetyGuidance.forTurn(verdict.categories, childAge: configuration.childAge) : nil
        var preamble = SafetyPreamble.systemPrompt(
            persona: persona, childAge: configuration.childAge, childName: configuration.childName,
            blockedTopics: persona.blockedTopics + configuration.safety.blockedTopics, childSaid: text)
        // Recall: the facts this turn is about first, then the most salient and recent, within a budget.
        if let remembered = try? database.memories.recall(for: text, at: clock.date, limit: 8, tokenBudget: Self.memoryBudget), !remembered.isEmpty {
            preamble += "\n\nWhat the child told you in earlier conversations:\n" + remembered.map { "- \($0.text)" }.joined(separator: "\n")
        }
        // The scene's instructions come after the safety preamble, which they never loosen.
        if let scene {
            let score = scene.id == "learning_game"
                ? try? GameScore.today(database.settings, day: GameScore.day(of: clock.date, calendar: calendar)) : nil
            if let instructions = ScenePrompt.instructions(scene, childAge: configuration.childAge, score: score) {
                preamble += "\n\n" + instructions
            }
        }
        let system = ChatMessage(role: .system, content: preamble)
        let tail = (guidance.map { [ChatMessage(role: .system, content: $0)] } ?? []) + [ChatMessage(role: .user, content: text)]
        return PromptBudget.fit(system: system, history: history(), tail: tail, budget: configuration.promptTokenBudget)
    }

    /// Only what left the device before goes again: redacted, and never a held-back request.
    private func history() -> [[ChatMessage]] {
        guard configuration.historyTurns > 0, let recent = try? database.conversations.recent(limit: configuration.historyTurns) else { return [] }
        return recent.compactMap { turn in
            guard turn.outcome == .answered, let sent = turn.sentText, !sent.isEmpty else { return nil }
            var exchange = [ChatMessage(role: .user, content: sent)]
            if !turn.toyText.isEmpty { exchange.append(ChatMessage(role: .assistant, content: turn.toyText)) }
            return exchange
        }
    }
}
