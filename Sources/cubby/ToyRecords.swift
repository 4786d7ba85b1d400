import ArgumentParser
import CubbyConfiguration
import CubbyMemory
import Foundation

/// Everything `cubby` reads from the toy, or changes on it, besides the configuration file. The commands
/// see only this protocol. Today `LocalToyRecords` opens the toy's database on this machine; the
/// parents' control channel will implement the same protocol over the daemon's socket (locally, or
/// through `ssh` for `--host`), so that every change goes through the daemon and its PIN and no command
/// has to be rewritten.
protocol ToyRecords {
    /// The most recent turns, oldest first.
    func recentTurns(limit: Int) throws -> [TurnRecord]
    /// The most recent alerts, newest first.
    func recentAlerts(limit: Int) throws -> [AlertRecord]
    func markAlertsSeen(_ ids: [Int64]) throws
}

/// The toy's database, opened directly: for a `cubby` on the toy itself, until the control channel exists.
struct LocalToyRecords: ToyRecords {
    let database: CubbyDatabase

    /// Opens the toy's store without creating one where there is none.
    init(configuration: DaemonConfiguration) throws {
        let path = (configuration.dataDirectory as NSString).appendingPathComponent("cubby.sqlite")
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no conversations yet: \(path) does not exist (has cubbyd run with this configuration?)")
        }
        database = try CubbyDatabase(path: path)
    }

    func recentTurns(limit: Int) throws -> [TurnRecord] { try database.conversations.recent(limit: limit) }
    func recentAlerts(limit: Int) throws -> [AlertRecord] { try database.alerts.recent(limit: limit) }
    func markAlertsSeen(_ ids: [Int64]) throws { try database.alerts.markSeen(ids, at: Date()) }
}

/// The records of the toy a configuration describes.
func openRecords(_ configuration: DaemonConfiguration) throws -> any ToyRecords {
    try LocalToyRecords(configuration: configuration)
}
