import CubbyConfiguration
import CubbyCore
@testable import CubbyParents
import Foundation
import Testing

/// The minor mode's rules, run through whole days in milliseconds.
@Suite struct PlayPolicyTests {
    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        return calendar
    }

    /// 2026-12-04 is a Friday.
    static func at(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        calendar.date(from: DateComponents(year: 2026, month: 12, day: day, hour: hour, minute: minute))!
    }

    static func policy(_ change: (inout PlayLimits) -> Void = { _ in }) -> PlayPolicy {
        var limits = PlayLimits()
        change(&limits)
        return PlayPolicy(limits: limits, calendar: calendar)
    }

    @Test func quietHoursRunPastMidnightAndAWeekdayHasItsOwn() {
        let policy = Self.policy {
            $0.quietHours = QuietHours("20:00-07:00")
            $0.days[.fri] = .init(quietHours: QuietHours("21:30-08:30"))
            $0.days[.sat] = .init(quietHours: .some(nil))
        }
        #expect(!policy.isQuiet(at: Self.at(3, 19, 59)))      // Thursday evening
        #expect(policy.isQuiet(at: Self.at(3, 20, 0)))
        #expect(policy.isQuiet(at: Self.at(4, 6, 59)))        // Friday morning: Thursday's night
        #expect(!policy.isQuiet(at: Self.at(4, 7, 0)))
        #expect(!policy.isQuiet(at: Self.at(4, 21, 0)))       // Friday's own night starts later
        #expect(policy.isQuiet(at: Self.at(4, 21, 30)))
        #expect(policy.isQuiet(at: Self.at(5, 8, 29)))        // and ends later on Saturday morning
        #expect(!policy.isQuiet(at: Self.at(5, 8, 30)))
        #expect(!policy.isQuiet(at: Self.at(5, 23, 0)))       // no quiet hours on Saturday night
        #expect(!policy.isQuiet(at: Self.at(6, 6, 0)))
        #expect(policy.refusal(at: Self.at(3, 22), history: []) == .quietHours)
    }

    @Test func aDaysPlayIsCountedFromMidnightAndTheLimitRefusesMore() {
        let policy = Self.policy { $0.dailyMinutes = 30; $0.sittingMinutes = 0 }
        // 20 minutes last night across midnight count 10 for today.
        let history = [PlayPolicy.Stretch(start: Self.at(3, 23, 50), end: Self.at(4, 0, 10)),
                       PlayPolicy.Stretch(start: Self.at(4, 9), end: Self.at(4, 9, 15))]
        let standing = policy.standing(at: Self.at(4, 10), history: history)
        #expect(standing.playedToday == 25 * 60)
        #expect(abs((standing.leftToday ?? 0) - 5 * 60) < 0.001)
        #expect(policy.refusal(for: standing) == nil)
        let more = history + [PlayPolicy.Stretch(start: Self.at(4, 11), end: Self.at(4, 11, 5))]
        #expect(policy.refusal(at: Self.at(4, 12), history: more) == .dailyLimit)
        // A new day is a new budget.
        #expect(policy.refusal(at: Self.at(5, 9), history: more) == nil)
    }

    @Test func aFullSittingNeedsABreakAndShortPausesDoNotCount() {
        let policy = Self.policy { $0.dailyMinutes = 0; $0.sittingMinutes = 20; $0.breakMinutes = 10 }
        let history = [PlayPolicy.Stretch(start: Self.at(4, 10), end: Self.at(4, 10, 12)),
                       PlayPolicy.Stretch(start: Self.at(4, 10, 17), end: Self.at(4, 10, 25))]
        let standing = policy.standing(at: Self.at(4, 10, 26), history: history)
        #expect(standing.playedThisSitting == 20 * 60)
        #expect(standing.sittingStart == Self.at(4, 10))
        #expect(policy.refusal(for: standing) == .sittingLimit(until: Self.at(4, 10, 35)))
        #expect(policy.refusal(at: Self.at(4, 10, 34), history: history) == .sittingLimit(until: Self.at(4, 10, 35)))
        #expect(policy.refusal(at: Self.at(4, 10, 35), history: history) == nil)
        #expect(policy.standing(at: Self.at(4, 10, 35), history: history).playedThisSitting == 0)
    }

    @Test func theWarningComesOnceBeforeEachLimitAndRestRemindersRecur() {
        var coach = PlayCoach(policy: Self.policy {
            $0.dailyMinutes = 60; $0.sittingMinutes = 30; $0.warningMinutes = 2; $0.restReminderMinutes = 10; $0.aiReminderMinutes = 0
        })
        let start = Self.at(4, 16)
        var said: [(Int, PlayCoach.Cue)] = []
        for minute in 0...31 {
            let now = start.addingTimeInterval(Double(minute * 60))
            for cue in coach.cues(at: now, history: [.init(start: start, end: now)], lastAIReminder: start) { said.append((minute, cue)) }
        }
        #expect(said.map(\.0) == [10, 20, 28, 30, 31])
        #expect(said.map(\.1) == [.restReminder, .restReminder, .warning(minutesLeft: 2),
                                  .stop(.sittingLimit(until: Self.at(4, 16, 40))), .stop(.sittingLimit(until: Self.at(4, 16, 41)))])
        // (Still playing at 31 minutes: the break is counted from when play stops.)
    }

    @Test func theToySaysWhatItIsAtFirstUseAndThenAtTheParentsInterval() {
        var coach = PlayCoach(policy: Self.policy { $0.aiReminderMinutes = 15 })
        let now = Self.at(4, 9)
        #expect(coach.cues(at: now, history: [], lastAIReminder: nil) == [.aiReminder])
        #expect(coach.cues(at: now, history: [], lastAIReminder: now.addingTimeInterval(-14 * 60)) == [])
        #expect(coach.cues(at: now, history: [], lastAIReminder: now.addingTimeInterval(-15 * 60)) == [.aiReminder])
        var never = PlayCoach(policy: Self.policy { $0.aiReminderMinutes = 0 })
        #expect(never.cues(at: now, history: [], lastAIReminder: now.addingTimeInterval(-86_400)) == [])
    }

    /// A child who wants to play all day, every minute the toy lets them, in 7-minute conversations.
    @Test func aWholeDayOfEagerPlayStaysInsideEveryLimit() {
        let policy = Self.policy {
            $0.dailyMinutes = 45; $0.sittingMinutes = 20; $0.breakMinutes = 10; $0.warningMinutes = 2
            $0.quietHours = QuietHours("19:30-07:00")
        }
        var coach = PlayCoach(policy: policy)
        var history: [PlayPolicy.Stretch] = []
        var open: Date?
        var warnings = 0
        var minute = Self.at(4, 0)
        while minute < Self.at(5, 0) {
            if let started = open {
                let now = minute
                let cues = coach.cues(at: now, history: history + [.init(start: started, end: now)], lastAIReminder: now)
                if cues.contains(where: { if case .warning = $0 { true } else { false } }) { warnings += 1 }
                if cues.contains(where: { if case .stop = $0 { true } else { false } }) || now.timeIntervalSince(started) >= 7 * 60 {
                    history.append(.init(start: started, end: now))
                    open = nil
                }
            } else if policy.refusal(at: minute, history: history) == nil {
                #expect(!policy.isQuiet(at: minute))
                open = minute
            }
            minute += 60
        }
        let standing = policy.standing(at: Self.at(4, 23, 59), history: history)
        #expect(standing.playedToday == 45 * 60)
        #expect(history.allSatisfy { $0.start >= Self.at(4, 7) && $0.end <= Self.at(4, 19, 30) })
        // Each sitting ended by its limit, with a break of at least 10 minutes after it.
        var sittingPlay = 0.0
        for (index, stretch) in history.enumerated() {
            sittingPlay += stretch.seconds
            #expect(sittingPlay <= 20 * 60)
            if index + 1 < history.count, history[index + 1].start.timeIntervalSince(stretch.end) >= 10 * 60 { sittingPlay = 0 }
        }
        // Two full sittings and the day's end: a warning before each.
        #expect(warnings == 3)
    }
}

/// An unlock lets changes through until it expires on the injected clock, and `lock` ends it at once.
@Suite struct ParentUnlocksTests {
    @Test func anUnlockExpiresAndLockEndsItAtOnce() {
        let clock = ManualClock(date: Date(timeIntervalSince1970: 1_800_000_000))
        let unlocks = ParentUnlocks(clock: clock)
        let (token, expiry) = unlocks.unlock(minutes: 10)
        #expect(expiry == clock.date.addingTimeInterval(600))
        #expect(unlocks.isValid(token) && !unlocks.isValid("not-a-token") && !unlocks.isValid(nil))
        clock.advance(by: .seconds(599))
        #expect(unlocks.isValid(token))
        clock.advance(by: .seconds(1))
        #expect(!unlocks.isValid(token))
        let second = unlocks.unlock(minutes: 10).token
        unlocks.lockAll()
        #expect(!unlocks.isValid(second))
    }
}
