import CubbyCore
import Foundation
import GRDB

/// What parents did to the toy's data and settings, in order: kept so a family can see who changed what.
public struct AuditLog: Sendable {
    let database: CubbyDatabase

    public struct Entry: Sendable, Equatable, Codable {
        public var at: Date
        public var action: String
        public var detail: String
    }

    public func record(_ action: String, _ detail: String, at date: Date) throws(CubbyError) {
        try database.write("writing the audit log") { db in
            var row = AuditRow(id: nil, at: date, action: action, detail: detail)
            try row.insert(db)
        }
    }

    public func entries(limit: Int = 1_000) throws(CubbyError) -> [Entry] {
        try database.read("reading the audit log") { db in
            try AuditRow.order(Column("id").desc).limit(limit).fetchAll(db).reversed().map { Entry(at: $0.at, action: $0.action, detail: $0.detail) }
        }
    }
}
