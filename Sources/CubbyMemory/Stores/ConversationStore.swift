import CubbyCore
import Foundation
import GRDB

/// Conversations and their turns: what the child said, what the toy said or was stopped from saying,
/// and what the safety filter did. Each turn is written whole, with its sentences, in one transaction.
public struct ConversationStore: Sendable {
    let database: CubbyDatabase

    /// Starts a conversation; returns its id.
    public func open(personaID: String, openedBy: String, at date: Date) throws(CubbyError) -> Int64 {
        try database.write("opening a conversation") { db in
            var row = ConversationRow(personaID: personaID, openedBy: openedBy, startedAt: date)
            try row.insert(db)
            return row.id ?? db.lastInsertedRowID
        }
    }

    public func close(_ id: Int64, at date: Date) throws(CubbyError) {
        try database.write("closing a conversation") { db in
            _ = try ConversationRow.filter(key: id).filter(Column("endedAt") == nil).updateAll(db, Column("endedAt").set(to: date))
        }
    }

    /// Conversations whose end was never recorded (the process died); closed at start-up as ending with
    /// their last recorded turn (or at their start), so the time the process lay dead is not counted as play.
    public func closeDangling(at date: Date) throws(CubbyError) -> Int {
        try database.write("closing dangling conversations") { db in
            try db.execute(sql: """
                UPDATE conversation
                SET endedAt = MIN(?, MAX(startedAt, COALESCE((SELECT MAX(turn.endedAt) FROM turn WHERE turn.conversationId = conversation.id), startedAt)))
                WHERE endedAt IS NULL
                """, arguments: [date])
            return db.changesCount
        }
    }

    /// The conversations that ended at or after `since`, as (start, end), oldest first: the stretches of
    /// play the minor mode counts. One still open counts up to `openUntil`, or not at all when it is nil.
    public func playStretches(since: Date, openUntil: Date? = nil) throws(CubbyError) -> [(start: Date, end: Date)] {
        try database.read("reading play time") { db in
            try Row.fetchAll(db, sql: "SELECT startedAt, endedAt FROM conversation WHERE endedAt IS NULL OR endedAt >= ? ORDER BY startedAt",
                             arguments: [since])
                .compactMap { row -> (start: Date, end: Date)? in
                    let start: Date = row["startedAt"]
                    guard let end = (row["endedAt"] as Date?) ?? openUntil else { return nil }
                    return (start, end)
                }
        }
    }

    /// Records a whole turn and its sentences atomically; returns the turn's id.
    @discardableResult
    public func record(_ turn: TurnRecord) throws(CubbyError) -> Int64 {
        try database.write("recording a turn") { db in
            var row = TurnRow(conversationId: turn.conversationID, startedAt: turn.startedAt, endedAt: turn.endedAt, childText: turn.childText,
                              toyText: turn.toyText, outcome: turn.outcome.rawValue, failure: turn.failure, inboundAction: turn.inboundAction,
                              sentText: turn.sentText)
            try row.insert(db)
            let turnID = row.id ?? db.lastInsertedRowID
            for (position, sentence) in turn.sentences.enumerated() {
                var sentenceRow = TurnSentenceRow(turnId: turnID, position: position, text: sentence.text, spoken: sentence.spoken,
                                                  blockedCategory: sentence.blockedCategory)
                try sentenceRow.insert(db)
            }
            for category in Set(turn.inboundCategories) { try TurnCategoryRow(turnId: turnID, category: category).insert(db) }
            return turnID
        }
    }

    /// The most recent turns, oldest first.
    /// The parents' history: the latest `limit` turns, oldest first, from the day `since` on, and only
    /// those the safety filter did something with when `flagged` (held back, redacted, guided, alerted).
    public func history(limit: Int, since: Date? = nil, flagged: Bool = false) throws(CubbyError) -> [TurnRecord] {
        guard since != nil || flagged else { return try recent(limit: limit) }
        var turns = try recent(limit: 100_000)
        if let since { turns = turns.filter { $0.startedAt >= since } }
        if flagged { turns = turns.filter(\.wasFlagged) }
        return Array(turns.suffix(limit))
    }

    public func recent(limit: Int) throws(CubbyError) -> [TurnRecord] {
        try database.read("reading turns") { db in
            let rows = try TurnRow.order(Column("id").desc).limit(limit).fetchAll(db)
            return try rows.reversed().map { row in
                let id = row.id ?? 0
                let sentences = try TurnSentenceRow.filter(Column("turnId") == id).order(Column("position")).fetchAll(db)
                    .map { SentenceRecord(text: $0.text, spoken: $0.spoken, blockedCategory: $0.blockedCategory) }
                var turn = TurnRecord(id: id, conversationID: row.conversationId, startedAt: row.startedAt, endedAt: row.endedAt,
                                      childText: row.childText, outcome: TurnOutcome(rawValue: row.outcome) ?? .answered,
                                      sentences: sentences, failure: row.failure)
                turn.inboundAction = row.inboundAction
                turn.inboundCategories = try TurnCategoryRow.filter(Column("turnId") == id).order(Column("category")).fetchAll(db).map(\.category)
                turn.sentText = row.sentText
                return turn
            }
        }
    }
}
