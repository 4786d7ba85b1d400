import CubbyCore
import CubbyMemory
import CubbyPersona
import CubbySafety
import Foundation

/// "What do you know about me?" / "你记得我什么？" answered on the device, from the store, in the child's
/// language: only what the child told the toy (never alerts or parents' notes), and nothing the cloud
/// could embellish. Each fact passes the outbound filter again before it is said.
struct MemoryAnswers: Sendable {
    var persona: Persona
    var memories: MemoryStore
    var filter: any SafetyFilter
    var context: SafetyContext
    var voice: Voice

    static let englishAsks = [
        "what do you know about me", "what do you remember about me", "what have i told you", "what did i tell you about me",
        "what do you remember of me", "tell me what you know about me", "tell me what you remember about me", "do you remember anything about me",
    ]
    static let chineseAsks = ["你记得我什么", "你知道我什么", "你还记得我什么", "你记得关于我", "你对我了解什么", "我告诉过你什么", "我跟你说过什么", "你都记得我哪些"]

    /// The question asked as itself: whole words in English ("…about meteors" is not "…about me"), and
    /// in Chinese the phrase ending the sentence (not "你知道我什么时候生日吗").
    static func isAsking(_ text: String) -> Bool {
        let plain = " " + String(text.lowercased().map { $0.isLetter || $0.isNumber || $0 == " " || $0 == "'" ? $0 : " " })
            .split(separator: " ").joined(separator: " ") + " "
        if englishAsks.contains(where: { plain.contains(" " + $0 + " ") }) { return true }
        var han = text.filter { !$0.isWhitespace && !$0.isPunctuation && !$0.isSymbol }
        while let last = han.last, "吗呢啊呀吧".contains(last) { han.removeLast() }
        return chineseAsks.contains { han.hasSuffix($0) || han.hasSuffix($0 + "事") || han.hasSuffix($0 + "事情") }
    }

    /// The answer's sentences: what is remembered, at most five facts, most telling first.
    func sentences(for heard: String) -> [String] {
        let locale = persona.locale(for: heard)
        let everything = ((try? memories.mostSalient(limit: 200, at: Date())) ?? [])
        let inLanguage = everything.filter { $0.language == locale.code }
        // Lazily: the filter runs only until five facts have passed it.
        let chosen = Array((inLanguage.isEmpty ? everything : inLanguage).lazy
            .filter { filter.check($0.text, direction: .outbound, context: context).decision == .allow }
            .prefix(5)
            .map(\.text))
        let chinese = locale.code == "zh"
        guard !chosen.isEmpty else {
            return [chinese ? "你还没有告诉我很多关于你的事呢。你喜欢做什么呀？" : "You haven't told me much about you yet. What do you like to do?"]
        }
        if chinese {
            return ["我记得这些：" + chosen.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "。.！!")) }.joined(separator: "；") + "。", "你还有新的事情要告诉我吗？"]
        }
        let facts = chosen.map { fact -> String in
            let trimmed = fact.trimmingCharacters(in: .whitespaces)
            return trimmed.last.map { ".!?".contains($0) } == true ? trimmed : trimmed + "."
        }
        return ["Here's what I remember. " + facts.joined(separator: " "), "Is there anything new you want to tell me?"]
    }

    func answer(heard: String, input: TurnInput, turn: inout TurnReport) async {
        turn.outcome = .answered
        for sentence in sentences(for: heard) { await voice.say(line: sentence, in: &turn, since: input.endOfSpeech) }
        await voice.finish()
    }
}
