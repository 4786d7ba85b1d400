import CubbyCore
import Foundation

/// Puts text into the one form the rules are written against, undoing the tricks used to slip past
/// filters: full-width and other compatibility forms, traditional characters, letters and digits
/// swapped ("s3x", "k1ll"), and spacing or punctuation pushed inside a word ("m a t c h", "s.e.x",
/// "火 柴"). Rules then need one spelling per word.
///
/// The result is lower case, simplified Chinese, with single spaces and no punctuation inside words;
/// sentence punctuation between words is kept as a space. Pure and thread-safe.
public struct TextNormaliser: Sendable {
    /// Traditional → simplified characters (OpenCC's table, `Rules/t2s.tsv`).
    private let simplified: [Character: Character]

    public init(simplified: [Character: Character]) {
        self.simplified = simplified
    }

    /// The normaliser with the package's character table.
    public static func builtIn() throws(CubbyError) -> TextNormaliser {
        guard let url = Bundle.module.url(forResource: "t2s", withExtension: "tsv", subdirectory: "Rules") else {
            throw CubbyError(.invalidConfiguration, "the traditional-to-simplified table is missing from the installation",
                             context: "CubbySafety/Rules/t2s.tsv")
        }
        var table: [Character: Character] = [:]
        for line in try FileBytes.readText(at: url.path).split(separator: "\n") where !line.hasPrefix("#") {
            let pair = line.split(separator: "\t")
            if pair.count == 2, let from = pair[0].first, let to = pair[1].first { table[from] = to }
        }
        return TextNormaliser(simplified: table)
    }

    /// Digits and symbols read as letters inside a word that also has letters.
    static let lookalikes: [Character: Character] = [
        "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i", "|": "l", "€": "e",
    ]
    /// Characters that carry nothing and are used to split words invisibly.
    static let invisible: Set<Unicode.Scalar> = ["\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00AD}"]
    /// Punctuation that may sit inside a word to break it ("s.e.x", "ma-tch", "k*ll").
    static let joiners: Set<Character> = [".", "-", "_", "*", "~", "·", "•", "/", "\\", "+", "^", "'", "`", ",", "。", "、", "，"]

    public func normalise(_ text: String) -> String {
        // Compatibility forms (full-width letters, ligatures, circled digits), case, invisible characters.
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var characters: [Character] = []
        characters.reserveCapacity(folded.count)
        for character in folded {
            if character.unicodeScalars.allSatisfy({ Self.invisible.contains($0) }) { continue }
            characters.append(simplified[character] ?? (character == "’" ? "'" : character))
        }
        // Words: runs of letters, digits and joiners; everything else separates.
        var tokens: [[Character]] = []
        var current: [Character] = []
        for character in characters {
            if character.isLetter || character.isNumber || Self.joiners.contains(character) || Self.lookalikes[character] != nil {
                current.append(character)
            } else {
                if !current.isEmpty { tokens.append(current) }
                current = []
            }
        }
        if !current.isEmpty { tokens.append(current) }
        let words = tokens.compactMap(Self.cleanWord)
        return Self.joinSpelledOut(words).joined(separator: " ")
    }

    /// One token: joiners between letters dropped, lookalikes read as letters when the word has letters,
    /// trailing sentence punctuation removed. Nil when nothing is left.
    static func cleanWord(_ token: [Character]) -> String? {
        let hasLetters = token.contains { $0.isLetter }
        let isNumber = token.allSatisfy { $0.isNumber || $0 == "." || $0 == "," }
        if isNumber {
            // "3.5", "1,000": a number stays a number, without sentence punctuation at its end.
            let number = String(token).trimmingCharacters(in: CharacterSet(charactersIn: ".,"))
            return number.isEmpty ? nil : number
        }
        // A symbol that reads as a letter only does so inside a word: "l!ghter" is "lighter", but in
        // "shop!" the "!" ends the sentence.
        var token = token[...]
        while let last = token.last, lookalikes[last] != nil, !last.isNumber { token = token.dropLast() }
        while let first = token.first, lookalikes[first] != nil, !first.isNumber { token = token.dropFirst() }
        var out: [Character] = []
        for character in token {
            if joiners.contains(character) { continue }
            if hasLetters, let letter = lookalikes[character] { out.append(letter); continue }
            if lookalikes[character] != nil && !character.isNumber { continue }
            out.append(character)
        }
        return out.isEmpty ? nil : String(out)
    }

    /// "m a t c h" → "match": three or more single Latin letters in a row are one spelled-out word.
    /// Han characters are always written without spaces, so spaced ones ("火 柴") are joined too.
    static func joinSpelledOut(_ words: [String]) -> [String] {
        var result: [String] = []
        var run: [String] = []
        var runIsHan = false
        func flush() {
            if run.count >= 3 || (runIsHan && run.count >= 2) {
                result.append(run.joined())
            } else {
                result += run
            }
            run = []
        }
        for word in words {
            let single = word.count == 1 && word.first!.isLetter
            let han = word.unicodeScalars.allSatisfy { $0.properties.isIdeographic }
            if (single && !han && !runIsHan) || (han && (runIsHan || run.isEmpty)) {
                if run.isEmpty { runIsHan = han }
                run.append(word)
            } else {
                flush()
                if single || han {
                    runIsHan = han
                    run.append(word)
                } else {
                    result.append(word)
                }
            }
        }
        flush()
        return result
    }
}
