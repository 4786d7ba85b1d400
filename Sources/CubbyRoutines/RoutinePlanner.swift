import CubbyConfiguration
import Foundation

/// Decides, as a pure function of the routines, the clock and how far the toy had looked, what is due now,
/// what was missed, and when to look next. The scheduler service only acts on its answers.
///
/// A moment is handled once: the planner looks at the moments after `checkedThrough` up to `now`. A moment
/// still within its routine's grace is due (late by how much); an older one is missed and never said —
/// after a power cut the toy does not replay a night of routines in the morning. Of a repeating routine's
/// moments only the newest can be due.
public enum RoutinePlanner {
    public struct Due: Sendable, Equatable {
        public var routine: Routine
        public var at: Date
        /// How long after its moment the routine happens.
        public var late: TimeInterval
    }

    public struct Plan: Sendable, Equatable {
        public var due: [Due] = []
        public var missed: [Due] = []
        /// One-time routines whose moment has passed (due or missed): removed once handled.
        public var finished: [Int64] = []
    }

    public static func plan(_ routines: [Routine], checkedThrough: Date, now: Date, calendar: Calendar) -> Plan {
        var plan = Plan()
        guard now > checkedThrough else { return plan }
        for routine in routines {
            let moments = occurrences(of: routine, after: checkedThrough, through: now, calendar: calendar)
            guard let newest = moments.last else { continue }
            if !routine.repeats { plan.finished.append(routine.id) }
            for moment in moments.dropLast() { plan.missed.append(Due(routine: routine, at: moment, late: now.timeIntervalSince(moment))) }
            let late = now.timeIntervalSince(newest)
            let entry = Due(routine: routine, at: newest, late: late)
            // A look comes a moment after the minute: under a minute late is on time, whatever the grace.
            if late <= max(60, Double(routine.grace.components.seconds)) { plan.due.append(entry) } else { plan.missed.append(entry) }
        }
        plan.due.sort { ($0.at, $0.routine.id) < ($1.at, $1.routine.id) }
        plan.missed.sort { ($0.at, $0.routine.id) < ($1.at, $1.routine.id) }
        return plan
    }

    /// The next moment of any routine after `date`; nil when none is left.
    public static func next(_ routines: [Routine], after date: Date, calendar: Calendar) -> Date? {
        routines.compactMap { routine in
            occurrences(of: routine, after: date, through: date.addingTimeInterval(8 * 86_400), calendar: calendar).first
        }.min()
    }

    /// The routine's moments in (after, through], in order. A time that does not exist on a day (a spring
    /// clock change) happens at the next valid minute, as the calendar says.
    public static func occurrences(of routine: Routine, after start: Date, through end: Date, calendar: Calendar) -> [Date] {
        switch routine.schedule {
        case .once(let date):
            return date > start && date <= end ? [date] : []
        case .weekly(let time, let days):
            var moments: [Date] = []
            var day = calendar.startOfDay(for: start)
            while day <= end {
                if let weekday = Weekday(calendarWeekday: calendar.component(.weekday, from: day)), days.contains(weekday),
                   let moment = calendar.date(bySettingHour: time.minutes / 60, minute: time.minutes % 60, second: 0, of: day),
                   moment > start, moment <= end {
                    moments.append(moment)
                }
                guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { break }
                day = following
            }
            return moments
        }
    }
}
