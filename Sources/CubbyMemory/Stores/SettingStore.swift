import CubbyCore
import Foundation
import GRDB

/// Small values the toy keeps across restarts (the parent PIN's hash and its rate limit), by key.
public struct SettingStore: Sendable {
    let database: CubbyDatabase

    public func value(_ key: String) throws(CubbyError) -> String? {
        try database.read("reading a setting") { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    /// Sets several keys in one transaction (nil removes a key).
    public func set(_ values: [String: String?], at date: Date) throws(CubbyError) {
        try database.write("saving a setting") { db in
            for (key, value) in values {
                if let value {
                    try db.execute(sql: """
                        INSERT INTO setting (key, value, updatedAt) VALUES (?, ?, ?)
                        ON CONFLICT(key) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt
                        """, arguments: [key, value, date])
                } else {
                    try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key])
                }
            }
        }
    }
}
