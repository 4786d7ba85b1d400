import TOMLKit

/// A table of a TOML file, read with typed accessors whose errors name the file, the full key and what is
/// wrong — the message a parent or a maker sees when a config, persona or board file is bad.
///
/// Keys are checked against what the reader asked for: `finish()` reports any key that was never read,
/// which catches typos like `end_silense_ms` that would otherwise be ignored silently.
public final class TOMLSection: @unchecked Sendable {
    // @unchecked: `readKeys` is only mutated by the single reader that owns a section while it decodes;
    // sections are never shared across tasks.
    public let file: String
    public let path: [String]
    public let values: [String: TOMLNode]
    private var readKeys: Set<String> = []
    private var children: [TOMLSection] = []

    public init(file: String, path: [String] = [], values: [String: TOMLNode]) {
        self.file = file
        self.path = path
        self.values = values
    }

    /// Parses a TOML text; syntax errors carry the line and column.
    public static func parse(_ text: String, file: String) throws(CubbyError) -> TOMLSection {
        do {
            let table = try TOMLTable(string: text)
            guard case .table(let values) = TOMLNode(table) else {
                throw CubbyError(.invalidConfiguration, "not a TOML table", context: file)
            }
            return TOMLSection(file: file, values: values)
        } catch let error as TOMLParseError {
            throw CubbyError(
                .invalidConfiguration,
                "TOML syntax error: \(error.description)",
                context: "\(file):\(error.source.begin.line):\(error.source.begin.column)")
        } catch let error as CubbyError {
            throw error
        } catch {
            throw CubbyError(.invalidConfiguration, "could not parse TOML", context: file, underlying: error)
        }
    }

    /// Reads and parses a TOML file.
    public static func load(contentsOf path: String) throws(CubbyError) -> TOMLSection {
        let text = try FileBytes.readText(at: path)
        return try parse(text, file: path)
    }

    /// `[cloud] timeout_ms` style name of a key in this section.
    public func qualifiedName(_ key: String) -> String {
        path.isEmpty ? key : "[\(path.joined(separator: "."))] \(key)"
    }

    public func error(_ key: String, _ message: String) -> CubbyError {
        CubbyError(.invalidConfiguration, "\(qualifiedName(key)): \(message)", context: file)
    }

    public func contains(_ key: String) -> Bool { values[key] != nil }

    private func raw(_ key: String) -> TOMLNode? {
        readKeys.insert(key)
        return values[key]
    }

    // MARK: Scalars

    public func string(_ key: String) throws(CubbyError) -> String? {
        guard let node = raw(key) else { return nil }
        guard case .string(let value) = node else {
            throw error(key, "expected a string, found \(node.kindDescription)")
        }
        return value
    }

    public func string(_ key: String, default fallback: String) throws(CubbyError) -> String {
        try string(key) ?? fallback
    }

    public func requiredString(_ key: String) throws(CubbyError) -> String {
        guard let value = try string(key) else { throw error(key, "is required but missing") }
        guard !value.trimmingSpaces().isEmpty else { throw error(key, "must not be empty") }
        return value
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, of choices: [String], default fallback: String) throws(CubbyError) -> String {
        let value = try string(key, default: fallback)
        guard choices.contains(value) else {
            throw error(key, "\"\(value)\" is not one of \(choices.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return value
    }

    public func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(CubbyError) -> Int {
        guard let node = raw(key) else { return fallback }
        guard case .integer(let value) = node else {
            throw error(key, "expected an integer, found \(node.kindDescription)")
        }
        guard range.contains(value) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
        return value
    }

    /// A number that may be left unset (nil), e.g. to defer to another source.
    public func number(_ key: String, in range: ClosedRange<Double>) throws(CubbyError) -> Double? {
        guard raw(key) != nil else { return nil }
        return try number(key, default: range.lowerBound, in: range)
    }

    public func number(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws(CubbyError) -> Double {
        guard let node = raw(key) else { return fallback }
        let value: Double
        switch node {
        case .float(let d): value = d
        case .integer(let i): value = Double(i)
        default: throw error(key, "expected a number, found \(node.kindDescription)")
        }
        guard range.contains(value) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
        return value
    }

    public func boolean(_ key: String, default fallback: Bool) throws(CubbyError) -> Bool {
        guard let node = raw(key) else { return fallback }
        guard case .boolean(let value) = node else {
            throw error(key, "expected true or false, found \(node.kindDescription)")
        }
        return value
    }

    public func strings(_ key: String) throws(CubbyError) -> [String]? {
        guard let node = raw(key) else { return nil }
        guard case .array(let items) = node else {
            throw error(key, "expected an array of strings, found \(node.kindDescription)")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw error(key, "item \(index + 1) should be a string, found \(item.kindDescription)")
            }
            result.append(s)
        }
        return result
    }

    public func integers(_ key: String) throws(CubbyError) -> [Int]? {
        guard let node = raw(key) else { return nil }
        guard case .array(let items) = node else {
            throw error(key, "expected an array of whole numbers, found \(node.kindDescription)")
        }
        var result: [Int] = []
        for (index, item) in items.enumerated() {
            guard case .integer(let value) = item else {
                throw error(key, "item \(index + 1) should be a whole number, found \(item.kindDescription)")
            }
            result.append(value)
        }
        return result
    }

    // MARK: Tables

    /// The sub-table at `key`, or an empty one when it is absent.
    public func section(_ key: String) throws(CubbyError) -> TOMLSection {
        let node = raw(key) ?? .table([:])
        guard case .table(let values) = node else {
            throw error(key, "expected a table, found \(node.kindDescription)")
        }
        let child = TOMLSection(file: file, path: path + [key], values: values)
        children.append(child)
        return child
    }

    /// Every entry of a table whose values are all strings (e.g. per-category redirect lines).
    public func stringTable(_ key: String) throws(CubbyError) -> [String: String] {
        let child = try section(key)
        var result: [String: String] = [:]
        for name in child.values.keys.sorted() {
            result[name] = try child.string(name)
        }
        return result
    }

    /// Every key an accessor asked for, present in the file or not, as "table.key": what the reader
    /// understands. Lets a test check that the reference documents each one.
    public var requestedKeys: Set<String> {
        let tableNames = Set(children.compactMap { $0.path.last })
        var keys = Set(readKeys.subtracting(tableNames).map { (path + [$0]).joined(separator: ".") })
        for child in children { keys.formUnion(child.requestedKeys) }
        return keys
    }

    /// Throws for the first key, here or in any sub-table read, that no accessor asked for.
    public func finish() throws(CubbyError) {
        for key in values.keys.sorted() where !readKeys.contains(key) {
            throw error(key, "unknown key (check its spelling against the reference)")
        }
        for child in children { try child.finish() }
    }
}
