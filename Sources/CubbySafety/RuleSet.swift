import CubbyCore
import Foundation

/// A versioned set of matching rules loaded from a JSON data file.
///
/// Rules are data so that they can be reviewed, versioned and extended by persona packs and parents
/// without a new build; the built-in file ships inside the package (`Rules/core.json`).
public struct RuleSet: Sendable {
    public struct Rule: Sendable {
        public var id: String
        public var category: SafetyCategory
        public var directions: Set<SafetyDirection>
        /// Regular expressions over normalised text (lower case, single spaces).
        public var patterns: [NSRegularExpression]
        /// A sentence that also matches one of these is protective advice ("never play with matches"),
        /// not an instruction, and passes.
        public var unless: [NSRegularExpression]
    }

    public var version: String
    public var rules: [Rule]

    private struct FileFormat: Decodable {
        var format: Int
        var version: String
        var rules: [RuleEntry]
    }

    private struct RuleEntry: Decodable {
        var id: String
        var category: String
        var directions: [String]
        var patterns: [String]
        var unless: [String]?
    }

    /// The rules built into this build of Cubby.
    public static func builtIn() throws(CubbyError) -> RuleSet {
        guard let url = Bundle.module.url(forResource: "core", withExtension: "json", subdirectory: "Rules") else {
            throw CubbyError(.invalidConfiguration, "the built-in safety rules are missing from the installation", context: "CubbySafety/Rules/core.json")
        }
        return try load(contentsOf: url.path)
    }

    public static func load(contentsOf path: String) throws(CubbyError) -> RuleSet {
        let bytes = try FileBytes.read(at: path)
        let file: FileFormat
        do {
            file = try JSONDecoder().decode(FileFormat.self, from: Data(bytes))
        } catch {
            throw CubbyError(.invalidConfiguration, "malformed rule file: \(error)", context: path)
        }
        guard file.format == 1 else {
            throw CubbyError(.invalidConfiguration, "rule file format \(file.format) is not supported (expected 1)", context: path)
        }
        var rules: [Rule] = []
        for entry in file.rules {
            func fail(_ message: String) -> CubbyError {
                CubbyError(.invalidConfiguration, "rule \"\(entry.id)\": \(message)", context: path)
            }
            guard let category = SafetyCategory(rawValue: entry.category) else { throw fail("unknown category \"\(entry.category)\"") }
            var directions: Set<SafetyDirection> = []
            for name in entry.directions {
                guard let direction = SafetyDirection(rawValue: name) else { throw fail("unknown direction \"\(name)\"") }
                directions.insert(direction)
            }
            func compile(_ source: String) throws(CubbyError) -> NSRegularExpression {
                do { return try NSRegularExpression(pattern: source) } catch { throw fail("invalid pattern \(source): \(error)") }
            }
            var patterns: [NSRegularExpression] = []
            for source in entry.patterns { patterns.append(try compile(source)) }
            var unless: [NSRegularExpression] = []
            for source in entry.unless ?? [] { unless.append(try compile(source)) }
            rules.append(Rule(id: entry.id, category: category, directions: directions, patterns: patterns, unless: unless))
        }
        return RuleSet(version: file.version, rules: rules)
    }
}

// NSRegularExpression is immutable after creation and documented as thread-safe.
extension NSRegularExpression: @retroactive @unchecked Sendable {}
