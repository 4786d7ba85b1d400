import CubbyCore

/// Builds the small pronunciation dictionary a keyphrase search needs.
///
/// PocketSphinx loads its whole dictionary at start-up: the full CMU dictionary costs 0.17 s and 54 MB on
/// this class of machine, five lines cost 0.01 s and 32 MB. The toy only ever spots its own phrases, so it
/// loads only their words.
public enum PronunciationDictionary {
    public static let systemDictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"

    /// Words of the phrases, lower-cased, in first-seen order.
    public static func words(in phrases: [String]) -> [String] {
        var seen: Set<String> = []
        var words: [String] = []
        for phrase in phrases {
            for word in phrase.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }) where seen.insert(String(word)).inserted {
                words.append(String(word))
            }
        }
        return words
    }

    /// Dictionary lines (`word PHONES`, alternates as `word(2) PHONES`) for every word, from `extra` first,
    /// then the system dictionary. Throws naming the first word that has no pronunciation.
    public static func lines(for words: [String], extra: [String: String], dictionaryPath: String = systemDictionary)
        throws(CubbyError) -> [String]
    {
        var lines = words.compactMap { word in extra[word].map { "\(word) \($0.uppercased())" } }
        let wanted = Set(words.filter { extra[$0] == nil })
        guard !wanted.isEmpty else { return lines }
        var found: Set<String> = []
        let text = try FileBytes.readText(at: dictionaryPath)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let entry = line[..<space]
            // Alternate pronunciations are listed as "word(2)".
            let word = String(entry.split(separator: "(", maxSplits: 1).first ?? entry)
            if wanted.contains(word) {
                lines.append(String(line))
                found.insert(word)
            }
        }
        if let absent = words.first(where: { wanted.contains($0) && !found.contains($0) }) {
            throw CubbyError(
                .wake,
                "the word \"\(absent)\" of the wake phrase has no known pronunciation; add it to [wake.pronunciations] in the persona (ARPAbet, e.g. \"M OW M OW\")",
                context: dictionaryPath)
        }
        return lines
    }
}
