import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyRoutines
import Foundation
import CubbyTestSupport
import Testing

/// The routine planner on its own: a week of routines in milliseconds, a power cut across them, and the
/// store's guarantee that only a parent's routines repeat.
@Suite struct RoutinePlannerTests {
    static var utc: Calendar { TestTime.utc }
    static func at(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date { TestTime.december(day, hour, minute) }

    static func routine(_ id: Int64, say text: String? = nil, scene: String? = nil, at time: String, days: String) throws -> Routine {
        try Routine(RoutineRecord(id: id, action: scene == nil ? .say : .scene, text: text, scene: scene, time: time,
                                  weekdays: WeekdayList.format(try WeekdayList.parse(days)),
                                  graceMinutes: Routine.defaultGraceMinutes(action: scene == nil ? .say : .scene, scene: scene),
                                  addedBy: .parent, createdAt: at(1, 0)))
    }

    static func week() throws -> [Routine] {
        [try routine(1, scene: "bedtime", at: "19:30", days: "school-nights"),
         try routine(2, say: "Time to brush your teeth!", at: "19:15", days: "daily"),
         try routine(3, scene: "morning", at: "07:00", days: "weekdays"),
         try Routine(RoutineRecord(id: 4, action: .say, text: "Grandma comes today!", onceAt: at(9, 8), graceMinutes: 15, addedBy: .parent,
                                   createdAt: at(1, 0)))]
    }

    @Test func aWeekOfRoutinesHappensEachAtItsMinuteAndOnlyThen() throws {
        let routines = try Self.week()
        var said: [(Int64, Date)] = []
        var checked = Self.at(6, 0)
        // A look every minute, as the scheduler would at worst: 10,080 looks.
        var now = checked
        while now < Self.at(13, 0) {
            now = now.addingTimeInterval(60)
            let plan = RoutinePlanner.plan(routines, checkedThrough: checked, now: now, calendar: Self.utc)
            #expect(plan.missed.isEmpty)
            said += plan.due.map { ($0.routine.id, $0.at) }
            #expect(plan.due.allSatisfy { $0.late == 0 })
            checked = now
        }
        let byRoutine = Dictionary(grouping: said, by: \.0)
        // Sunday to Thursday nights: five bedtimes; teeth every day; mornings Monday to Friday; grandma once.
        #expect(byRoutine[1]?.map { Self.utc.component(.weekday, from: $0.1) } == [1, 2, 3, 4, 5])
        #expect(byRoutine[1]?.allSatisfy { Self.utc.component(.hour, from: $0.1) == 19 && Self.utc.component(.minute, from: $0.1) == 30 } == true)
        #expect(byRoutine[2]?.count == 7)
        #expect(byRoutine[3]?.map { Self.utc.component(.day, from: $0.1) } == [7, 8, 9, 10, 11])
        #expect(byRoutine[4]?.map(\.1) == [Self.at(9, 8)])
    }

    @Test func afterAPowerCutAReminderWithinItsGraceIsSaidLateAndABedtimeIsNeverReplayedAtNoon() throws {
        let routines = try Self.week()
        // Off from 19:00 to 19:38 on Monday: teeth (19:15) is 23 minutes late, past its 15; bedtime (19:30) 8, within its 10.
        let evening = RoutinePlanner.plan(routines, checkedThrough: Self.at(7, 19), now: Self.at(7, 19, 38), calendar: Self.utc)
        #expect(evening.due.map(\.routine.id) == [1])
        #expect(abs((evening.due.first?.late ?? 0) - 8 * 60) < 1)
        #expect(evening.missed.map(\.routine.id) == [2])

        // Off from Monday 19:00 to Tuesday noon: everything in between is missed, nothing is said.
        let noon = RoutinePlanner.plan(routines, checkedThrough: Self.at(7, 19), now: Self.at(8, 12), calendar: Self.utc)
        #expect(noon.due.isEmpty)
        #expect(noon.missed.map(\.routine.id).sorted() == [1, 2, 3])

        // A one-time reminder slept through is done with, said or not.
        let grandma = RoutinePlanner.plan(routines, checkedThrough: Self.at(9, 7), now: Self.at(9, 10), calendar: Self.utc)
        #expect(grandma.finished == [4] && grandma.missed.map(\.routine.id).contains(4))
        // Looking twice at the same moment says nothing twice.
        #expect(RoutinePlanner.plan(routines, checkedThrough: Self.at(7, 19, 38), now: Self.at(7, 19, 38), calendar: Self.utc).due.isEmpty)
    }

    @Test func theNextMomentIsTheEarliestOfAnyRoutine() throws {
        let routines = try Self.week()
        #expect(RoutinePlanner.next(routines, after: Self.at(7, 19, 20), calendar: Self.utc) == Self.at(7, 19, 30))
        // Friday night is not a school night: Saturday's teeth come first.
        #expect(RoutinePlanner.next(routines, after: Self.at(11, 19, 20), calendar: Self.utc) == Self.at(12, 19, 15))
        #expect(RoutinePlanner.next([], after: Self.at(7, 0), calendar: Self.utc) == nil)
    }

    @Test func weekdaysAreReadAsParentsWriteThem() throws {
        #expect(try WeekdayList.parse("mon-fri") == [.mon, .tue, .wed, .thu, .fri])
        #expect(try WeekdayList.parse("fri-mon") == [.sun, .mon, .fri, .sat])
        #expect(try WeekdayList.parse("sat, sun") == [.sun, .sat])
        #expect(try WeekdayList.parse("school-nights") == [.sun, .mon, .tue, .wed, .thu])
        #expect(try WeekdayList.parse("daily").count == 7)
        #expect(throws: CubbyError.self) { try WeekdayList.parse("monday-ish") }
        #expect(throws: CubbyError.self) { try WeekdayList.parse("") }
    }

    @Test func theStoreRefusesARepeatingRoutineFromAChildAndKeepsHowFarItLooked() throws {
        let database = try CubbyDatabase()
        let store = database.routines
        #expect(throws: CubbyError.self) {
            try store.add(RoutineRecord(action: .say, text: "every day", time: "07:00", weekdays: "mon", graceMinutes: 15, addedBy: .child, createdAt: Date()))
        }
        let timer = try store.add(RoutineRecord(action: .say, text: "Ding!", onceAt: Self.at(7, 19), graceMinutes: 30, addedBy: .child, createdAt: Date()))
        #expect(try store.checkedThrough() == nil)
        try store.checked(through: Self.at(7, 19, 1), finished: [timer.id!])
        #expect(try store.all().isEmpty)
        #expect(try store.checkedThrough() == Self.at(7, 19, 1))
    }
}

