import CubbyConfiguration
import CubbyCore
import CubbyMemory
import Foundation

/// A routine as the scheduler reads it: what the toy does and when, checked.
///
/// Parents add routines that repeat (a time on some weekdays) or happen once (a date and time); a child
/// can only add a short timer, which happens once. The store keeps them as text; `init(_:)` reads a record
/// back and refuses one that does not make sense, naming the field.
public struct Routine: Sendable, Equatable {
    public enum Schedule: Sendable, Equatable {
        case weekly(TimeOfDay, [Weekday])
        case once(Date)
    }

    public var id: Int64
    public var action: RoutineRecord.Action
    public var text: String?
    public var scene: String?
    public var schedule: Schedule
    public var grace: Duration
    public var addedBy: RoutineRecord.AddedBy

    public var repeats: Bool {
        if case .weekly = schedule { return true }
        return false
    }

    public init(_ record: RoutineRecord) throws(CubbyError) {
        let context = "routine \(record.id ?? 0)"
        id = record.id ?? 0
        action = record.action
        text = record.text
        scene = record.scene
        addedBy = record.addedBy
        grace = .seconds(record.graceMinutes * 60)
        switch (record.time, record.weekdays, record.onceAt) {
        case (let time?, let days?, nil):
            guard let at = TimeOfDay(time) else { throw CubbyError(.invalidConfiguration, "time \"\(time)\" is not HH:MM", context: context) }
            schedule = .weekly(at, try WeekdayList.parse(days))
        case (nil, nil, let date?):
            schedule = .once(date)
        default:
            throw CubbyError(.invalidConfiguration, "a routine needs a time and weekdays, or one date", context: context)
        }
        switch action {
        case .say where (text ?? "").isEmpty: throw CubbyError(.invalidConfiguration, "a routine that speaks needs its words", context: context)
        case .scene where (scene ?? "").isEmpty: throw CubbyError(.invalidConfiguration, "a scene routine needs its scene", context: context)
        default: break
        }
    }

    /// How late a routine may still happen: a reminder is still useful a quarter of an hour late; a scene
    /// (bedtime, morning) only just after its time — a bedtime is never replayed at noon.
    public static func defaultGraceMinutes(action: RoutineRecord.Action, scene: String?) -> Int {
        switch action {
        case .say: 15
        case .scene: scene == "morning" ? 30 : 10
        }
    }
}

/// Weekdays as parents write them: "mon-fri", "sat,sun", "daily", "weekdays", "weekends", "school-nights".
public enum WeekdayList {
    public static func parse(_ text: String) throws(CubbyError) -> [Weekday] {
        let lowered = text.lowercased().trimmingSpaces()
        switch lowered {
        case "daily", "every-day", "everyday", "all": return Weekday.allCases
        case "weekdays": return [.mon, .tue, .wed, .thu, .fri]
        case "weekends", "weekend": return [.sat, .sun]
        // The evenings before a school day.
        case "school-nights", "school nights": return [.sun, .mon, .tue, .wed, .thu]
        default: break
        }
        var days: [Weekday] = []
        for part in lowered.split(separator: ",").map({ String($0).trimmingSpaces() }) {
            let ends = part.split(separator: "-").map { String($0) }
            guard (1...2).contains(ends.count), let first = Weekday(rawValue: ends[0]), let last = Weekday(rawValue: ends[ends.count - 1]) else {
                throw CubbyError(.invalidConfiguration, "\"\(part.prefix(20))\" is not a weekday or a range like mon-fri (days: \(Weekday.allCases.map(\.rawValue).joined(separator: ", ")); or daily, weekdays, weekends, school-nights)")
            }
            // A range runs forward and may wrap: fri-mon is fri, sat, sun, mon.
            var index = Weekday.allCases.firstIndex(of: first)!
            while true {
                let day = Weekday.allCases[index]
                if !days.contains(day) { days.append(day) }
                if day == last { break }
                index = (index + 1) % 7
            }
        }
        guard !days.isEmpty else { throw CubbyError(.invalidConfiguration, "no weekdays given") }
        return Weekday.allCases.filter(days.contains)
    }

    /// The stored form: "mon,tue,wed".
    public static func format(_ days: [Weekday]) -> String { days.map(\.rawValue).joined(separator: ",") }
}
