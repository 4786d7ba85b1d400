import CubbyCore
import Foundation

/// The on-disk form of a rule file (format 2). See `Rules/README.md` for how to write one.
struct RuleFile: Decodable {
    static let currentFormat = 2

    struct Entry: Decodable {
        var id: String
        var category: String
        var directions: [String]
        var terms: [String]?
        var patterns: [String]?
        var unless: [String]?
        var weight: Double?
        var tiers: [String: Double]?
        /// Count every distinct term found, not just the rule once (for lists of mild words, where
        /// three of them in one sentence say more than one).
        var per_term: Bool?
    }

    var format: Int
    var version: String
    var lexicons: [String: [String]]
    var rules: [Entry]
    /// Patterns that mark a text as advice about a harm ("tell a teacher"): a classifier verdict on
    /// such a text counts only as evidence, since the classifier cannot tell advice from abuse.
    var classifierVetoes: [String]

    init(format: Int, version: String, lexicons: [String: [String]], rules: [Entry], classifierVetoes: [String] = []) {
        self.format = format
        self.version = version
        self.lexicons = lexicons
        self.rules = rules
        self.classifierVetoes = classifierVetoes
    }

    enum CodingKeys: String, CodingKey { case format, version, lexicons, rules, classifierVetoes = "classifier_vetoes" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(Int.self, forKey: .format)
        version = try container.decode(String.self, forKey: .version)
        lexicons = try container.decodeIfPresent([String: [String]].self, forKey: .lexicons) ?? [:]
        rules = try container.decode([Entry].self, forKey: .rules)
        classifierVetoes = try container.decodeIfPresent([String].self, forKey: .classifierVetoes) ?? []
    }

    static func load(contentsOf path: String) throws(CubbyError) -> RuleFile {
        let bytes = try FileBytes.read(at: path)
        let file: RuleFile
        do {
            file = try JSONDecoder().decode(RuleFile.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) {
            throw CubbyError(.invalidConfiguration, "malformed rule file: \(context.debugDescription) \(context.underlyingError.map { "\($0)" } ?? "")", context: path)
        } catch let DecodingError.keyNotFound(key, context) {
            throw CubbyError(.invalidConfiguration, "malformed rule file: missing \"\(key.stringValue)\" at \(Self.describe(context.codingPath))", context: path)
        } catch let DecodingError.typeMismatch(_, context) {
            throw CubbyError(.invalidConfiguration, "malformed rule file: wrong type at \(Self.describe(context.codingPath))", context: path)
        } catch {
            throw CubbyError(.invalidConfiguration, "malformed rule file", context: path, underlying: error)
        }
        guard file.format == currentFormat else {
            throw CubbyError(.invalidConfiguration, "rule file format \(file.format) is not supported (expected \(currentFormat))", context: path)
        }
        return file
    }

    private static func describe(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    struct LexiconError: Error { var message: String }

    /// `{name}` in a pattern becomes a group of the lexicon's words; `word*` in a lexicon is a prefix.
    func expandLexicons(in pattern: String) throws(LexiconError) -> String {
        var result = ""
        var rest = pattern[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else { result += rest[open...]; return result }
            let name = rest[afterOpen..<close]
            if let first = name.first, first.isLetter, name.allSatisfy({ $0.isLetter || $0 == "_" }) {
                guard let words = lexicons[String(name)] else { throw LexiconError(message: "unknown lexicon {\(name)} in a pattern") }
                let alternatives = words.sorted { $0.count > $1.count }.map { word in
                    word.hasSuffix("*") ? NSRegularExpression.escapedPattern(for: String(word.dropLast())) + "\\w*"
                        : NSRegularExpression.escapedPattern(for: word)
                }
                result += "(?:" + alternatives.joined(separator: "|") + ")"
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }
}
