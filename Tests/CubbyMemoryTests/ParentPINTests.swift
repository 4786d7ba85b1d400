import CubbyCore
import CubbyMemory
import CubbyParents
import Foundation
import Testing

@Suite struct ParentPINTests {
    @Test func wrongPINsWaitLongerEachTimeAcrossARestartAndTheRightOneClearsIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pin-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var database = try CubbyDatabase(path: folder + "/cubby.sqlite")
        var pin = ParentPIN(database: database)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try pin.check(nil, at: start) == nil, "before setup, nothing is guarded")
        #expect(try pin.set("12ab", current: nil, at: start) == .malformed)
        #expect(try pin.set("2468", current: nil, at: start) == nil)
        #expect(try pin.check(nil, at: start) == .required)
        #expect(try pin.set("1111", current: nil, at: start) == .required, "changing it needs the current one")

        #expect(try pin.check("0000", at: start) == .wrong(attemptsBeforeWaiting: 2))
        #expect(try pin.check("0001", at: start) == .wrong(attemptsBeforeWaiting: 1))
        #expect(try pin.check("0002", at: start) == .wrong(attemptsBeforeWaiting: 0))
        #expect(try pin.check("2468", at: start.addingTimeInterval(1)) == .wait(seconds: 9), "even the right PIN waits")

        // The toy restarts: the count is in the database.
        try database.close()
        database = try CubbyDatabase(path: folder + "/cubby.sqlite")
        pin = ParentPIN(database: database)
        #expect(try pin.check("2468", at: start.addingTimeInterval(5)) == .wait(seconds: 5))
        #expect(try pin.check("9999", at: start.addingTimeInterval(10)) == .wrong(attemptsBeforeWaiting: 0))
        #expect(try pin.check("2468", at: start.addingTimeInterval(15)) == .wait(seconds: 15), "the wait doubles")
        #expect(try pin.check("2468", at: start.addingTimeInterval(30)) == nil)
        #expect(try pin.check("0000", at: start.addingTimeInterval(31)) == .wrong(attemptsBeforeWaiting: 2), "the right PIN cleared the count")
        #expect(ParentPIN.wait(after: 30) == ParentPIN.longestWait)
        try database.close()
    }
}
