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
            let plan = RoutinePlanner.plan(schedule, checkedThrough: checked, now: now, calendar: calendar)
            for missed in plan.missed {
                logger.notice("a routine's moment passed while the toy was off", metadata: ["routine": "\(missed.routine.id)", "at": "\(missed.at)"])
                try? audit.record("routine.missed", "\(missed.routine.summary) (due \(missed.at.formatted(.iso8601)))", at: now)
            }
            // Noted before it is said: a crash while speaking never says it twice.
            try routines.checked(through: now, finished: plan.finished)
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
