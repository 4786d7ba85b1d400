import CubbyControl
import Crypto
import Foundation

/// The token `cubby unlock` got, kept for this user only (mode 0600, in `$XDG_RUNTIME_DIR` when there is
/// one, which the system empties at logout) until it expires; every command sends it instead of asking
/// for the PIN.
enum UnlockToken {
    static func file(for place: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let folder = environment["XDG_RUNTIME_DIR"].map { $0 + "/cubby" }
            ?? (environment["HOME"].map { $0 + "/.cache/cubby" } ?? "/tmp/cubby-\(getuid())")
        return folder + "/unlock-" + fileName(for: place) + ".json"
    }

    /// A short name for the toy `place` reaches, for this user's files about it (unlock, setup progress).
    static func fileName(for place: String) -> String {
        SHA256.hash(data: Data(place.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func load(for place: String) -> String? {
        guard let data = FileManager.default.contents(atPath: file(for: place)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let unlock = try? decoder.decode(ControlUnlock.self, from: data), unlock.expiresAt > Date() else { return nil }
        return unlock.token
    }

    static func save(_ unlock: ControlUnlock, for place: String) throws {
        let path = file(for: place)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try writePrivately(Array(try encoder.encode(unlock)), to: path)
    }

    static func forget(for place: String) { try? FileManager.default.removeItem(atPath: file(for: place)) }
}
