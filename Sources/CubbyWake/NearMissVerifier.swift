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
        let dictionary = try Self.readDictionary(dictionaryPath, extra: pronunciations)
        var alternatives: [String] = []
        var usedWords = Set(PronunciationDictionary.words(in: self.phrases))
        for phrase in self.phrases {
            let words = phrase.split(separator: " ").map(String.init)
            for (position, word) in words.enumerated() {
                // Two-sound words ("hey") have near misses that swallow the next word's first sound
                // ("haid teddy"); the name is where confusions matter.
                guard let phones = dictionary.first[word], phones.count >= 3 || words.count == 1 else { continue }
                for neighbour in Self.neighbours(of: word, phones: phones, in: dictionary.all) {
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

        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-verify-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        } catch {
            throw CubbyError(.wake, "cannot create a working folder: \(error)", context: workDirectory)
        }
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        let lines = try PronunciationDictionary.lines(for: usedWords.sorted(), extra: pronunciations, dictionaryPath: dictionaryPath)
        let grammar = "#JSGF V1.0;\ngrammar verify;\npublic <utterance> = " + (self.phrases + alternatives).map { "( \($0) )" }.joined(separator: " | ") + ";\n"
        try FileBytes.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: workDirectory + "/verify.dict")
        try FileBytes.writeAtomically(Array(grammar.utf8), to: workDirectory + "/verify.gram")

        let arguments = ["cubby", "-hmm", modelDirectory, "-dict", workDirectory + "/verify.dict", "-jsgf", workDirectory + "/verify.gram",
                         "-logfn", "/dev/null"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        guard let config = cmd_ln_parse_r(nil, ps_args(), Int32(argv.count), &argv, 1) else {
            throw CubbyError(.wake, "PocketSphinx rejected the verifier's configuration", context: modelDirectory)
        }
        guard let decoder = ps_init(config) else {
            cmd_ln_free_r(config)
            throw CubbyError(.wake, "PocketSphinx could not build the near-miss grammar for \(self.phrases)", context: modelDirectory)
        }
        cmd_ln_free_r(config)
        self.decoder = decoder
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

    /// Dictionary words (first pronunciation and all pronunciations) from the system dictionary and extras.
    static func readDictionary(_ path: String, extra: [String: String]) throws(CubbyError) -> (first: [String: [Substring]], all: [(String, [Substring])]) {
        var first: [String: [Substring]] = [:]
        var all: [(String, [Substring])] = []
        for (word, phones) in extra {
            let split = phones.uppercased().split(separator: " ")
            first[word] = split
            all.append((word, split))
        }
        let text = try FileBytes.readText(at: path)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count > 1 else { continue }
            let entry = parts[0]
            let word = String(entry.split(separator: "(", maxSplits: 1).first ?? entry)
            // Only plain words: no punctuation-bearing entries, which a grammar cannot hold.
            guard word.allSatisfy({ $0.isLetter || $0 == "'" }) else { continue }
            let phones = Array(parts.dropFirst())
            if first[word] == nil { first[word] = phones }
            all.append((word, phones))
        }
        return (first, all)
    }

    /// Words whose pronunciation is a few sounds away from `phones` (but not the word), nearest first.
    ///
    /// Distance is Levenshtein over phones with a half cost for the swaps listeners confuse most: a
    /// consonant for its voiced or voiceless twin (T/D, P/B, K/G…) and a vowel for another vowel. So
    /// "daddy" (D AE D IY) is one step from "teddy" (T EH D IY), as it sounds.
    static func neighbours(of word: String, phones: [Substring], in dictionary: [(String, [Substring])]) -> [String] {
        let limit = Double(max(1, phones.count / 2))
        var found: [(String, Double)] = []
        var seen: Set<String> = [word]
        for (candidate, candidatePhones) in dictionary where abs(candidatePhones.count - phones.count) <= Int(limit) && !seen.contains(candidate) {
            // One vowel swapped for another is an accent ("olexa", "taddy"), not another word; a sound added
            // at either edge is usually the neighbouring word's sound, not another word.
            if candidatePhones.count == phones.count && isVowelSwap(phones, candidatePhones) { continue }
            if candidatePhones.count == phones.count + 1
                && (Array(candidatePhones.dropFirst()) == phones || Array(candidatePhones.dropLast()) == phones) { continue }
            let distance = weightedDistance(phones, candidatePhones, limit: limit)
            if distance > 0 && distance <= limit {
                found.append((candidate, distance))
                seen.insert(candidate)
            }
        }
        return found.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(neighboursPerWord).map(\.0)
    }

    static let voicingPairs: [Substring: Substring] = [
        "P": "B", "B": "P", "T": "D", "D": "T", "K": "G", "G": "K", "F": "V", "V": "F",
        "S": "Z", "Z": "S", "SH": "ZH", "ZH": "SH", "CH": "JH", "JH": "CH", "TH": "DH", "DH": "TH",
    ]

    static func substitutionCost(_ a: Substring, _ b: Substring) -> Double {
        if a == b { return 0 }
        if voicingPairs[a] == b || (vowels.contains(a) && vowels.contains(b)) { return 0.5 }
        return 1
    }

    /// Weighted Levenshtein distance over phones, giving up early above `limit`.
    static func weightedDistance(_ a: [Substring], _ b: [Substring], limit: Double) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return Double(max(a.count, b.count)) }
        var previous = (0...b.count).map(Double.init)
        var current = [Double](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = Double(i)
            var rowMinimum = current[0]
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitutionCost(a[i - 1], b[j - 1]))
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// ARPAbet vowels (stress digits are not used by the PocketSphinx dictionary).
    static let vowels: Set<Substring> = ["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"]

    /// Same length, and every difference is a vowel replaced by a vowel.
    static func isVowelSwap(_ a: [Substring], _ b: [Substring]) -> Bool {
        zip(a, b).allSatisfy { $0 == $1 || (vowels.contains($0) && vowels.contains($1)) }
    }
}
