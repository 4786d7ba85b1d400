import Foundation
import GRDB

// The database's rows as GRDB records. Internal: the stores turn them into the public records
// (`TurnRecord`, `AlertRecord`) that the rest of Cubby uses.

struct ConversationRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "conversation"
    var id: Int64?
    var personaID: String
    var openedBy: String
    var startedAt: Date
    var endedAt: Date?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

struct TurnRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "turn"
    static let sentences = hasMany(TurnSentenceRow.self)
    static let categories = hasMany(TurnCategoryRow.self)
    var id: Int64?
    var conversationId: Int64
    var startedAt: Date
    var endedAt: Date
    var childText: String
    var toyText: String
    var outcome: String
    var failure: String?
    var inboundAction: String?
    var sentText: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

struct TurnSentenceRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "turnSentence"
    var id: Int64?
    var turnId: Int64
    var position: Int
    var text: String
    var spoken: Bool
    var blockedCategory: String?
}

struct TurnCategoryRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "turnCategory"
    var turnId: Int64
    var category: String
}

struct AlertRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "alert"
    static let rules = hasMany(AlertRuleRow.self)
    var id: Int64?
    var conversationId: Int64?
    var raisedAt: Date
    var category: String
    var excerpt: String
    var seenAt: Date?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

struct AlertRuleRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "alertRule"
    var alertId: Int64
    var ruleID: String
}

struct MemoryRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "memory"
    var id: Int64?
    var text: String
    var kind: String
    var language: String
    var sourceTurnId: Int64?
    var createdAt: Date
    var lastUsedAt: Date?
    var salience: Double
    var expiresAt: Date?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    var memory: Memory {
        Memory(id: id ?? 0, text: text, kind: Memory.Kind(rawValue: kind) ?? .other, language: language, sourceTurnID: sourceTurnId,
               createdAt: createdAt, lastUsedAt: lastUsedAt, salience: salience, expiresAt: expiresAt)
    }
}

struct AuditRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "auditEntry"
    var id: Int64?
    var at: Date
    var action: String
    var detail: String
}
