import CubbyCore
import Foundation
import GRDB

/// The device's record of conversations and turns, in SQLite (WAL).
///
/// Each turn is written in one transaction with its sentences, so a killed process leaves whole turns
/// only. Parents' tools read the same file. Long-term memories (the memory issue) live here too.
public final class ConversationStore: Sendable {
    private let writer: any DatabaseWriter
    public let path: String?

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws(CubbyError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            configuration.busyMode = .timeout(5)
            writer = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(writer)
        } catch {
            throw CubbyError(.storage, "cannot open the conversation database", context: path, underlying: error)
        }
    }

    /// A private in-memory database, for tests and `--once` runs without a data folder.
    public init() throws(CubbyError) {
        path = nil
        do {
            writer = try DatabaseQueue()
            try Self.migrator.migrate(writer)
        } catch {
            throw CubbyError(.storage, "cannot create an in-memory database", underlying: error)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: conversations and turns") { db in
            try db.create(table: "conversation") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("personaID", .text).notNull()
                t.column("openedBy", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("endedAt", .datetime)
            }
            try db.create(table: "turn") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("conversation", onDelete: .cascade).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("endedAt", .datetime).notNull()
                t.column("childText", .text).notNull()
                t.column("toyText", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("failure", .text)
            }
            try db.create(table: "turnSentence") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("turn", onDelete: .cascade).notNull()
                t.column("position", .integer).notNull()
                t.column("text", .text).notNull()
                t.column("spoken", .boolean).notNull()
                t.column("blockedCategory", .text)
                t.uniqueKey(["turnId", "position"])
            }
        }
        migrator.registerMigration("v2: safety actions and parent alerts") { db in
            try db.alter(table: "turn") { t in
                t.add(column: "inboundAction", .text)
                t.add(column: "inboundCategories", .text)
                t.add(column: "sentText", .text)
            }
            try db.create(table: "alert") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("conversation", onDelete: .setNull)
                t.column("raisedAt", .datetime).notNull()
                t.column("category", .text).notNull()
                t.column("excerpt", .text).notNull()
                t.column("rules", .text).notNull()
                t.column("seenAt", .datetime)
            }
        }
        migrator.registerMigration("v3: what the toy remembers about the child") { db in
            try db.create(table: "memory") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("text", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
        }
        return migrator
    }

    private func run<T>(_ what: String, _ body: (Database) throws -> T) throws(CubbyError) -> T {
        do {
            return try writer.write(body)
        } catch {
            throw CubbyError(.storage, "\(what) failed", context: path ?? "in-memory database", underlying: error)
        }
    }

    /// Starts a conversation; returns its id.
    public func openConversation(personaID: String, openedBy: String, at date: Date) throws(CubbyError) -> Int64 {
        try run("opening a conversation") { db in
            try db.execute(sql: "INSERT INTO conversation (personaID, openedBy, startedAt) VALUES (?, ?, ?)",
                           arguments: [personaID, openedBy, date])
            return db.lastInsertedRowID
        }
    }

    public func closeConversation(_ id: Int64, at date: Date) throws(CubbyError) {
        try run("closing a conversation") { db in
            try db.execute(sql: "UPDATE conversation SET endedAt = ? WHERE id = ? AND endedAt IS NULL", arguments: [date, id])
        }
    }

    /// Records a whole turn and its sentences atomically; returns the turn's id.
    @discardableResult
    public func record(_ turn: TurnRecord) throws(CubbyError) -> Int64 {
        try run("recording a turn") { db in
            try db.execute(
                sql: """
                    INSERT INTO turn (conversationId, startedAt, endedAt, childText, toyText, outcome, failure,
                                      inboundAction, inboundCategories, sentText)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [turn.conversationID, turn.startedAt, turn.endedAt, turn.childText, turn.toyText,
                            turn.outcome.rawValue, turn.failure, turn.inboundAction,
                            turn.inboundCategories.isEmpty ? nil : turn.inboundCategories.joined(separator: ","), turn.sentText])
            let turnID = db.lastInsertedRowID
            for (position, sentence) in turn.sentences.enumerated() {
                try db.execute(
                    sql: "INSERT INTO turnSentence (turnId, position, text, spoken, blockedCategory) VALUES (?, ?, ?, ?, ?)",
                    arguments: [turnID, position, sentence.text, sentence.spoken, sentence.blockedCategory])
            }
            return turnID
        }
    }

    /// The most recent turns, oldest first.
    public func recentTurns(limit: Int) throws(CubbyError) -> [TurnRecord] {
        do {
            return try writer.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM turn ORDER BY id DESC LIMIT ?", arguments: [limit])
                return try rows.reversed().map { row in
                    let id: Int64 = row["id"]
                    let sentences = try Row.fetchAll(
                        db, sql: "SELECT text, spoken, blockedCategory FROM turnSentence WHERE turnId = ? ORDER BY position",
                        arguments: [id]
                    ).map { SentenceRecord(text: $0["text"], spoken: $0["spoken"], blockedCategory: $0["blockedCategory"]) }
                    var turn = TurnRecord(
                        id: id, conversationID: row["conversationId"], startedAt: row["startedAt"], endedAt: row["endedAt"],
                        childText: row["childText"], outcome: TurnOutcome(rawValue: row["outcome"]) ?? .answered,
                        sentences: sentences, failure: row["failure"])
                    turn.inboundAction = row["inboundAction"]
                    turn.inboundCategories = (row["inboundCategories"] as String?)?.split(separator: ",").map(String.init) ?? []
                    turn.sentText = row["sentText"]
                    return turn
                }
            }
        } catch {
            throw CubbyError(.storage, "reading turns failed", context: path ?? "in-memory database", underlying: error)
        }
    }

    /// Keeps a fact about the child (already checked and redacted by the caller); returns its id.
    @discardableResult
    public func remember(_ text: String, at date: Date) throws(CubbyError) -> Int64 {
        try run("remembering") { db in
            try db.execute(sql: "INSERT INTO memory (text, createdAt) VALUES (?, ?)", arguments: [text, date])
            return db.lastInsertedRowID
        }
    }

    /// Forgets every kept fact that contains `phrase` (case-insensitive); returns how many.
    public func forget(matching phrase: String) throws(CubbyError) -> Int {
        try run("forgetting") { db in
            try db.execute(sql: "DELETE FROM memory WHERE instr(lower(text), lower(?)) > 0", arguments: [phrase])
            return db.changesCount
        }
    }

    /// The most recent kept facts, oldest first.
    public func memories(limit: Int) throws(CubbyError) -> [String] {
        do {
            return try writer.read { db in
                try String.fetchAll(db, sql: "SELECT text FROM memory ORDER BY id DESC LIMIT ?", arguments: [limit]).reversed()
            }
        } catch {
            throw CubbyError(.storage, "reading memories failed", context: path ?? "in-memory database", underlying: error)
        }
    }

    /// Records an alert for the parents; returns its id.
    @discardableResult
    public func raise(_ alert: AlertRecord) throws(CubbyError) -> Int64 {
        try run("recording an alert") { db in
            try db.execute(sql: "INSERT INTO alert (conversationId, raisedAt, category, excerpt, rules) VALUES (?, ?, ?, ?, ?)",
                           arguments: [alert.conversationID, alert.raisedAt, alert.category, alert.excerpt, alert.rules.joined(separator: ",")])
            return db.lastInsertedRowID
        }
    }

    /// Marks alerts as seen by a parent.
    public func markAlertsSeen(_ ids: [Int64], at date: Date) throws(CubbyError) {
        guard !ids.isEmpty else { return }
        try run("marking alerts seen") { db in
            for id in ids { try db.execute(sql: "UPDATE alert SET seenAt = ? WHERE id = ? AND seenAt IS NULL", arguments: [date, id]) }
        }
    }

    /// The most recent alerts, newest first.
    public func alerts(limit: Int) throws(CubbyError) -> [AlertRecord] {
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM alert ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                    AlertRecord(id: row["id"], conversationID: row["conversationId"], raisedAt: row["raisedAt"], category: row["category"],
                                excerpt: row["excerpt"], rules: (row["rules"] as String).split(separator: ",").map(String.init), seenAt: row["seenAt"])
                }
            }
        } catch {
            throw CubbyError(.storage, "reading alerts failed", context: path ?? "in-memory database", underlying: error)
        }
    }

    /// Closes the database (checkpointing the WAL); later calls fail. Called once at shutdown.
    public func close() throws(CubbyError) {
        do {
            if let pool = writer as? DatabasePool { try pool.close() }
            if let queue = writer as? DatabaseQueue { try queue.close() }
        } catch {
            throw CubbyError(.storage, "closing the database failed", context: path ?? "in-memory database", underlying: error)
        }
    }

    /// Conversations whose end was never recorded (the process died); closed at start-up.
    public func closeDanglingConversations(at date: Date) throws(CubbyError) -> Int {
        try run("closing dangling conversations") { db in
            try db.execute(sql: "UPDATE conversation SET endedAt = ? WHERE endedAt IS NULL", arguments: [date])
            return db.changesCount
        }
    }
}
