import CubbyCore
import Foundation
import GRDB

/// Everything the toy keeps about the child, as a whole: for a parent's export and erase, for the
/// retention of transcripts, and for the relationship a soul carries to a new toy.
public struct ChildDataStore: Sendable {
    let database: CubbyDatabase

    /// The child's profile, as parents set it (and a soul carries).
    public struct Profile: Sendable, Equatable, Codable {
        public var name: String?
        public var age: Int?
        public var language: String
        public var likes: [String]

        public init(name: String? = nil, age: Int? = nil, language: String = "en", likes: [String] = []) {
            self.name = name
            self.age = age
            self.language = language
            self.likes = likes
        }
    }

    /// How the child and the toy know each other: what a persona's "relationship state" is made of.
    public struct Relationship: Sendable, Equatable, Codable {
        public var firstMet: Date?
        public var lastTalked: Date?
        public var conversations: Int
        public var turns: Int
    }

    /// Everything kept, for `cubby data export`.
    public struct Export: Sendable, Codable {
        public var format = 1
        public var exportedAt: Date
        public var profile: Profile?
        public var relationship: Relationship
        public var memories: [Memory]
        public var turns: [TurnRecord]
        public var alerts: [AlertRecord]
        public var audit: [AuditLog.Entry]
    }

    public func profile() throws(CubbyError) -> Profile? {
        try database.read("reading the child's profile") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, age, language FROM child WHERE id = 1") else { return nil }
            let likes = try String.fetchAll(db, sql: "SELECT thing FROM childLike WHERE childId = 1 ORDER BY thing")
            return Profile(name: row["name"], age: row["age"], language: row["language"], likes: likes)
        }
    }

    public func setProfile(_ profile: Profile, at date: Date) throws(CubbyError) {
        try database.write("saving the child's profile") { db in
            try Self.save(profile, replacingLikes: true, in: db, at: date)
        }
    }

    /// Writes the profile (name and likes cut to the schema's limits); the likes replace the kept ones, or
    /// are added to them.
    static func save(_ profile: Profile, replacingLikes: Bool, in db: Database, at date: Date) throws {
        try db.execute(sql: """
            INSERT INTO child (id, name, age, language, updatedAt) VALUES (1, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, age = excluded.age, language = excluded.language, updatedAt = excluded.updatedAt
            """, arguments: [profile.name.map { CodePoints.prefix($0, 64) }, profile.age, profile.language, date])
        if replacingLikes { try db.execute(sql: "DELETE FROM childLike WHERE childId = 1") }
        for like in Set(profile.likes.map { CodePoints.prefix($0, 80) }) where !like.isEmpty {
            try db.execute(sql: "INSERT OR IGNORE INTO childLike (childId, thing) VALUES (1, ?)", arguments: [like])
        }
    }

    public func relationship() throws(CubbyError) -> Relationship {
        try database.read("reading the relationship") { db in
            let row = try Row.fetchOne(db, sql: "SELECT min(startedAt) AS first, max(startedAt) AS last, count(*) AS n FROM conversation")
            let turns = try Int.fetchOne(db, sql: "SELECT count(*) FROM turn") ?? 0
            return Relationship(firstMet: row?["first"], lastTalked: row?["last"], conversations: row?["n"] ?? 0, turns: turns)
        }
    }

    public func export(at date: Date) throws(CubbyError) -> Export {
        Export(exportedAt: date, profile: try profile(), relationship: try relationship(), memories: try database.memories.all(),
               turns: try database.conversations.recent(limit: Int.max / 2), alerts: try database.alerts.recent(limit: Int.max / 2),
               audit: try database.audit.entries(limit: Int.max / 2))
    }

    /// Deletes everything kept about the child — transcripts, alerts, memories, the profile — in one
    /// transaction. The audit log keeps one line: that a parent erased it, and when.
    public func erase(at date: Date) throws(CubbyError) {
        try database.write("erasing the child's data") { db in
            // secure_delete overwrites what is freed, so the words are gone from the file, not just unlinked.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // A conversation still open keeps its row (the daemon is writing to it), never its turns.
            try db.execute(sql: "DELETE FROM turn")
            try db.execute(sql: "DELETE FROM conversation WHERE endedAt IS NOT NULL")
            for table in ["alert", "memorySearch", "memory", "childLike", "child", "auditEntry"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            // The child's own timers and game score go too; the parent's routines are the parent's settings.
            try db.execute(sql: "DELETE FROM routine WHERE addedBy = 'child'")
            try db.execute(sql: "DELETE FROM setting WHERE key = 'learning_game.score'")
            // The full-text index keeps deleted terms in its segments until it is rebuilt.
            try db.execute(sql: "INSERT INTO memorySearch(memorySearch) VALUES ('rebuild')")
            var entry = AuditRow(id: nil, at: date, action: "data.erase", detail: "everything kept about the child was erased")
            try entry.insert(db)
        }
        // The old pages also live on in the write-ahead log: fold it in and truncate it.
        try? database.checkpoint()
    }

    /// Restores what a soul carries, in one transaction: every memory the toy does not already have (a
    /// repeat of a kept fact is skipped), and the profile. Returns how many memories were added. On any
    /// failure nothing changes.
    public func restore(memories: [Memory], profile: Profile?, detail: String, at date: Date) throws(CubbyError) -> Int {
        try database.write("restoring a soul") { db in
            var added = 0
            for memory in memories {
                let text = CodePoints.prefix(memory.text, 500)
                guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
                let terms = MemoryTerms.terms(text)
                let language = MemoryTerms.language(of: text)
                if try MemoryStore.duplicate(of: terms, language: language, in: db) != nil { continue }
                var copy = memory
                copy.text = text
                copy.language = language
                copy.sourceTurnID = nil  // the turn was on the other toy
                copy.salience = min(1, max(0, memory.salience))
                _ = try MemoryStore.insert(copy, terms: terms, in: db)
                added += 1
            }
            if var profile {
                profile.age = profile.age.flatMap { (3...12).contains($0) ? $0 : nil }  // a soul from elsewhere is not trusted to fit
                try Self.save(profile, replacingLikes: false, in: db, at: date)
            }
            var entry = AuditRow(id: nil, at: date, action: "soul.import", detail: detail + ": \(added) memories added")
            try entry.insert(db)
            return added
        }
    }

    /// Transcripts older than `date` are deleted (their alerts stay, unlinked); returns how many conversations.
    @discardableResult
    public func deleteTranscripts(before date: Date) throws(CubbyError) -> Int {
        try database.write("deleting old transcripts") { db in
            // Only finished conversations: the daemon may still be writing to an open one.
            try db.execute(sql: "DELETE FROM conversation WHERE endedAt IS NOT NULL AND endedAt < ?", arguments: [date])
            return db.changesCount
        }
    }
}

/// SQLite's `length()` counts code points, not the characters Swift counts: limits checked by the schema
/// are cut the same way.
enum CodePoints {
    static func prefix(_ text: String, _ count: Int) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.prefix(count))
        return String(scalars)
    }
}
