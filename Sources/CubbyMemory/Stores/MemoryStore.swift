import CubbyCore
import Foundation
import GRDB

/// What the toy remembers about the child (already checked by the safety filter before it gets here),
/// until the child or a parent asks to forget it.
///
/// Facts are found again by their terms (`MemoryTerms`, indexed with FTS5 so Chinese and English both
/// work) and ranked by relevance, recency and salience; a fact told again in other words updates the old
/// one instead of piling up.
public struct MemoryStore: Sendable {
    let database: CubbyDatabase

    public enum Outcome: Sendable, Equatable {
        case added(Int64)
        /// A near-duplicate of this fact was already kept: it now reads as the newer telling.
        case updated(Int64)
    }

    /// How alike two facts must be to count as the same one.
    public static let duplicateSimilarity = 0.75

    /// Keeps a fact, or refreshes the one it repeats.
    @discardableResult
    public func remember(_ text: String, kind: Memory.Kind = .other, sourceTurn: Int64? = nil, salience: Double = 0.5,
                         expiresAt: Date? = nil, at date: Date) throws(CubbyError) -> Outcome {
        let terms = MemoryTerms.terms(text)
        let language = MemoryTerms.language(of: text)
        return try database.write("remembering") { db in
            if let id = try Self.duplicate(of: terms, language: language, in: db) {
                try db.execute(sql: """
                    UPDATE memory SET text = ?, kind = CASE WHEN ? = 'other' THEN kind ELSE ? END, lastUsedAt = ?,
                    salience = min(1.0, max(salience, ?) + 0.1), sourceTurnId = coalesce(?, sourceTurnId), expiresAt = ? WHERE id = ?
                    """, arguments: [text, kind.rawValue, kind.rawValue, date, salience, sourceTurn, expiresAt, id])
                try db.execute(sql: "UPDATE memorySearch SET terms = ? WHERE rowid = ?", arguments: [terms.joined(separator: " "), id])
                return .updated(id)
            }
            let memory = Memory(text: text, kind: kind, language: language, sourceTurnID: sourceTurn, createdAt: date, salience: salience, expiresAt: expiresAt)
            return .added(try Self.insert(memory, terms: terms, in: db))
        }
    }

    /// The kept fact these terms repeat, if any.
    static func duplicate(of terms: [String], language: String, in db: Database) throws -> Int64? {
        // A near-duplicate shares most terms, so it holds the rarest ones: only those are searched.
        let searched = try selective(terms, in: db)
        guard !searched.isEmpty else { return nil }
        let candidates = try Row.fetchAll(db, sql: """
            SELECT memory.id, memorySearch.terms FROM
              (SELECT rowid, rank FROM memorySearch WHERE memorySearch MATCH ? ORDER BY rank LIMIT 8) AS hit
            JOIN memorySearch ON memorySearch.rowid = hit.rowid JOIN memory ON memory.id = hit.rowid
            WHERE memory.language = ? ORDER BY hit.rank
            """, arguments: [MemoryTerms.anyOf(searched), language])
        return candidates.first { MemoryTerms.similarity(terms, ($0["terms"] as String).split(separator: " ").map(String.init)) >= duplicateSimilarity }?["id"]
    }

    static func insert(_ memory: Memory, terms: [String], in db: Database) throws -> Int64 {
        var row = MemoryRow(text: memory.text, kind: memory.kind.rawValue, language: memory.language, sourceTurnId: memory.sourceTurnID,
                            createdAt: memory.createdAt, lastUsedAt: memory.lastUsedAt, salience: memory.salience, expiresAt: memory.expiresAt)
        try row.insert(db)
        let id = row.id ?? db.lastInsertedRowID
        try db.execute(sql: "INSERT INTO memorySearch (rowid, terms) VALUES (?, ?)", arguments: [id, terms.joined(separator: " ")])
        return id
    }

    /// Forgets every kept fact about `phrase` (all of its terms, or its words when it has none); returns how many.
    public func forget(matching phrase: String) throws(CubbyError) -> Int {
        // A phrase of only small words ("it", "that", "我的") names nothing: never a reason to delete.
        guard !MemoryTerms.terms(phrase).isEmpty else { return 0 }
        let ids = try search(phrase, everyTerm: true).map(\.id)
        return try delete(ids: ids)
    }

