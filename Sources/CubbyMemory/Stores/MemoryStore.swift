import CubbyCore
import Foundation
import GRDB

/// What the toy remembers about the child, as the model's `remember` tool kept it (already checked by
/// the safety filter), until the child or a parent asks to forget it.
public struct MemoryStore: Sendable {
    let database: CubbyDatabase

    /// Keeps a fact; returns its id.
    @discardableResult
    public func remember(_ text: String, at date: Date) throws(CubbyError) -> Int64 {
        try database.write("remembering") { db in
            var row = MemoryRow(text: text, createdAt: date)
            try row.insert(db)
            return row.id ?? db.lastInsertedRowID
        }
    }

    /// Forgets every kept fact that contains `phrase` (case-insensitive); returns how many.
    public func forget(matching phrase: String) throws(CubbyError) -> Int {
        try database.write("forgetting") { db in
            try MemoryRow.filter(sql: "instr(lower(text), lower(?)) > 0", arguments: [phrase]).deleteAll(db)
        }
    }

    /// The most recent kept facts, oldest first.
    public func recent(limit: Int) throws(CubbyError) -> [String] {
        try database.read("reading memories") { db in
            try MemoryRow.order(Column("id").desc).limit(limit).fetchAll(db).reversed().map(\.text)
        }
    }
}
