import GRDB

/// The database's schema, as named migrations applied in order. A migration is never edited once
/// shipped: a change is a new migration, so every toy's database reaches the same schema.
enum Schema {
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
        migrator.registerMigration("v4: lists as rows") { db in
            try db.create(table: "turnCategory") { t in
                t.belongsTo("turn", onDelete: .cascade).notNull()
                t.column("category", .text).notNull()
                t.primaryKey(["turnId", "category"])
            }
            try db.create(table: "alertRule") { t in
                t.belongsTo("alert", onDelete: .cascade).notNull()
                t.column("ruleID", .text).notNull()
                t.primaryKey(["alertId", "ruleID"])
            }
            // Existing comma-joined lists move to rows before their columns go.
            for row in try Row.fetchAll(db, sql: "SELECT id, inboundCategories FROM turn WHERE inboundCategories IS NOT NULL") {
                for category in Set((row["inboundCategories"] as String).split(separator: ",")) {
                    try db.execute(sql: "INSERT INTO turnCategory (turnId, category) VALUES (?, ?)", arguments: [row["id"], String(category)])
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, rules FROM alert") {
                for rule in Set((row["rules"] as String).split(separator: ",")) {
                    try db.execute(sql: "INSERT INTO alertRule (alertId, ruleID) VALUES (?, ?)", arguments: [row["id"], String(rule)])
                }
            }
            try db.alter(table: "turn") { t in t.drop(column: "inboundCategories") }
            try db.alter(table: "alert") { t in t.drop(column: "rules") }
        }
        migrator.registerMigration("v5: long-term memory, the child's profile, settings and the parents' audit log") { db in
            try db.create(table: "child") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }  // one child per toy
                t.column("name", .text).check { length($0) <= 64 }
                t.column("age", .integer).check { $0 >= 3 && $0 <= 12 }
                t.column("language", .text).notNull().defaults(to: "en")
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "childLike") { t in
                t.belongsTo("child", onDelete: .cascade).notNull()
                t.column("thing", .text).notNull().check { length($0) >= 1 && length($0) <= 80 }
                t.primaryKey(["childId", "thing"])
            }
            // The old table's facts move into the new one, every one of them.
            try db.rename(table: "memory", to: "memoryV3")
            try db.create(table: "memory") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("text", .text).notNull().check { length($0) >= 1 && length($0) <= 500 }
                t.column("kind", .text).notNull().defaults(to: "other")
                    .check { ["preference", "person", "pet", "event", "plan", "feeling", "other"].contains($0) }
                t.column("language", .text).notNull().defaults(to: "en")
                t.belongsTo("sourceTurn", inTable: "turn", onDelete: .setNull)
                t.column("createdAt", .datetime).notNull()
                t.column("lastUsedAt", .datetime)
                t.column("salience", .double).notNull().defaults(to: 0.5).check { $0 >= 0 && $0 <= 1 }
                t.column("expiresAt", .datetime)
            }
            try db.create(index: "memory_on_createdAt", on: "memory", columns: ["createdAt"])
            try db.create(index: "memory_on_salience", on: "memory", columns: ["salience", "createdAt"])
            try db.execute(sql: "CREATE VIRTUAL TABLE memorySearch USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0')")
            // How many facts hold each term: recall asks only for the rarer terms of a question.
            try db.execute(sql: "CREATE VIRTUAL TABLE memoryTermCount USING fts5vocab(memorySearch, 'row')")
            for row in try Row.fetchAll(db, sql: "SELECT id, text, createdAt FROM memoryV3 ORDER BY id") {
                let text: String = row["text"]
                try db.execute(sql: "INSERT INTO memory (id, text, language, createdAt) VALUES (?, ?, ?, ?)",
                               arguments: [row["id"], CodePoints.prefix(text.isEmpty ? "?" : text, 500), MemoryTerms.language(of: text), row["createdAt"]])
                try db.execute(sql: "INSERT INTO memorySearch (rowid, terms) VALUES (?, ?)",
                               arguments: [row["id"], MemoryTerms.terms(text).joined(separator: " ")])
            }
            try db.drop(table: "memoryV3")
            try db.create(table: "setting") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "auditEntry") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull()
                t.column("action", .text).notNull()
                t.column("detail", .text).notNull()
            }
        }
        migrator.registerMigration("v6: routines and timers") { db in
            try db.create(table: "routine") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("action", .text).notNull().check { ["say", "scene"].contains($0) }
                // What the toy says (a reminder, a timer's label) or the scene it starts.
                t.column("text", .text).check { length($0) <= 300 }
                t.column("scene", .text).check { length($0) <= 32 }
                // "HH:MM" on `weekdays` ("mon,tue,…"), or once at `onceAt`.
                t.column("time", .text)
                t.column("weekdays", .text)
                t.column("onceAt", .datetime)
                t.column("graceMinutes", .integer).notNull().check { $0 >= 0 && $0 <= 720 }
                t.column("addedBy", .text).notNull().check { ["parent", "child"].contains($0) }
                t.column("createdAt", .datetime).notNull()
                t.check(sql: "(time IS NOT NULL AND weekdays IS NOT NULL AND onceAt IS NULL) OR (time IS NULL AND weekdays IS NULL AND onceAt IS NOT NULL)")
                // Only a parent's routines repeat.
                t.check(sql: "addedBy = 'parent' OR onceAt IS NOT NULL")
            }
        }
        return migrator
    }
}
