import AsyncAlgorithms
import CubbyCore
import CubbyMemory
import CubbyRoutines
import Foundation
import Logging
import ServiceLifecycle

/// Runs the toy's routines and timers on its own clock, with no cloud: at each routine's moment it hands
/// the routine to the conversation loop, which decides with the parent's rules (quiet hours, limits) what
/// the toy says. It notes in the store how far it has looked, so after a power cut a routine still within
/// its grace is said late and an older one is noted as missed, never replayed.
final class RoutineScheduler: Service, Sendable {
    let routines: RoutineStore
    let audit: AuditLog
    let clock: any CubbyClock
    let calendar: Calendar
    let inbox: AsyncChannel<ConversationEvent>
    /// Rung when routines change (a parent added one, a child set a timer): the scheduler looks again.
    let changed: Doorbell
    let logger: Logger
    /// The longest the scheduler sleeps between looks: the wall clock may be set (NTP at boot) meanwhile.
    static let longestNap: Duration = .seconds(60)
    /// Longer off than this, and routines simply start again from now.
    static let longestGap: TimeInterval = 7 * 86_400

    init(database: CubbyDatabase, clock: any CubbyClock, calendar: Calendar, inbox: AsyncChannel<ConversationEvent>, changed: Doorbell, logger: Logger) {
        routines = database.routines
        audit = database.audit
        self.clock = clock
        self.calendar = calendar
        self.inbox = inbox
        self.changed = changed
        self.logger = logger
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let next = await look()
            let nap = next.map { min(Self.longestNap, .seconds(max(0.001, $0.timeIntervalSince(clock.date)))) } ?? Self.longestNap
            await cancelWhenGracefulShutdown { [clock, changed] in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await clock.sleep(for: nap) }
                    group.addTask { await changed.wait() }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// Hands over what is due, notes what was missed, and returns the next moment to look at.
    func look() async -> Date? {
        let now = clock.date
        let stored: [RoutineRecord]
        do { stored = try routines.all() } catch {
            logger.error("could not read the routines", metadata: ["error": "\(error)"])
            return nil
        }
        var schedule: [Routine] = []
        for record in stored {
            do { schedule.append(try Routine(record)) } catch {
                logger.error("a routine was skipped", metadata: ["error": "\(error)"])
            }
        }
        do {
            // A new toy starts looking now: routines added later never fire for the past.
            let checked = try routines.checkedThrough() ?? now
            guard now >= checked else {
                // The clock went back (a board that booted with an old time, then NTP): the mark stays where
                // it is, so nothing already said is said again.
                if checked.timeIntervalSince(now) > 60 {
                    logger.warning("the clock is behind the routines already handled; waiting for it", metadata: ["handled_through": "\(checked)"])
                }
                return RoutinePlanner.next(schedule, after: checked, calendar: calendar)
            }
            if now.timeIntervalSince(checked) > Self.longestGap {
                // Off for more than a week, or a clock that jumped from 1970: one line, not one per moment.
                logger.notice("the toy was off (or its clock jumped) for a long time; routines start again from now")
                try routines.checked(through: now, finished: [], note: ("routine.missed", "every routine between \(checked.formatted(.iso8601)) and \(now.formatted(.iso8601)): the toy was off"))
                return RoutinePlanner.next(schedule, after: now, calendar: calendar)
            }
            let plan = RoutinePlanner.plan(schedule, checkedThrough: checked, now: now, calendar: calendar)
            // One line per routine in the parents' log, however many of its moments passed.
            let missed = Dictionary(grouping: plan.missed, by: \.routine.id).values.sorted { $0[0].routine.id < $1[0].routine.id }.map { moments in
                let last = moments.map(\.at).max()!
                return "\(moments[0].routine.summary): \(moments.count == 1 ? "due" : "\(moments.count) times, last due") \(last.formatted(.iso8601))"
            }
            for line in missed { logger.notice("a routine's moment passed while the toy was off", metadata: ["routine": "\(line)"]) }
            // Noted before it is said: a crash while speaking never says it twice.
            try routines.checked(through: now, finished: plan.finished, missed: missed)
            for due in plan.due { await inbox.send(.routineDue(due)) }
        } catch {
            logger.error("could not note the routines handled", metadata: ["error": "\(error)"])
        }
        return RoutinePlanner.next(schedule, after: now, calendar: calendar)
    }
}

extension Routine {
    /// One line for logs and the parents' app.
    public var summary: String {
        let what = action == .say ? "say \"\(text ?? "")\"" : "start \(scene ?? "")"
        switch schedule {
        case .weekly(let time, let days): return "#\(id) \(what) at \(time) on \(WeekdayList.format(days))"
        case .once(let date): return "#\(id) \(what) once at \(date.formatted(.iso8601))"
        }
    }
}
