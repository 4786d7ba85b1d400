import CubbyTestSupport
import Foundation
import GRDB
import Testing

/// Power loss is normal for a toy: a writer killed at any moment leaves a sound database holding every
/// fact it had acknowledged.
@Suite(.serialized) struct MemoryDurabilityTests {
    @Test func aHundredKillsDuringWritesNeverLoseAnAcknowledgedFact() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cubby.sqlite"
        var acknowledged = 0
        for run in 0..<100 {
            let (process, out, err) = try ProcessRunner.start("cubby-memory-bench", ["stress", "--db", path])
            try await Task.sleep(for: .milliseconds(Int.random(in: 30...400)))
            kill(process.processIdentifier, SIGKILL)
            let result = await ProcessRunner.finish(process, out, err)
            #expect(result.reason == .uncaughtSignal, "run \(run): \(result.stderr)")
            // Only whole lines are acknowledgements; a line cut by the kill was never complete.
            let acks = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                .compactMap { line -> String? in
                    let parts = line.split(separator: " ", maxSplits: 2)
                    return parts.count == 3 && parts[0] == "ack" ? String(parts[2]) : nil
                }
            let queue = try DatabaseQueue(path: path)
            let integrity = try await queue.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
            #expect(integrity == ["ok"], "run \(run): \(integrity)")
            let kept = Set(try await queue.read { try String.fetchAll($0, sql: "SELECT text FROM memory") })
            let lost = acks.filter { !kept.contains($0) }
            #expect(lost.isEmpty, "run \(run): \(lost.count) acknowledged facts lost, e.g. \(lost.first ?? "")")
            let indexed = try await queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM memorySearch") ?? -1 }
            #expect(indexed == kept.count, "run \(run): the search index matches the facts")
            try queue.close()
            acknowledged += acks.count
        }
        #expect(acknowledged > 100, "the writer got going before most kills (\(acknowledged) acknowledged)")
    }
}
