/// Cuts streamed model text into sentences as soon as each one is complete.
///
/// The toy speaks sentence by sentence: each sentence is judged by the safety filter and synthesized while
/// later ones are still arriving. A sentence ends at `.`, `!`, `?`, `…` or their Chinese forms (`。！？；`)
/// followed by white space, a closing quote, or (for Chinese marks) anything; a period between digits
/// ("3.5") or after a common abbreviation ("Mr.") does not end one. Text left at the end of the stream is
/// flushed as a last sentence.
public struct SentenceSegmenter: Sendable {
    private var pending: String = ""

    /// Sentences longer than this are cut at the last comma or space, so one run-on sentence cannot hold
    /// the speaker silent for long.
    public var maximumLength: Int

    public init(maximumLength: Int = 240) {
        self.maximumLength = maximumLength
    }

    private static let westernEnders: Set<Character> = [".", "!", "?", "…"]
    private static let chineseEnders: Set<Character> = ["。", "！", "？", "；", "!", "?"]
    private static let closers: Set<Character> = ["\"", "'", "”", "’", ")", "）", "」", "』"]
    private static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e"]

    /// Adds streamed text and returns every sentence it completed, trimmed, in order.
    public mutating func append(_ text: String) -> [String] {
        pending += text
        var sentences: [String] = []
        while let cut = nextBoundary() {
            let sentence = String(pending[..<cut]).trimmingSpaces()
            pending = String(pending[cut...])
            if !sentence.isEmpty { sentences.append(sentence) }
        }
        return sentences
    }

    /// Returns whatever is left as a final sentence, or nil when nothing but white space is left.
    public mutating func finish() -> String? {
        let rest = pending.trimmingSpaces()
        pending = ""
        return rest.isEmpty ? nil : rest
    }

    private func nextBoundary() -> String.Index? {
        var index = pending.startIndex
        while index < pending.endIndex {
            let character = pending[index]
            let next = pending.index(after: index)
            if Self.chineseEnders.contains(character) && !Self.westernEnders.contains(character) {
                return endOfClosers(from: next)
            }
            if Self.westernEnders.contains(character) {
                // Need to see what follows before deciding; wait for more text at the end of the buffer.
                guard next < pending.endIndex else { return nil }
                let after = pending[next]
                if character == "." && after.isNumber && index > pending.startIndex
                    && pending[pending.index(before: index)].isNumber {
                    index = next
                    continue
                }
                if after.isWhitespace || Self.closers.contains(after) || Self.westernEnders.contains(after) {
                    if character == "." && endsWithAbbreviation(before: index) {
                        index = next
                        continue
                    }
                    let cut = endOfClosers(from: next)
                    if cut == pending.endIndex && Self.westernEnders.contains(after) { return nil }
                    return cut
                }
                if !after.isASCII { return next }
            }
            index = next
        }
        if pending.count > maximumLength { return softCut() }
        return nil
    }

    private func endOfClosers(from start: String.Index) -> String.Index {
        var index = start
        while index < pending.endIndex,
              Self.closers.contains(pending[index]) || Self.westernEnders.contains(pending[index]) {
            index = pending.index(after: index)
        }
        return index
    }

    private func endsWithAbbreviation(before period: String.Index) -> Bool {
        var start = period
        while start > pending.startIndex {
            let previous = pending.index(before: start)
            if pending[previous].isLetter || pending[previous] == "." { start = previous } else { break }
        }
        let word = pending[start..<period].lowercased()
        return Self.abbreviations.contains(word)
    }

    private func softCut() -> String.Index? {
        let limit = pending.index(pending.startIndex, offsetBy: maximumLength)
        let head = pending[..<limit]
        if let comma = head.lastIndex(where: { $0 == "," || $0 == "，" || $0 == "、" }) {
            return pending.index(after: comma)
        }
        if let space = head.lastIndex(of: " ") { return pending.index(after: space) }
        return limit
    }
}

extension String {
    /// Leading and trailing white space removed, without Foundation.
    public func trimmingSpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
