import CubbyCloud
@testable import CubbyRuntime
import Testing

@Suite struct PromptBudgetTests {
    @Test func theOldestExchangesGoFirstAndTheChildsWordsAlwaysStay() {
        let system = ChatMessage(role: .system, content: String(repeating: "rules ", count: 100))   // ~154 tokens
        let history = (1...5).map { index in
            [ChatMessage(role: .user, content: "question \(index) " + String(repeating: "x", count: 200)),
             ChatMessage(role: .assistant, content: "answer \(index) " + String(repeating: "y", count: 200))]
        }
        let tail = [ChatMessage(role: .user, content: "what now?")]
        let all = PromptBudget.fit(system: system, history: history, tail: tail, budget: 100_000)
        #expect(all.count == 1 + 10 + 1)
        let tight = PromptBudget.fit(system: system, history: history, tail: tail, budget: 300)
        #expect(tight.first == system && tight.last == tail[0])
        let questions = tight.filter { $0.role == .user }.map { String($0.content.prefix(10)) }
        #expect(questions == ["question 5", "what now?"], "only the newest exchange fits")
        let none = PromptBudget.fit(system: system, history: history, tail: tail, budget: 10)
        #expect(none == [system, tail[0]], "over budget: still the preamble and the child's words")
    }

    @Test func chineseCountsACharacterAToken() {
        #expect(PromptBudget.estimatedTokens("天空为什么是蓝色的") == 9 + 4)
        #expect(PromptBudget.estimatedTokens("why is the sky blue") == 5 + 4)
    }
}
