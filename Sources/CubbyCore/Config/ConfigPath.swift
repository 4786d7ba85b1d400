import Foundation

/// Paths written in configuration files (cubbyd.toml, board.toml) resolve against the folder of the file
/// that names them, so a configuration and the folders beside it can move together.
public enum ConfigPath {
    public static func resolve(_ path: String, against folder: String) -> String {
        if path.hasPrefix("/") { return path }
        let base = folder.isEmpty ? FileManager.default.currentDirectoryPath : folder
        return ((base as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}
