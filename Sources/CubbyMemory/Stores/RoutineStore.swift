import CubbyCore
import Foundation
import GRDB

/// The toy's routines and timers, and how far the scheduler has looked: a routine is said at most once,
/// and after a power cut the scheduler knows which moments it slept through.
public struct RoutineStore: Sendable {
    let database: CubbyDatabase
    static let checkedKey = "routines.checked_through"

    public func all() throws(CubbyError) -> [RoutineRecord] {
        try database.read("reading the routines") { db in try RoutineRecord.order(Column("id")).fetchAll(db) }
    }

    /// Stores a routine and returns it with its id.
    @discardableResult
    public func add(_ routine: RoutineRecord) throws(CubbyError) -> RoutineRecord {
        try database.write("saving a routine") { db in
            var row = routine
            try row.insert(db)
            return row
        }
    }

    /// Stores a parent's routine and its line in the audit log (`note` describes the stored routine), in one
    /// transaction: both, or neither.
    public func add(_ routine: RoutineRecord, note: (RoutineRecord) throws(CubbyError) -> String, at date: Date) throws(CubbyError) -> RoutineRecord {
        try database.write("saving a routine") { db in
            var row = routine
            try row.insert(db)
            var entry = AuditRow(id: nil, at: date, action: "routines.add", detail: try note(row))
            try entry.insert(db)
            return row
        }
    }

    /// Removes a routine and notes it in the audit log, in one transaction; returns whether there was one.
    public func remove(id: Int64, noteAt date: Date) throws(CubbyError) -> Bool {
        try database.write("removing a routine") { db in
            guard try RoutineRecord.deleteOne(db, key: id) else { return false }
            var entry = AuditRow(id: nil, at: date, action: "routines.remove", detail: "#\(id)")
            try entry.insert(db)
            return true
        }
    }

    /// The moment up to which every routine has been handled (said, skipped or missed); nil on a new toy.
    public func checkedThrough() throws(CubbyError) -> Date? {
        guard let value = try database.settings.value(Self.checkedKey), let seconds = Double(value) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Notes how far routines were handled and drops the one-time routines that are done, in one transaction,
    /// so a crash never says a routine twice nor forgets that one is done.
    /// `missed` go to the audit log as `routine.missed` lines, and `note` as one line of its own, in the same transaction.
    public func checked(through date: Date, finished: [Int64], missed: [String] = [], note: (action: String, detail: String)? = nil) throws(CubbyError) {
        try database.write("noting the routines handled") { db in
            for id in finished { _ = try RoutineRecord.deleteOne(db, key: id) }
            for detail in missed {
                var entry = AuditRow(id: nil, at: date, action: "routine.missed", detail: detail)
                try entry.insert(db)
            }
            if let note {
                var entry = AuditRow(id: nil, at: date, action: note.action, detail: note.detail)
                try entry.insert(db)
            }
            try db.execute(sql: """
                INSERT INTO setting (key, value, updatedAt) VALUES (?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt
                """, arguments: [Self.checkedKey, String(date.timeIntervalSince1970), date])
        }
    }
}