    /// The facts most worth putting in front of the model for `text`: those it is about, then the most
    /// salient and recent, within `limit` facts and about `tokenBudget` tokens. Their last use is noted.
    public func recall(for text: String, at date: Date, limit: Int = 8, tokenBudget: Int = 300) throws(CubbyError) -> [Memory] {
        let terms = MemoryTerms.terms(text)
        let chosen: [Memory] = try database.read("recalling memories") { db in
            var scored: [Int64: (Memory, Double)] = [:]
            let searched = try Self.selective(terms, in: db)
            if !searched.isEmpty {
                // FTS5's own `rank` (bm25) on the index, then the rows for the best few only.
                let rows = try Row.fetchAll(db, sql: """
                    SELECT memory.*, hit.rank AS rank FROM
                      (SELECT rowid, rank FROM memorySearch WHERE memorySearch MATCH ? ORDER BY rank LIMIT 64) AS hit
                    JOIN memory ON memory.id = hit.rowid
                    WHERE memory.expiresAt IS NULL OR memory.expiresAt > ?
                    """, arguments: [MemoryTerms.anyOf(searched), date])
                let best = rows.map { -($0["rank"] as Double) }.max() ?? 1
                for row in rows {
                    let memory = try MemoryRow(row: row).memory
                    scored[memory.id] = (memory, 1.0 + (-(row["rank"] as Double)) / max(best, 0.0001))
                }
            }
            let background = try MemoryRow.fetchAll(db, sql: """
                SELECT * FROM memory WHERE expiresAt IS NULL OR expiresAt > ? ORDER BY createdAt DESC LIMIT 24
                """, arguments: [date]) + Self.mostSalient(limit: 8, at: date, in: db)
            for row in background where scored[row.id ?? 0] == nil { scored[row.id ?? 0] = (row.memory, 0) }
            let ranked = scored.values.filter { $0.0.expiresAt.map { $0 > date } ?? true }.map { memory, relevance -> (Memory, Double) in
                let ageDays = max(0, date.timeIntervalSince(memory.lastUsedAt ?? memory.createdAt) / 86_400)
                return (memory, relevance + 0.4 * exp(-ageDays / 30) + 0.4 * memory.salience)
            }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.id > $1.0.id }
            var budget = tokenBudget
            var chosen: [Memory] = []
            for (memory, _) in ranked where chosen.count < limit {
                let cost = Self.tokens(memory.text)
                guard cost <= budget else { continue }
                budget -= cost
                chosen.append(memory)
            }
            return chosen
        }
        if !chosen.isEmpty {
            _ = try? database.write("noting recalled memories") { db in
                try db.execute(sql: "UPDATE memory SET lastUsedAt = ? WHERE id IN (\(chosen.map { String($0.id) }.joined(separator: ",")))", arguments: [date])
            }
        }
        return chosen
    }

    /// The terms worth searching for: those in the index, rarest first, at most six, leaving out any
    /// that most facts hold (they rank nothing and cost the most).
    static func selective(_ terms: [String], in db: Database) throws -> [String] {
        guard !terms.isEmpty else { return [] }
        // One lookup a term: fts5vocab answers `term = ?` from the index, but scans every term for `IN`.
        var counts: [(term: String, doc: Int)] = []
        for term in terms.prefix(24) {
            if let doc = try Int.fetchOne(db, sql: "SELECT doc FROM memoryTermCount WHERE term = ?", arguments: [term]) { counts.append((term, doc)) }
        }
        counts.sort { $0.doc < $1.doc }
        let total = try Int.fetchOne(db, sql: "SELECT max(rowid) FROM memory") ?? 0  // an O(log n) stand-in for the count
        let useful = counts.filter { $0.doc <= max(50, total / 20) }
        return (useful.isEmpty ? Array(counts.prefix(1)) : Array(useful.prefix(6))).map(\.term)
    }

    /// A rough token count: about four letters of English, or one Chinese character, a token.
    static func tokens(_ text: String) -> Int {
        let han = text.filter(MemoryTerms.isHan).count
        return han + (text.count - han + 3) / 4 + 1
    }

    /// Facts about `text`: any of its terms (best first), or every term with `everyTerm`.
    public func search(_ text: String, everyTerm: Bool = false, limit: Int = 100) throws(CubbyError) -> [Memory] {
        let terms = MemoryTerms.terms(text)
        return try database.read("searching memories") { db in
            if terms.isEmpty {
                return try MemoryRow.filter(sql: "instr(lower(text), lower(?)) > 0", arguments: [text]).limit(limit).fetchAll(db).map(\.memory)
            }
            return try MemoryRow.fetchAll(db, sql: """
                SELECT memory.* FROM memorySearch JOIN memory ON memory.id = memorySearch.rowid
                WHERE memorySearch MATCH ? ORDER BY bm25(memorySearch) LIMIT ?
                """, arguments: [everyTerm ? MemoryTerms.allOf(terms) : MemoryTerms.anyOf(terms), limit]).map(\.memory)
        }
    }

    /// Every fact, newest first.
    public func all(limit: Int = Int.max) throws(CubbyError) -> [Memory] {
        try database.read("reading memories") { db in
            try MemoryRow.order(Column("createdAt").desc, Column("id").desc).limit(limit).fetchAll(db).map(\.memory)
        }
    }

    /// The facts that matter most, then the newest, leaving out expired ones (the salience index).
    public func mostSalient(limit: Int, at date: Date) throws(CubbyError) -> [Memory] {
        try database.read("reading memories") { db in try Self.mostSalient(limit: limit, at: date, in: db).map(\.memory) }
    }

    static func mostSalient(limit: Int, at date: Date, in db: Database) throws -> [MemoryRow] {
        try MemoryRow.fetchAll(db, sql: """
            SELECT * FROM memory WHERE expiresAt IS NULL OR expiresAt > ? ORDER BY salience DESC, createdAt DESC LIMIT ?
            """, arguments: [date, limit])
    }

    public func count() throws(CubbyError) -> Int {
        try database.read("counting memories") { db in try MemoryRow.fetchCount(db) }
    }

    /// Deletes facts by id; returns how many there were.
    @discardableResult
    public func delete(ids: [Int64]) throws(CubbyError) -> Int {
        guard !ids.isEmpty else { return 0 }
        return try database.write("forgetting") { db in
            let list = ids.map(String.init).joined(separator: ",")
            try db.execute(sql: "DELETE FROM memorySearch WHERE rowid IN (\(list))")
            return try MemoryRow.filter(keys: ids).deleteAll(db)
        }
    }

    /// Deletes every fact; returns how many there were.
    @discardableResult
    public func deleteAll() throws(CubbyError) -> Int {
        try database.write("forgetting everything") { db in
            try db.execute(sql: "DELETE FROM memorySearch")
            return try MemoryRow.deleteAll(db)
        }
    }
}
