import CubbyCore
import Foundation

/// A small linear model over hashed character n-grams: the filter's second judge for what rules
/// cannot list, chiefly insults and slurs in Chinese, where words are not separated and spellings vary.
///
/// It is trained outside the product by `scripts/train-safety-classifier` on the training splits of
/// public data sets, and shipped as a data file (`Classifier/*.cubbymodel`): an 8-byte magic, a JSON
/// header, then one int8 weight per hash bucket and category. Features: the Unicode scalars of the
/// normalised text padded with a space, every n-gram of the header's lengths, hashed with 32-bit FNV-1a
/// over UTF-8 into `buckets`, counted, and scaled to unit length. A category's probability is
/// sigmoid(bias + scale × Σ weight × feature).
public struct NGramClassifier: Sendable {
    public struct Category: Sendable, Decodable {
        public var name: String
        public var bias: Double
        public var scale: Double
        /// The probability at which the category is flagged, per age tier.
        public var thresholds: [String: Double]
        /// Above this, the probability counts as evidence toward the conversation's running risk.
        public var soft: Double
    }

    private struct Header: Decodable {
        var format: Int
        var version: String
        var buckets: Int
        var ngrams: [Int]
        var categories: [Category]
        var probes: [Probe]?
    }

    /// A text and the probabilities the training script computed for it: a test that the device hashes
    /// and scores exactly as the trainer did.
    public struct Probe: Sendable, Decodable {
        public var text: String
        public var probabilities: [Double]
    }

    public let version: String
    public let buckets: Int
    public let ngramLengths: [Int]
    public let categories: [(category: SafetyCategory, settings: Category)]
    public let probes: [Probe]
    /// Category-major: weights[c * buckets + b].
    private let weights: [Int8]

    static let magic = Array("CUBYCLS1".utf8)

    public static func load(contentsOf path: String) throws(CubbyError) -> NGramClassifier {
        let bytes = try FileBytes.read(at: path)
        func fail(_ message: String) -> CubbyError { CubbyError(.invalidConfiguration, "classifier: \(message)", context: path) }
        guard bytes.count > 12, Array(bytes[0..<8]) == magic else { throw fail("not a Cubby classifier file") }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard headerLength > 0, 12 + headerLength <= bytes.count else { throw fail("the header runs past the end of the file") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[12..<(12 + headerLength)]))
        } catch {
            throw fail("malformed header: \(error)")
        }
        guard header.format == 1 else { throw fail("format \(header.format) is not supported (expected 1)") }
        guard header.buckets > 0, header.buckets <= 1 << 22, !header.ngrams.isEmpty, header.ngrams.allSatisfy({ (1...6).contains($0) }) else {
            throw fail("bucket count or n-gram lengths out of range")
        }
        var categories: [(SafetyCategory, Category)] = []
        for entry in header.categories {
            guard let category = SafetyCategory(rawValue: entry.name) else { throw fail("unknown category \"\(entry.name)\"") }
            categories.append((category, entry))
        }
        let expected = 12 + headerLength + header.buckets * categories.count
        guard bytes.count == expected else { throw fail("expected \(expected) bytes, found \(bytes.count) (truncated or corrupt)") }
        let weights = bytes[(12 + headerLength)...].map { Int8(bitPattern: $0) }
        return NGramClassifier(version: header.version, buckets: header.buckets, ngramLengths: header.ngrams,
                               categories: categories, probes: header.probes ?? [], weights: weights)
    }

    private init(version: String, buckets: Int, ngramLengths: [Int], categories: [(SafetyCategory, Category)], probes: [Probe],
                 weights: [Int8]) {
        self.version = version
        self.buckets = buckets
        self.ngramLengths = ngramLengths
        self.categories = categories.map { (category: $0.0, settings: $0.1) }
        self.probes = probes
        self.weights = weights
    }

    /// The hashed, unit-length feature vector of a normalised text, as (bucket, value) pairs.
    func features(of normalised: String) -> [(Int, Double)] {
        // Each scalar's UTF-8 bytes once; an n-gram's hash runs over its scalars' bytes in order.
        var units: [[UInt8]] = [[0x20]]
        for scalar in normalised.unicodeScalars { units.append(Array(String(scalar).utf8)) }
        units.append([0x20])
        var buckets: [Int] = []
        buckets.reserveCapacity(units.count * ngramLengths.count)
        let modulus = UInt32(self.buckets)
        for length in ngramLengths where units.count >= length {
            for start in 0...(units.count - length) {
                var hash: UInt32 = 2_166_136_261
                for unit in units[start..<(start + length)] {
                    for byte in unit {
                        hash ^= UInt32(byte)
                        hash = hash &* 16_777_619
                    }
                }
                buckets.append(Int(hash % modulus))
            }
        }
        buckets.sort()
        var features: [(Int, Double)] = []
        var index = 0
        while index < buckets.count {
            var end = index + 1
            while end < buckets.count && buckets[end] == buckets[index] { end += 1 }
            features.append((buckets[index], Double(end - index)))
            index = end
        }
        let norm = features.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
        guard norm > 0 else { return [] }
        return features.map { ($0.0, $0.1 / norm) }
    }

    /// The probability of each category for a normalised text.
    public func probabilities(of normalised: String) -> [(category: SafetyCategory, probability: Double, settings: Category)] {
        let features = features(of: normalised)
        return categories.enumerated().map { index, entry in
            let base = index * buckets
            var sum = 0.0
            for (bucket, value) in features { sum += Double(weights[base + bucket]) * value }
            let logit = entry.settings.bias + entry.settings.scale * sum
            return (entry.category, 1 / (1 + exp(-logit)), entry.settings)
        }
    }
}
