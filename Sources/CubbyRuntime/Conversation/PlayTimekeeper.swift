import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyParents
import Foundation
import Logging

/// The conversation loop's window on the parent's limits: asked before a conversation opens and between
/// turns, it answers from the toy's own records of play (the conversations stored, plus the one open now)
/// and the injected clock, with the limits in force now (a parent's change applies to the next question).
/// The rules themselves are `PlayPolicy` and `PlayCoach`; this only feeds them. Confined to the
/// conversation loop.
final class PlayTimekeeper {
    private var coach: PlayCoach
    private let currentLimits: @Sendable () -> PlayLimits
    private let conversations: ConversationStore
    private let reminders: AIReminders
    private let clock: any CubbyClock
    private let logger: Logger
    /// When the open conversation started; nil when none is open.
    private var openSince: Date?

    init(limits: @escaping @Sendable () -> PlayLimits, calendar: Calendar, database: CubbyDatabase, clock: any CubbyClock, logger: Logger) {
        currentLimits = limits
        coach = PlayCoach(policy: PlayPolicy(limits: limits(), calendar: calendar))
        conversations = database.conversations
        reminders = AIReminders(database: database)
        self.clock = clock
        self.logger = logger
    }

    /// The limits in force now.
    var limits: PlayLimits {
        let now = currentLimits()
        if now != coach.policy.limits { coach.policy.limits = now }
        return now
    }

    /// Why play may not start (or go on) now; nil when it may.
    func refusal() -> PlayPolicy.Refusal? {
        _ = limits
        return coach.policy.refusal(at: clock.date, history: history(now: clock.date))
    }

    func opened() { openSince = clock.date }
    func closed() { openSince = nil }

    /// What to say between turns: a warning, a rest or AI reminder, or that play must stop.
    func cues() -> [PlayCoach.Cue] {
        _ = limits
        let now = clock.date
        let last: Date?
        do { last = try reminders.last() } catch {
            logger.error("could not read when the toy last said what it is", metadata: ["error": "\(error)"])
            last = now
        }
        return coach.cues(at: now, history: history(now: now), lastAIReminder: last)
    }

    /// The toy said what it is: the next AI reminder counts from now.
    func aiReminderGiven() {
        do { try reminders.given(at: clock.date) } catch {
            logger.error("could not note the AI reminder", metadata: ["error": "\(error)"])
        }
    }

    /// Play since yesterday's start (a sitting may run across midnight), and the open conversation.
    private func history(now: Date) -> [PlayPolicy.Stretch] {
        var stretches: [PlayPolicy.Stretch]
        do {
            stretches = try conversations.playStretches(since: coach.policy.countedFrom(now)).map { PlayPolicy.Stretch(start: $0.start, end: $0.end) }
        } catch {
            logger.error("could not read today's play time; counting only this conversation", metadata: ["error": "\(error)"])
            stretches = []
        }
        if let openSince { stretches.append(PlayPolicy.Stretch(start: openSince, end: now)) }
        return stretches
    }
}
