import CPocketSphinx
import CubbyCore
import Foundation

/// A second opinion on a keyphrase detection: the detected stretch of audio is decoded again with a
/// grammar that offers the wake phrase *and* its near misses — the phrase with one word swapped for a
/// word that sounds almost the same ("hey daddy", "hey eddie", "hey ready" for "hey teddy"). The
/// detection stands only if the phrase itself wins.
///
/// Keyphrase spotting compares the phrase against a loop of phones, which cannot tell a near miss from
/// the phrase; a forced choice between real words can. The near misses come from the pronunciation
/// dictionary by phone edit distance, so any phrase gets them without training.
public final class NearMissVerifier {
    public let phrases: [String]
    /// The alternatives the phrase must beat, for logs and tests.
    public let nearMisses: [String]
    private let decoder: OpaquePointer

    /// At most this many near misses per word of the phrase: half one sound away, half further.
    public static let neighboursPerWord = 32

    public init(phrases: [String], pronunciations: [String: String], modelDirectory: String = PocketSphinxSpotter.modelDirectory,
                dictionaryPath: String = PronunciationDictionary.systemDictionary) throws(CubbyError) {
        self.phrases = phrases.map { $0.lowercased().trimmingSpaces() }
        let phraseWords = PronunciationDictionary.words(in: self.phrases)
        let dictionary = try PhoneDictionary(path: dictionaryPath, extra: pronunciations, around: phraseWords)
        var alternatives: [String] = []
        var usedWords = Set(phraseWords)
        for phrase in self.phrases {
            let words = phrase.split(separator: " ").map(String.init)
            for (position, word) in words.enumerated() {
                // Two-sound words ("hey") have near misses that swallow the next word's first sound
                // ("haid teddy"); the name is where confusions matter.
                guard let phones = dictionary.first[word], phones.count >= 3 || words.count == 1 else { continue }
                for neighbour in Self.neighbours(of: word, phones: phones, in: dictionary) {
                    var swapped = words
                    swapped[position] = neighbour
                    let alternative = swapped.joined(separator: " ")
                    if !self.phrases.contains(alternative) && !alternatives.contains(alternative) {
                        alternatives.append(alternative)
                        usedWords.insert(neighbour)
                    }
                }
            }
        }
        nearMisses = alternatives

        let lines = try dictionary.lines(for: usedWords.sorted())
        let grammar = ["#JSGF V1.0;", "grammar verify;",
                       "public <utterance> = " + (self.phrases + alternatives).map { "( \($0) )" }.joined(separator: " | ") + ";"]
        let phrases = self.phrases
        decoder = try PocketSphinxDecoder.withScratchFiles(named: "cubby-verify", ["verify.dict": lines, "verify.gram": grammar]) {
            folder throws(CubbyError) -> OpaquePointer in
            try PocketSphinxDecoder.make(options: ["-hmm", modelDirectory, "-dict", folder + "/verify.dict", "-jsgf", folder + "/verify.gram"],
                                         context: modelDirectory, failure: "PocketSphinx could not build the near-miss grammar for \(phrases)")
        }
    }

    deinit { ps_free(decoder) }

    /// Decodes the stretch around a detection; true when the wake phrase beats every near miss.
    public func confirms(_ samples: [Int16]) -> Bool {
        guard ps_start_utt(decoder) == 0 else { return true }
        _ = samples.withUnsafeBufferPointer { ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 1) }
        ps_end_utt(decoder)
        var score: Int32 = 0
        guard let hypothesis = ps_get_hyp(decoder, &score) else { return false }
        return phrases.contains(String(cString: hypothesis).trimmingSpaces())
    }

    /// Words whose pronunciation is a few sounds away from `phones` (but not the word), nearest first.
    ///
    /// Distance is Levenshtein over phones with a half cost for the swaps listeners confuse most: a
    /// consonant for its voiced or voiceless twin (T/D, P/B, K/G…) and a vowel for another vowel. So
    /// "daddy" (D AE D IY) is one step from "teddy" (T EH D IY), as it sounds.
    static func neighbours(of word: String, phones: [UInt8], in dictionary: PhoneDictionary) -> [String] {
        let limit = Double(max(1, phones.count / 2))
        var found: [(String, Double)] = []
        var seen: Set<String> = [word]
        for entry in dictionary.entries where abs(entry.phones.count - phones.count) <= Int(limit) && !seen.contains(entry.word) {
            let candidate = entry.phones
            // One vowel swapped for another is an accent ("olexa", "taddy"), not another word; a sound added
            // at either edge is usually the neighbouring word's sound, not another word.
            if candidate.count == phones.count && dictionary.isVowelSwap(phones, candidate) { continue }
            if candidate.count == phones.count + 1 && (Array(candidate.dropFirst()) == phones || Array(candidate.dropLast()) == phones) { continue }
            let distance = dictionary.weightedDistance(phones, candidate, limit: limit)
            if distance > 0 && distance <= limit {
                found.append((entry.word, distance))
                seen.insert(entry.word)
            }
        }
        return found.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(neighboursPerWord).map(\.0)
    }
}

