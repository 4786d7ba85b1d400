import CubbyCore
import CubbyMemory
import Foundation

/// When the toy last said it is a toy with a computer brain — because it was asked, or at first use, or
/// at the parent's interval — kept in the store so the interval counts across restarts.
public struct AIReminders: Sendable {
    let settings: SettingStore
    static let key = "minor.ai_reminder_at"

    public init(database: CubbyDatabase) { settings = database.settings }

    /// nil: never, so the next conversation is the toy's first use.
    public func last() throws(CubbyError) -> Date? {
        try settings.value(Self.key).flatMap(Double.init).map(Date.init(timeIntervalSince1970:))
    }

    public func given(at date: Date) throws(CubbyError) {
        try settings.set([Self.key: "\(date.timeIntervalSince1970)"], at: date)
    }
}