/// Routines across the clock changes of a time zone that has them.
@Suite struct RoutineClockChangeTests {
    static var newYork: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/New_York")!
        return calendar
    }

    func at(_ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        Self.newYork.date(from: DateComponents(year: 2027, month: month, day: day, hour: hour, minute: minute))!
    }

    @Test func aDailyRoutineHappensOnceOnEachDayOfAClockChange() throws {
        let early = try Routine(RoutineRecord(id: 1, action: .say, text: "Night light check", time: "02:30", weekdays: "sun,mon,tue,wed,thu,fri,sat",
                                              graceMinutes: 15, addedBy: .parent, createdAt: Date(timeIntervalSince1970: 0)))
        let bedtime = try Routine(RoutineRecord(id: 2, action: .scene, scene: "bedtime", time: "19:30", weekdays: "sun,mon,tue,wed,thu,fri,sat",
                                                graceMinutes: 10, addedBy: .parent, createdAt: Date(timeIntervalSince1970: 0)))
        // 14 March 2027: 02:00 becomes 03:00 in New York; 7 November: 02:00 happens twice.
        for (month, day) in [(3, 14), (11, 7)] {
            let moments = RoutinePlanner.occurrences(of: early, after: at(month, day, 0), through: at(month, day, 23, 59), calendar: Self.newYork)
            #expect(moments.count == 1, "\(month)/\(day): \(moments)")
            let evening = RoutinePlanner.occurrences(of: bedtime, after: at(month, day, 0), through: at(month, day, 23, 59), calendar: Self.newYork)
            #expect(evening.count == 1 && Self.newYork.component(.hour, from: evening[0]) == 19, "\(evening)")
        }
    }
}
