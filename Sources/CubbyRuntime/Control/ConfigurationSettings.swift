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
        for key in changes.keys.sorted() where !ConfigurationEditor.parentKeys.contains(key) {
            throw CubbyError(.invalidConfiguration, "\(key.prefix(80)) is not a setting a parent can change here (they are: \(ConfigurationEditor.parentKeys.sorted().joined(separator: ", ")))")
        }
        return try await write(changes)
    }

    private func write(_ changes: [String: String?]) async throws(CubbyError) -> String {
        guard !changes.isEmpty else { throw CubbyError(.invalidConfiguration, "settings.set needs at least one \"set.<key>\" argument") }
        for (key, value) in changes where value?.contains(where: { $0 == "\n" || $0 == "\r" }) == true {
            throw CubbyError(.invalidConfiguration, "\(key.prefix(80)): a setting's value is one line")
        }
        return try await gate.run { () async throws(CubbyError) -> String in
            let old = try FileBytes.readText(at: path)
            var text = old
            for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
                text = ConfigurationEditor.setting(key, to: value.map(ConfigurationEditor.literal(for:)), in: text)
            }
            let folder = (path as NSString).deletingLastPathComponent
            // Only the keys asked for may change: every setting a parent can see must read as before, or as asked.
            let before = try ConfigurationLoader.decode(try TOMLSection.parse(old, file: path), folder: folder, environment: environment)
            let after = try ConfigurationLoader.decode(try TOMLSection.parse(text, file: path), folder: folder, environment: environment)
            let (was, now) = (ParentSettingValues.values(of: before), ParentSettingValues.values(of: after))
            for key in Set(was.keys).union(now.keys) where was[key] != now[key] && changes[key] == nil && !changes.keys.contains(where: { key.hasPrefix($0 + ".") }) {
                throw CubbyError(.invalidConfiguration, "the change would also change \(key); nothing was changed")
            }
            guard before.dataDirectory == after.dataDirectory, before.personaFolder == after.personaFolder, before.boardFolder == after.boardFolder,
                  before.parents.alertCommand == after.parents.alertCommand, before.cloud?.baseURL == after.cloud?.baseURL,
                  before.controlSocket == after.controlSocket else {
                throw CubbyError(.invalidConfiguration, "the change would touch settings only the administrator sets; nothing was changed")
            }
            // The same check, and the same words, as `cubbyd --check-config`: on a copy beside the file, so
            // relative paths mean the same.
            let candidate = (folder as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).check-\(getpid())")
            try ConfigurationEditor.writeAtomically(text, to: candidate, mode: 0o600)
            defer { unlink(candidate) }
            do throws(CubbyError) {
                _ = try Daemon.check(configurationPath: candidate)
            } catch {
                throw CubbyError(error.code, error.message.replacingOccurrences(of: candidate, with: path), context: error.context?.replacingOccurrences(of: candidate, with: path))
            }
            try ConfigurationEditor.writeAtomically(text, to: path)
            do throws(CubbyError) {
                _ = try await reload()
            } catch {
                do { try ConfigurationEditor.writeAtomically(old, to: path) } catch let rollback {
                    throw CubbyError(.io, "the change could not be applied (\(error)) and the old configuration could not be put back (\(rollback)); fix \(path) by hand", context: path)
                }
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
        // Not a parent key: only this command points it, and only at this file.
        let message = try await write(["cloud.api_key_file": file])
        return message.replacingOccurrences(of: file, with: file + " (the key is kept there, readable by the daemon only)")
    }
}
