import CubbyCore

/// A day of the week as the parent's schedule names it (`[limits.sat]`).
public enum Weekday: String, Sendable, CaseIterable, Codable {
    case sun, mon, tue, wed, thu, fri, sat

    /// `Calendar`'s weekday number (1 is Sunday).
    public init?(calendarWeekday: Int) {
        guard (1...7).contains(calendarWeekday) else { return nil }
        self = Self.allCases[calendarWeekday - 1]
    }
}

/// A time of day to the minute, as "HH:MM".
public struct TimeOfDay: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    /// Minutes since midnight, 0..<1440.
    public var minutes: Int

    public init(minutes: Int) { self.minutes = minutes }

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let hours = Int(parts[0]), let minutes = Int(parts[1]), (0..<24).contains(hours), (0..<60).contains(minutes) else { return nil }
        self.minutes = hours * 60 + minutes
    }

    public var description: String {
        let (hours, minutes) = self.minutes.quotientAndRemainder(dividingBy: 60)
        return (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }

    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.minutes < b.minutes }
}

/// The hours of a night when the toy sleeps, "20:00-07:00": from `start` on the day it belongs to until
/// `end`, which is the next morning when it is earlier than `start`.
public struct QuietHours: Sendable, Equatable, CustomStringConvertible {
    public var start: TimeOfDay
    public var end: TimeOfDay

    public init(start: TimeOfDay, end: TimeOfDay) {
        self.start = start
        self.end = end
    }

    /// Parses "HH:MM-HH:MM"; nil when it is not one.
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = TimeOfDay(String(parts[0]).trimmingSpaces()), let end = TimeOfDay(String(parts[1]).trimmingSpaces()),
              start != end else { return nil }
        self.init(start: start, end: end)
    }

    /// Whether the night runs past midnight.
    public var crossesMidnight: Bool { end < start }

    public var description: String { "\(start)-\(end)" }
}

/// What the wake phrase gets during quiet hours.
public enum QuietHoursAction: String, Sendable, CaseIterable {
    /// A soft bedtime line, and nothing else.
    case bedtimeLine = "bedtime_line"
    /// Nothing at all: the toy stays asleep.
    case ignore
}

/// The parent's `[limits]`: the minor mode the daemon enforces. Minutes of play count the whole time a
/// conversation is open (the child speaking, the toy listening, thinking and answering).
public struct PlayLimits: Sendable, Equatable {
    /// Minutes of play a day; 0 is no daily limit.
    public var dailyMinutes = 60
    /// Minutes of play in one sitting before a break; 0 is no limit per sitting.
    public var sittingMinutes = 30
    /// A pause at least this long ends a sitting (and is the break a full sitting needs).
    public var breakMinutes = 10
    /// The gentle warning comes this many minutes before a limit ends play.
    public var warningMinutes = 2
    /// A rest reminder after this many minutes of continuous play; 0 turns it off.
    public var restReminderMinutes = 20
    /// The toy says again that it is a toy with a computer brain after this many minutes; 0: only at
    /// first use and when asked.
    public var aiReminderMinutes = 30
    /// The nights when the toy sleeps; nil is none.
    public var quietHours: QuietHours?
    public var quietHoursAction = QuietHoursAction.bedtimeLine
    /// A weekday's own daily minutes or quiet hours (`[limits.sat]`), over the ones above.
    public var days: [Weekday: DayOverride] = [:]

    public struct DayOverride: Sendable, Equatable {
        public var dailyMinutes: Int?
        /// `.some(nil)`: no quiet hours that night.
        public var quietHours: QuietHours??

        public init(dailyMinutes: Int? = nil, quietHours: QuietHours?? = nil) {
            self.dailyMinutes = dailyMinutes
            self.quietHours = quietHours
        }
    }

    public init() {}

    /// The daily minutes on `day`; 0 is no limit.
    public func dailyMinutes(on day: Weekday) -> Int { days[day]?.dailyMinutes ?? dailyMinutes }

    /// The quiet hours of the night that starts on `day`.
    public func quietHours(on day: Weekday) -> QuietHours? {
        if let override = days[day]?.quietHours { return override }
        return quietHours
    }
}
