import Foundation

/// The files of a persona pack, wherever they are: a source folder on disk, an installed pack, or the
/// entries of a `.cubbypack` held in memory while it is verified. The loader only asks for what it needs.
public protocol PersonaPackFiles: Sendable {
    /// What error messages name: the folder, or the pack file.
    var location: String { get }
    func bytes(of relativePath: String) -> [UInt8]?
    func contains(_ relativePath: String) -> Bool
    /// Where the file lies on disk, when it does (the safety rule file is read by the filter from disk).
    func diskPath(of relativePath: String) -> String?
}

/// A pack folder on disk.
public struct PackFolder: PersonaPackFiles {
    public let location: String

    public init(_ folder: String) { location = folder }

    public func bytes(of relativePath: String) -> [UInt8]? {
        FileManager.default.contents(atPath: location + "/" + relativePath).map { [UInt8]($0) }
    }

    public func contains(_ relativePath: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: location + "/" + relativePath, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    public func diskPath(of relativePath: String) -> String? { location + "/" + relativePath }
}

/// A pack's files held in memory, keyed by their path inside the pack.
public struct PackEntries: PersonaPackFiles {
    public let location: String
    public let files: [String: [UInt8]]

    public init(location: String, files: [String: [UInt8]]) {
        self.location = location
        self.files = files
    }

    public func bytes(of relativePath: String) -> [UInt8]? { files[relativePath] }
    public func contains(_ relativePath: String) -> Bool { files[relativePath] != nil }
    public func diskPath(of relativePath: String) -> String? { nil }
}

/// A path inside a pack: relative, plain names of letters, digits, `.`, `-` and `_`, no `..`, at most
/// four folders deep. Anything else could reach outside the pack's folder when installed.
public enum PackPath {
    public static let maximumBytes = 100

    /// Nil when `path` is acceptable, otherwise why it is not.
    public static func problem(with path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.hasPrefix("/") { return "is an absolute path" }
        if path.utf8.count > maximumBytes { return "is longer than \(maximumBytes) bytes" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0 == ".." }) { return "leaves the pack (\"..\")" }
        if components.contains(where: { $0.isEmpty || $0 == "." }) { return "has an empty or \".\" component" }
        if components.count > 5 { return "is more than four folders deep" }
        for component in components where component.hasPrefix(".") { return "names a hidden file (\(component))" }
        guard path.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-/".unicodeScalars.contains($0)) }) else {
            return "may only hold a-z, A-Z, 0-9, '.', '-', '_' and '/'"
        }
        return nil
    }
}
