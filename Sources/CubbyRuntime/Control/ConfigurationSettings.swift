import CubbyConfiguration
import CubbyCore
import CubbyMemory
import Foundation

/// A parent's changes to `cubbyd.toml`, made live: the file is edited key by key (comments kept),
/// checked exactly as `--check-config` checks it, written atomically, and reloaded; a change the daemon
/// cannot apply puts the old file back. One change at a time.
struct ConfigurationSettings: Sendable {
    let path: String
    let environment: [String: String]
    let live: LiveSettings
    let database: CubbyDatabase
    let clock: any CubbyClock
    let reload: @Sendable () async throws(CubbyError) -> String
    let gate = SerialGate()

    func values() -> [String: String] { ParentSettingValues.values(of: live.current.configuration) }

    /// Sets each key to its value (nil: back to the default), all or none. Returns what changed.
    func set(_ changes: [String: String?]) async throws(CubbyError) -> String {
        guard !changes.isEmpty else { throw CubbyError(.invalidConfiguration, "settings.set needs at least one \"set.<key>\" argument") }
        for key in changes.keys.sorted() where !ConfigurationEditor.parentKeys.contains(key) {
            throw CubbyError(.invalidConfiguration, "\(key.prefix(80)) is not a setting a parent can change here (they are: \(ConfigurationEditor.parentKeys.sorted().joined(separator: ", ")))")
        }
        return try await gate.run { () async throws(CubbyError) -> String in
            let old = try FileBytes.readText(at: path)
            var text = old
            for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
                text = ConfigurationEditor.setting(key, to: value.map(ConfigurationEditor.literal(for:)), in: text)
            }
            // The same check, and the same words, as `cubbyd --check-config`.
            _ = try ConfigurationLoader.decode(try TOMLSection.parse(text, file: path), folder: (path as NSString).deletingLastPathComponent,
                                               environment: environment)
            try ConfigurationEditor.writeAtomically(text, to: path)
            do throws(CubbyError) {
                _ = try await reload()
            } catch {
                try? ConfigurationEditor.writeAtomically(old, to: path)
                _ = try? await reload()
                throw error
            }
            let summary = changes.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value.map(ConfigurationEditor.literal(for:)) ?? "(default)")" }
                .joined(separator: ", ")
            try? database.audit.record("settings.set", summary, at: clock.date)
            return "changed \(summary)"
        }
    }

    /// Keeps the cloud key in a file of its own, readable by the daemon only, and points the configuration at it.
    func setCloudKey(_ key: String) async throws(CubbyError) -> String {
        let trimmed = key.trimmingSpaces()
        guard !trimmed.isEmpty, trimmed.count <= 4_096, !trimmed.contains("\n") else {
            throw CubbyError(.invalidConfiguration, "a cloud key is one line of 1-4096 characters")
        }
        let file = (live.current.configuration.dataDirectory as NSString).appendingPathComponent("cloud.key")
        try ConfigurationEditor.writeAtomically(trimmed + "\n", to: file, mode: 0o600)
        let message = try await set(["cloud.api_key_file": file])
        return message.replacingOccurrences(of: file, with: file + " (the key is kept there, readable by the daemon only)")
    }
}
