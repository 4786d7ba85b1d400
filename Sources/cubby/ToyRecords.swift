import ArgumentParser
import CubbyConfiguration
import CubbyMemory
import Foundation

/// The toy's database, opened directly: for a `cubby` on the toy itself while the daemon is not running
/// (with the daemon up, every command goes through its control channel).
struct LocalToyRecords {
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
