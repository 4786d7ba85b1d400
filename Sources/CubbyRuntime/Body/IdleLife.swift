import CubbyCore
import CubbyHardware
import CubbyParents
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Whether a conversation is open now: the conversation loop says, idle life reads.
final class ConversationActivity: Sendable {
    private let open = Mutex(false)
    var isOpen: Bool { open.withLock { $0 } }
    func set(_ value: Bool) { open.withLock { $0 = value } }
}

/// The toy between conversations: a slow breathing light and, now and then, a small movement (the board's
/// `idle` motion) so it seems alive; asleep in quiet hours — a sleeping light and no movement at all.
/// Reactions to touch still come; the listening light is never touched here.
final class IdleLife: Service, Sendable {
    enum Mood: String { case talking, idle = "breathing", asleep = "sleep" }

    let motion: BodyMotion
    let activity: ConversationActivity
    let live: LiveSettings
    let events: BoardEventLog?
    let clock: any CubbyClock
    let calendar: Calendar
    let logger: Logger
    /// How often the toy stirs when idle.
    let stirEvery: Duration

    init(motion: BodyMotion, activity: ConversationActivity, live: LiveSettings, events: BoardEventLog?, clock: any CubbyClock, calendar: Calendar,
         stirMinutes: Int, logger: Logger) {
        self.motion = motion
        self.activity = activity
        self.live = live
        self.events = events
        self.clock = clock
        self.calendar = calendar
        stirEvery = .seconds(stirMinutes * 60)
        self.logger = logger
    }

    /// What the toy should be doing now.
    func mood() -> Mood {
        if activity.isOpen { return .talking }
        let policy = PlayPolicy(limits: live.current.configuration.limits, calendar: calendar)
        return policy.isQuiet(at: clock.date) ? .asleep : .idle
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.liveOn() }
    }

    private func liveOn() async {
        var current: Mood?
        var lastStir = clock.now
        while !Task.isCancelled {
            let mood = self.mood()
            if mood != current {
                current = mood
                if mood != .talking {
                    events?.record("light_pattern", mood.rawValue)
                    motion.show(mood.rawValue)
                }
                // Falling asleep: whatever was moving stops.
                if mood == .asleep { motion.stopAll() }
                logger.debug("idle life", metadata: ["mood": "\(mood.rawValue)"])
                lastStir = clock.now
            }
            // The mood's pattern again each look: breathing goes on, and a reaction's glow gives way to it.
            if mood != .talking, mood == current { motion.show(mood.rawValue) }
            if mood == .idle, stirEvery > .zero, clock.now - lastStir >= stirEvery {
                lastStir = clock.now
                events?.record("motion", "idle")
                motion.perform("idle")
            }
            do { try await clock.sleep(for: .seconds(5)) } catch { return }
        }
    }
}
