@testable import CubbyMemory
import Foundation
import GRDB
import Testing

/// The device's database: its migrations, its privacy on disk, its lists as rows.
@Suite struct DatabaseTests {
    @Test func anOlderToysCommaJoinedListsMoveToRowsAndNothingIsLost() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("db-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/cubby.sqlite"
        // A database as the previous release left it.
        do {
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "v3: what the toy remembers about the child")
            try old.write { db in
                try db.execute(sql: "INSERT INTO conversation (personaID, openedBy, startedAt) VALUES ('teddy', 'wake_word', ?)", arguments: [Date()])
                try db.execute(sql: """
                    INSERT INTO turn (conversationId, startedAt, endedAt, childText, toyText, outcome, inboundAction, inboundCategories, sentText)
                    VALUES (1, ?, ?, 'my phone is 555', 'Okay!', 'answered', 'redact', 'personal_info,ruleBreaking', 'my phone is [number]')
                    """, arguments: [Date(), Date()])
                try db.execute(sql: "INSERT INTO alert (conversationId, raisedAt, category, excerpt, rules) VALUES (1, ?, 'disclosure', 'words', 'en.a,en.b')",
                               arguments: [Date()])
            }
            try old.close()
        }
        let database = try CubbyDatabase(path: path)
        defer { try? database.close() }
        let turn = try #require(try database.conversations.recent(limit: 5).first)
        #expect(turn.inboundCategories == ["personal_info", "ruleBreaking"])
        #expect(turn.sentText == "my phone is [number]")
        #expect(try database.alerts.recent(limit: 5).first?.rules == ["en.a", "en.b"])
        // New records keep their lists as rows too.
        try database.alerts.raise(AlertRecord(conversationID: nil, raisedAt: Date(), category: "self_harm", excerpt: "x", rules: ["r2", "r1"]))
        #expect(try database.alerts.recent(limit: 1).first?.rules == ["r1", "r2"])
        // Only the toy's own user may read what the child said.
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