/// The pronunciation dictionary as small integers, read once: only words of a length that can be near the
/// phrase's words are kept, so building the near misses takes a fraction of a second even on a small board.
struct PhoneDictionary {
    struct Entry {
        var word: String
        var phones: [UInt8]
        /// The dictionary line as written (`word(2) PH ONES`), for the verifier's own small dictionary.
        var line: String
    }

    private(set) var entries: [Entry] = []
    /// Each word's first pronunciation.
    private(set) var first: [String: [UInt8]] = [:]
    private var ids: [Substring: UInt8] = [:]
    private var vowelIDs: Set<UInt8> = []
    private var voicingPairs: Set<UInt16> = []

    static let vowels: Set<Substring> = ["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"]
    static let voicing: [(Substring, Substring)] = [("P", "B"), ("T", "D"), ("K", "G"), ("F", "V"), ("S", "Z"), ("SH", "ZH"), ("CH", "JH"), ("TH", "DH")]

    init(path: String, extra: [String: String], around words: [String]) throws(CubbyError) {
        let text = try FileBytes.readText(at: path)
        var lines = extra.map { "\($0.key) \($0.value.uppercased())" }
        // Phone counts of the phrase's words bound what is worth parsing; counted from spaces, cheaply.
        let wanted = Set(words)
        var lengths: [Int] = []
        for line in text.split(separator: "\n") where wanted.contains(Self.word(of: line)) { lengths.append(line.split(separator: " ").count - 1) }
        for (word, phones) in extra where wanted.contains(word) { lengths.append(phones.split(separator: " ").count) }
        let shortest = max(1, (lengths.min() ?? 1) - (lengths.max() ?? 1) / 2)
        let longest = (lengths.max() ?? 1) + (lengths.max() ?? 1) / 2
        for line in text.split(separator: "\n") {
            var spaces = 0
            for byte in line.utf8 where byte == UInt8(ascii: " ") { spaces += 1 }
            if spaces >= shortest && spaces <= longest { lines.append(String(line)) }
        }
        for line in lines { add(line) }
        for (a, b) in Self.voicing {
            if let x = ids[a], let y = ids[b] { voicingPairs.insert(UInt16(x) << 8 | UInt16(y)); voicingPairs.insert(UInt16(y) << 8 | UInt16(x)) }
        }
        costs = [Double](repeating: 1, count: 256 * 256)
        for a in 0..<256 {
            for b in 0..<256 { costs[a * 256 + b] = substitutionCost(UInt8(a), UInt8(b)) }
        }
    }

    /// Substitution costs, looked up: the distance loop runs over every candidate word.
    private var costs: [Double] = []

    private static func word(of line: Substring) -> String {
        let entry = line.prefix { $0 != " " }
        return String(entry.split(separator: "(", maxSplits: 1).first ?? entry)
    }

    private mutating func add(_ line: String) {
        let parts = line.split(separator: " ")
        guard parts.count > 1 else { return }
        let word = Self.word(of: Substring(line))
        // Only plain words: a grammar cannot hold punctuation.
        guard word.allSatisfy({ $0.isLetter || $0 == "'" }) else { return }
        var phones: [UInt8] = []
        for phone in parts.dropFirst() {
            if let id = ids[phone] {
                phones.append(id)
            } else {
                let id = UInt8(truncatingIfNeeded: ids.count)
                ids[phone] = id
                if Self.vowels.contains(phone) { vowelIDs.insert(id) }
                phones.append(id)
            }
        }
        if first[word] == nil { first[word] = phones }
        entries.append(Entry(word: word, phones: phones, line: line))
    }

    /// Dictionary lines (all pronunciations) for the given words.
    func lines(for words: [String]) throws(CubbyError) -> [String] {
        let wanted = Set(words)
        let lines = entries.filter { wanted.contains($0.word) }.map(\.line)
        if let missing = words.first(where: { first[$0] == nil }) {
            throw CubbyError(.wake, "the word \"\(missing)\" has no known pronunciation", context: "near-miss grammar")
        }
        return lines
    }

    /// Same length, and every difference is a vowel replaced by a vowel.
    func isVowelSwap(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        zip(a, b).allSatisfy { $0 == $1 || (vowelIDs.contains($0) && vowelIDs.contains($1)) }
    }

    func substitutionCost(_ a: UInt8, _ b: UInt8) -> Double {
        if a == b { return 0 }
        if voicingPairs.contains(UInt16(a) << 8 | UInt16(b)) || (vowelIDs.contains(a) && vowelIDs.contains(b)) { return 0.5 }
        return 1
    }

    /// Weighted Levenshtein distance over phones, giving up early above `limit`.
    func weightedDistance(_ a: [UInt8], _ b: [UInt8], limit: Double) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return Double(max(a.count, b.count)) }
        var previous = (0...b.count).map(Double.init)
        var current = [Double](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = Double(i)
            var rowMinimum = current[0]
            let row = Int(a[i - 1]) * 256
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + costs[row + Int(b[j - 1])])
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
