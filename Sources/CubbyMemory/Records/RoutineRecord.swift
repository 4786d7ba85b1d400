import Foundation
import GRDB

/// A routine as stored: what the toy does (says a line, starts a scene) and when (a time on some
/// weekdays, or once). Kept as plain text columns; `CubbyRoutines` reads them as a schedule.
public struct RoutineRecord: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "routine"

    public enum Action: String, Sendable, Codable {
        /// Says `text`: a reminder in the parent's words, or a timer's end.
        case say
        /// Starts `scene` (bedtime, morning, story…): the toy speaks first, then listens.
        case scene
    }

    public enum AddedBy: String, Sendable, Codable {
        case parent, child
    }

    public var id: Int64?
    public var action: Action
    public var text: String?
    public var scene: String?
    /// "HH:MM" in the toy's time zone; with `weekdays`.
    public var time: String?
    /// Comma-separated "mon,tue,…"; with `time`.
    public var weekdays: String?
    /// The one moment of a routine that happens once (a timer, a dated reminder).
    public var onceAt: Date?
    /// How late the routine may still happen (after a power cut, or while the toy was busy).
    public var graceMinutes: Int
    public var addedBy: AddedBy
    public var createdAt: Date

    public init(id: Int64? = nil, action: Action, text: String? = nil, scene: String? = nil, time: String? = nil, weekdays: String? = nil,
                onceAt: Date? = nil, graceMinutes: Int, addedBy: AddedBy, createdAt: Date) {
        self.id = id
        self.action = action
        self.text = text
        self.scene = scene
        self.time = time
        self.weekdays = weekdays
        self.onceAt = onceAt
        self.graceMinutes = graceMinutes
        self.addedBy = addedBy
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
