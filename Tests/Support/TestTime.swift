import Foundation

/// The one calendar the clock tests read: Gregorian in UTC, so a test's "19:30 on Monday" is the same
/// moment on every machine.
public enum TestTime {
    public static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// 2026-12-`day` at hh:mm UTC (the 4th is a Friday, the 6th a Sunday, the 7th a Monday).
    public static func december(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        utc.date(from: DateComponents(year: 2026, month: 12, day: day, hour: hour, minute: minute))!
    }
}
