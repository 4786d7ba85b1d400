import CubbyMemory
import CubbyParents
import CubbyTestSupport
import Foundation

extension Sandbox {
    /// A toy that has already said what it is at its first use, so that a test measuring what the toy
    /// said hears only the turn it is about.
    func afterFirstUse() throws -> Sandbox {
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        try AIReminders(database: try CubbyDatabase(path: databasePath)).given(at: Date())
        return self
    }
}
