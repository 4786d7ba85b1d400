/// Sentencepiece's unigram tokenizer for the encoder's trimmed vocabulary, in Swift.
///
/// Two steps, as sentencepiece does them: normalise (the model's own nmt_nfkc table, applied by longest
/// match over UTF-8 bytes; whitespace runs collapsed, trimmed, and spelled U+2581 with one in front),
/// then the Viterbi segmentation that maximises the sum of the pieces' log-probabilities, a character
/// with no piece becoming <unk>. Ties break as the C++ library breaks them, so ids match the trainer's
/// (`scripts/safety_model/encoder.py`, `Tokenizer`) exactly; the model file's probes test that.
struct PieceTokenizer: Sendable {
    static let unknown: Int32 = 0
    static let begin: Int32 = 1
    static let end: Int32 = 2
    private static let space: Unicode.Scalar = "\u{2581}"

    private struct MapKey: Hashable {
        var bytes: UInt64
        var length: UInt8
    }

    private let scores: [Double]
    private let unknownScore: Double
    private let longestPiece: Int
    /// Hash of every piece and of every prefix of one, over Unicode scalars: the piece id + 1, or 0 for a
    /// prefix that is not itself a piece (the walk goes on). 64-bit FNV-1a; with ~100k keys a collision
    /// is a one-in-a-billion event, and would only change one segmentation.
    private let prefixes: [UInt64: Int32]
    private let normalisation: [MapKey: [UInt8]]
    private let longestKey: Int

    init(pieces: [String], scores: [Float], mapKeys: [[UInt8]], mapValues: [[UInt8]]) {
        self.scores = scores.map(Double.init)
        unknownScore = Double(scores.min() ?? 0) - 10
        var prefixes: [UInt64: Int32] = [:]
        var longest = 1
        for (id, piece) in pieces.enumerated() where id > 2 {
            var hash = Self.fnvOffset
            let scalars = Array(piece.unicodeScalars)
            longest = max(longest, scalars.count)
            for (index, scalar) in scalars.enumerated() {
                hash = Self.fnv(hash, scalar)
                if index == scalars.count - 1 {
                    prefixes[hash] = Int32(id + 1)
                } else if prefixes[hash] == nil {
                    prefixes[hash] = 0
                }
            }
        }
        self.prefixes = prefixes
        longestPiece = longest
        var normalisation: [MapKey: [UInt8]] = [:]
        var longestKey = 1
        for (key, value) in zip(mapKeys, mapValues) where !key.isEmpty && key.count <= 8 {
            normalisation[Self.mapKey(key[...])] = value
            longestKey = max(longestKey, key.count)
        }
        self.normalisation = normalisation
        self.longestKey = longestKey
    }

    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    private static func fnv(_ hash: UInt64, _ scalar: Unicode.Scalar) -> UInt64 {
        (hash ^ UInt64(scalar.value)) &* 0x0000_0100_0000_01b3
    }

    private static func mapKey(_ bytes: ArraySlice<UInt8>) -> MapKey {
        var packed: UInt64 = 0
        for (shift, byte) in bytes.enumerated() { packed |= UInt64(byte) << (8 * UInt64(shift)) }
        return MapKey(bytes: packed, length: UInt8(bytes.count))
    }

    /// The text as the model reads it: normalised, with U+2581 for each word's leading space.
    func normalise(_ text: String) -> [Unicode.Scalar] {
        let raw = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var position = 0
        while position < raw.count {
            var matched = false
            var length = min(longestKey, raw.count - position)
            while length > 0 {
                if let replacement = normalisation[Self.mapKey(raw[position..<(position + length)])] {
                    out += replacement
                    position += length
                    matched = true
                    break
                }
                length -= 1
            }
            if !matched {
                let width = Self.sequenceLength(raw, at: position)
                out += raw[position..<(position + width)]
                position += width
            }
        }
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(out.count + 1)
        var pendingSpace = true
        for scalar in String(decoding: out, as: UTF8.self).unicodeScalars {
            if scalar == " " {
                pendingSpace = true
                continue
            }
            if pendingSpace { scalars.append(Self.space) }
            pendingSpace = false
            scalars.append(scalar)
        }
        return scalars
    }

    /// The length of the UTF-8 sequence starting at `position`, or 1 for a malformed one (as sentencepiece).
    private static func sequenceLength(_ raw: [UInt8], at position: Int) -> Int {
        let first = raw[position]
        let length: Int
        switch first {
        case ..<0x80: return 1
        case _ where first >> 5 == 0x6: length = 2
        case _ where first >> 4 == 0xE: length = 3
        case _ where first >> 3 == 0x1E: length = 4
        default: return 1
        }
        guard position + length <= raw.count else { return 1 }
        for k in 1..<length where raw[position + k] & 0xC0 != 0x80 { return 1 }
        return length
    }

    /// Piece ids with <s> in front and </s> behind, as the encoder takes them.
    func encode(_ text: String) -> [Int32] {
        let s = normalise(text)
        guard !s.isEmpty else { return [Self.begin, Self.unknown, Self.end] }
        let count = s.count
        var best = [Double](repeating: -1e38, count: count + 1)
        best[0] = 0
        var startOf = [Int](repeating: 0, count: count + 1)
        var pieceOf = [Int32](repeating: 0, count: count + 1)
        for i in 0..<count {
            let base = best[i]
            var hasSingle = false
            var hash = Self.fnvOffset
            var j = i
            while j < min(i + longestPiece, count) {
                hash = Self.fnv(hash, s[j])
                j += 1
                guard let value = prefixes[hash] else { break }
                if value > 0 {
                    let score = base + scores[Int(value - 1)]
                    if score > best[j] {
                        best[j] = score
                        startOf[j] = i
                        pieceOf[j] = value - 1
                    }
                    if j == i + 1 { hasSingle = true }
                }
            }
            if !hasSingle {
                let score = base + unknownScore
                if score > best[i + 1] {
                    best[i + 1] = score
                    startOf[i + 1] = i
                    pieceOf[i + 1] = Self.unknown
                }
            }
        }
        var ids: [Int32] = []
        var p = count
        while p > 0 {
            ids.append(pieceOf[p])
            p = startOf[p]
        }
        return [Self.begin] + ids.reversed() + [Self.end]
    }
}
