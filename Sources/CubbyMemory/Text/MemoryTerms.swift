/// The search terms of a fact or a question, the same way for both, in English and Chinese.
///
/// SQLite's own tokenizers do not fit a bilingual toy: `unicode61` takes a run of Chinese characters as
/// one word, and `trigram` cannot match the two-character words Chinese is made of (熊猫, 小狗). So the
/// toy makes its own terms — English words lower-cased with a light plural/-ing trim and stop words
/// dropped, and every character pair of a Chinese run (single characters too, for one-character runs) —
/// and FTS5 indexes them as plain tokens.
public enum MemoryTerms {
    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "child", "did", "do", "does", "for", "from", "had", "has",
        "have", "he", "her", "his", "how", "i", "if", "in", "is", "it", "its", "kid", "me", "my", "of", "on", "or", "our", "she",
        "so", "that", "the", "their", "them", "they", "this", "to", "was", "we", "were", "what", "when", "where", "who", "why",
        "will", "with", "you", "your", "about", "tell", "know", "remember", "there", "then", "than", "just", "very", "really",
        "like", "likes", "liked", "loves", "love", "called", "named", "name",
    ]
    static let chineseStop: Set<Character> = ["的", "了", "是", "我", "你", "他", "她", "它", "们", "吗", "呢", "吧", "啊", "在", "有", "和", "很", "也", "都", "就", "个"]

    public static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        var word = ""
        var han: [Character] = []
        func flushWord() {
            defer { word = "" }
            guard word.count >= 2, !stopWords.contains(word) else { return }
            terms.append(stem(word))
        }
        func flushHan() {
            defer { han = [] }
            let kept = han.filter { !chineseStop.contains($0) }
            if kept.count == 1 { terms.append(String(kept[0])) }
            if han.count >= 2 {
                for i in 0..<(han.count - 1) where !(chineseStop.contains(han[i]) && chineseStop.contains(han[i + 1])) {
                    terms.append(String(han[i]) + String(han[i + 1]))
                }
            }
        }
        for character in text.lowercased() {
            if isHan(character) {
                flushWord()
                han.append(character)
            } else if character.isLetter || character.isNumber {
                flushHan()
                word.append(character)
            } else {
                flushWord()
                flushHan()
            }
        }
        flushWord()
        flushHan()
        var seen = Set<String>()
        return terms.filter { seen.insert($0).inserted }
    }

    static func isHan(_ character: Character) -> Bool {
        character.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
    }

    /// "dogs" → "dog", "playing" → "play": enough that a question finds the fact it was told as.
    static func stem(_ word: String) -> String {
        guard word.allSatisfy(\.isASCII), word.count >= 4 else { return word }
        for suffix in ["ing", "es", "s"] where word.hasSuffix(suffix) && word.count - suffix.count >= 3 {
            if suffix == "es" && !(word.hasSuffix("ses") || word.hasSuffix("xes") || word.hasSuffix("ches") || word.hasSuffix("shes")) { continue }
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    /// The language a fact is in: "zh" when it holds Chinese characters, else "en".
    public static func language(of text: String) -> String { text.contains(where: isHan) ? "zh" : "en" }

    /// How alike two facts are (Jaccard over their terms): near-duplicates update the old fact.
    public static func similarity(_ a: [String], _ b: [String]) -> Double {
        let (x, y) = (Set(a), Set(b))
        guard !x.isEmpty || !y.isEmpty else { return 1 }
        return Double(x.intersection(y).count) / Double(x.union(y).count)
    }

    /// An FTS5 query matching any of the terms.
    static func anyOf(_ terms: [String]) -> String {
        terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
    }

    /// An FTS5 query matching all of the terms.
    static func allOf(_ terms: [String]) -> String {
        terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " AND ")
    }
}
