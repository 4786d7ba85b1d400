/// Finds which of many terms occur in a normalised text in one pass, so that only the rules whose terms
/// are present run their regular expressions. A sentence has to be judged in well under a millisecond on
/// the toy, and one regular expression costs about a microsecond; hundreds of them on every sentence
/// would not fit.
///
/// Terms are normalised-space strings. A term that starts (or ends) with a Latin letter or digit must sit
/// on a word boundary there, so "ass" is not found in "class"; a trailing `*` makes it a prefix
/// ("kill*" finds "killing"). Han terms match anywhere, as Chinese is written without spaces.
struct TermIndex: Sendable {
    private struct Term: Sendable {
        var bytes: [UInt8]
        var isPrefix: Bool
        var boundedStart: Bool
        var boundedEnd: Bool
        var id: Int
    }

    private var terms: [Term] = []
    /// Candidates by their first two bytes.
    private var byStart: [UInt16: [Int]] = [:]

    /// Adds a term and returns its id. Terms shorter than two bytes are refused by the caller.
    mutating func add(_ spelling: String) -> Int {
        var text = spelling
        let isPrefix = text.hasSuffix("*")
        if isPrefix { text.removeLast() }
        let bytes = Array(text.utf8)
        let id = terms.count
        terms.append(Term(bytes: bytes, isPrefix: isPrefix, boundedStart: Self.isWordByte(bytes[0]),
                          boundedEnd: !isPrefix && Self.isWordByte(bytes[bytes.count - 1]), id: id))
        byStart[Self.key(bytes[0], bytes[1]), default: []].append(id)
        return id
    }

    var count: Int { terms.count }

    /// The term as it matches (without the prefix star): two lexicons listing one word count once.
    func spelling(of id: Int) -> [UInt8] { terms[id].bytes }

    /// The ids of every term found in `text` (already normalised).
    func find(in text: [UInt8]) -> Set<Int> {
        var found: Set<Int> = []
        let count = text.count
        guard count >= 2 else { return found }
        for start in 0..<(count - 1) where text[start] & 0xC0 != 0x80 {
            guard let candidates = byStart[Self.key(text[start], text[start + 1])] else { continue }
            for index in candidates {
                let term = terms[index]
                if found.contains(term.id) { continue }
                let end = start + term.bytes.count
                guard end <= count else { continue }
                if term.boundedStart && start > 0 && Self.isWordByte(text[start - 1]) { continue }
                if term.boundedEnd && end < count && Self.isWordByte(text[end]) { continue }
                var same = true
                var offset = 2
                while offset < term.bytes.count {
                    if text[start + offset] != term.bytes[offset] { same = false; break }
                    offset += 1
                }
                if same { found.insert(term.id) }
            }
        }
        return found
    }

    private static func key(_ first: UInt8, _ second: UInt8) -> UInt16 { UInt16(first) << 8 | UInt16(second) }

    /// ASCII letters and digits: the bytes a Latin word is made of after normalisation.
    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
    }
}
