import CubbyConfiguration
import Foundation

/// The parent's `[limits]` as decisions: whether the toy may play now, and how much is left. Pure — the
/// time and what was played come in as values — so a whole day is tested in milliseconds.
///
/// Play is counted from stretches (one per conversation, from opening to closing): the toy's own records,
/// so a restart never hands the child a fresh budget.
public struct PlayPolicy: Sendable {
    public var limits: PlayLimits
    /// The toy's calendar (its time zone says when a day starts).
    public var calendar: Calendar

    public init(limits: PlayLimits, calendar: Calendar = .current) {
        self.limits = limits
        self.calendar = calendar
    }

    /// One stretch of play: a conversation, closed or open (then `end` is now).
    public struct Stretch: Sendable, Equatable {
        public var start: Date
        public var end: Date

        public init(start: Date, end: Date) {
            self.start = start
            self.end = max(start, end)
        }

        var seconds: TimeInterval { end.timeIntervalSince(start) }
    }

    /// Why the toy will not play now.
    public enum Refusal: Sendable, Equatable {
        /// It is the parent's quiet hours.
        case quietHours
        /// Today's minutes are used up.
        case dailyLimit
        /// This sitting's minutes are used up: a break until `until`.
        case sittingLimit(until: Date)
    }

    /// Where play stands at a moment.
    public struct Standing: Sendable, Equatable {
        public var playedToday: TimeInterval
        /// Seconds left today; nil when there is no daily limit.
        public var leftToday: TimeInterval?
        /// Play in the current sitting (0 after a long enough pause).
        public var playedThisSitting: TimeInterval
        /// When the current sitting began; nil when there is none.
        public var sittingStart: Date?
        /// Seconds left in this sitting; nil when there is no limit per sitting.
        public var leftThisSitting: TimeInterval?
        /// The end of the last stretch of this sitting (when a break would end).
        public var sittingLastPlayed: Date?
        public var inQuietHours: Bool

        /// The nearest limit's seconds left; nil when neither applies.
        public var left: TimeInterval? {
            [leftToday, leftThisSitting].compactMap { $0 }.min()
        }
    }

    public func standing(at now: Date, history: [Stretch]) -> Standing {
        let weekday = self.weekday(of: now)
        let dayStart = calendar.startOfDay(for: now)
        let played = history.reduce(0.0) { total, stretch in
            let start = max(stretch.start, dayStart)
            let end = min(stretch.end, now)
            return total + max(0, end.timeIntervalSince(start))
        }
        let daily = limits.dailyMinutes(on: weekday)
        let sitting = currentSitting(at: now, history: history)
        let sittingPlayed = sitting.reduce(0.0) { $0 + $1.seconds }
        return Standing(
            playedToday: played,
            leftToday: daily > 0 ? max(0, Double(daily * 60) - played) : nil,
            playedThisSitting: sittingPlayed,
            sittingStart: sitting.first?.start,
            leftThisSitting: limits.sittingMinutes > 0 ? max(0, Double(limits.sittingMinutes * 60) - sittingPlayed) : nil,
            sittingLastPlayed: sitting.last?.end,
            inQuietHours: isQuiet(at: now))
    }

    /// Whether the toy may start playing now; the refusal says why not.
    public func refusal(at now: Date, history: [Stretch]) -> Refusal? {
        let standing = standing(at: now, history: history)
        return refusal(for: standing)
    }

    /// Whether play must stop (or may not start), for a standing already worked out.
    public func refusal(for standing: Standing) -> Refusal? {
        if standing.inQuietHours { return .quietHours }
        if let left = standing.leftToday, left <= 0 { return .dailyLimit }
        if let left = standing.leftThisSitting, left <= 0, let last = standing.sittingLastPlayed {
            return .sittingLimit(until: last.addingTimeInterval(Double(limits.breakMinutes * 60)))
        }
        return nil
    }

    /// The stretches of the sitting going on at `now`, oldest first: the latest stretches with pauses
    /// shorter than a break between them. Empty when the last play ended a break or more ago.
    func currentSitting(at now: Date, history: [Stretch]) -> [Stretch] {
        let pause = Double(limits.breakMinutes * 60)
        let sorted = history.filter { $0.start <= now }.sorted { $0.start < $1.start }
        guard let last = sorted.last, now.timeIntervalSince(last.end) < pause else { return [] }
        var sitting = [last]
        for stretch in sorted.dropLast().reversed() {
            guard sitting[0].start.timeIntervalSince(stretch.end) < pause else { break }
            sitting.insert(stretch, at: 0)
        }
        return sitting
    }

    /// Whether `now` falls in the quiet hours of today's night, or of last night's when they run past midnight.
    public func isQuiet(at now: Date) -> Bool {
        let components = calendar.dateComponents([.hour, .minute], from: now)
        let minute = (components.hour ?? 0) * 60 + (components.minute ?? 0)
        let today = weekday(of: now)
        if let tonight = limits.quietHours(on: today),
           minute >= tonight.start.minutes && (tonight.crossesMidnight || minute < tonight.end.minutes) {
            return true
        }
        let yesterday = weekday(of: calendar.date(byAdding: .day, value: -1, to: now) ?? now)
        if let lastNight = limits.quietHours(on: yesterday), lastNight.crossesMidnight, minute < lastNight.end.minutes {
            return true
        }
        return false
    }

    /// Where the play that counts at `now` begins: yesterday's start, since a sitting may run across midnight.
    public func countedFrom(_ now: Date) -> Date {
        calendar.date(byAdding: .day, value: -1, to: calendar.startOfDay(for: now)) ?? now
    }

    public func weekday(of date: Date) -> Weekday {
        Weekday(calendarWeekday: calendar.component(.weekday, from: date)) ?? .mon
    }
}
