import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyParents
import Foundation
import Logging

/// The conversation loop's window on the parent's limits: asked before a conversation opens and between
/// turns, it answers from the toy's own records of play (the conversations stored, plus the one open now)
/// and the injected clock. The rules themselves are `PlayPolicy` and `PlayCoach`; this only feeds them.
/// Confined to the conversation loop.
final class PlayTimekeeper {
    private var coach: PlayCoach
    private let conversations: ConversationStore
    private let settings: SettingStore
    private let clock: any CubbyClock
    private let logger: Logger
    /// When the open conversation started; nil when none is open.
    private var openSince: Date?

    init(limits: PlayLimits, calendar: Calendar, database: CubbyDatabase, clock: any CubbyClock, logger: Logger) {
        coach = PlayCoach(policy: PlayPolicy(limits: limits, calendar: calendar))
        conversations = database.conversations
        settings = database.settings
        self.clock = clock
        self.logger = logger
    }

    /// A reload changed the parent's limits: they apply from the next question on.
    func update(_ limits: PlayLimits) {
        guard limits != coach.policy.limits else { return }
        coach.policy.limits = limits
    }

    var limits: PlayLimits { coach.policy.limits }

    /// Why a conversation may not open now; nil when it may.
    func refusalToOpen() -> PlayPolicy.Refusal? {
        coach.policy.refusal(at: clock.date, history: history(now: clock.date))
    }

    /// Why the open conversation must end now; nil when it may go on.
    func refusalToGoOn() -> PlayPolicy.Refusal? { refusalToOpen() }

    func opened() { openSince = clock.date }
    func closed() { openSince = nil }

    /// What to say between turns: a warning, a rest or AI reminder, or that play must stop.
    func cues() -> [PlayCoach.Cue] {
        let now = clock.date
        let last = (try? settings.value(ChildIntents.aiReminderKey)).flatMap { $0.flatMap(Double.init) }.map(Date.init(timeIntervalSince1970:))
        return coach.cues(at: now, history: history(now: now), lastAIReminder: last)
    }

    /// The toy said what it is: the next AI reminder counts from now.
    func aiReminderGiven() {
        do { try settings.set([ChildIntents.aiReminderKey: "\(clock.date.timeIntervalSince1970)"], at: clock.date) } catch {
            logger.error("could not note the AI reminder", metadata: ["error": "\(error)"])
        }
    }

    /// Where play stands now, for the parents' status.
    func standing() -> PlayPolicy.Standing {
        coach.policy.standing(at: clock.date, history: history(now: clock.date))
    }

    /// Play since yesterday's start (a sitting may run across midnight), and the open conversation.
    private func history(now: Date) -> [PlayPolicy.Stretch] {
        let since = coach.policy.calendar.date(byAdding: .day, value: -1, to: coach.policy.calendar.startOfDay(for: now)) ?? now
        var stretches: [PlayPolicy.Stretch]
        do {
            stretches = try conversations.playStretches(since: since).map { PlayPolicy.Stretch(start: $0.start, end: $0.end) }
        } catch {
            logger.error("could not read today's play time; counting only this conversation", metadata: ["error": "\(error)"])
            stretches = []
        }
        if let openSince { stretches.append(PlayPolicy.Stretch(start: openSince, end: now)) }
        return stretches
    }
}
