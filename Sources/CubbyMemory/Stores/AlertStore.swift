import CubbyCore
import Foundation
import GRDB

/// Alerts for the parents: a child's words that told of harm, kept with the moment and the rules that
/// matched, until a parent marks them seen.
public struct AlertStore: Sendable {
    let database: CubbyDatabase

    /// Records an alert; returns its id.
    @discardableResult
    public func raise(_ alert: AlertRecord) throws(CubbyError) -> Int64 {
        try database.write("recording an alert") { db in
            var row = AlertRow(conversationId: alert.conversationID, raisedAt: alert.raisedAt, category: alert.category,
                               excerpt: alert.excerpt, seenAt: alert.seenAt)
            try row.insert(db)
            let id = row.id ?? db.lastInsertedRowID
            for rule in Set(alert.rules) { try AlertRuleRow(alertId: id, ruleID: rule).insert(db) }
            return id
        }
    }

    /// Marks alerts as seen by a parent.
    public func markSeen(_ ids: [Int64], at date: Date) throws(CubbyError) {
        guard !ids.isEmpty else { return }
        try database.write("marking alerts seen") { db in
            _ = try AlertRow.filter(keys: ids).filter(Column("seenAt") == nil).updateAll(db, Column("seenAt").set(to: date))
        }
    }

    /// The most recent alerts, newest first.
    public func recent(limit: Int) throws(CubbyError) -> [AlertRecord] {
        try database.read("reading alerts") { db in
            try AlertRow.order(Column("id").desc).limit(limit).fetchAll(db).map { row in
                let rules = try AlertRuleRow.filter(Column("alertId") == row.id).order(Column("ruleID")).fetchAll(db).map(\.ruleID)
                return AlertRecord(id: row.id, conversationID: row.conversationId, raisedAt: row.raisedAt, category: row.category,
                                   excerpt: row.excerpt, rules: rules, seenAt: row.seenAt)
            }
        }
    }
}
