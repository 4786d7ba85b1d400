import CubbyConfiguration
import Foundation

/// What the toy should say about time during play, each reminder once: the warning before a limit, the
/// rest reminder after continuous play, the reminder that it is a toy with a computer brain, and when
/// play must stop. Pure apart from its memory of what it has said; the daemon asks it between turns.
public struct PlayCoach: Sendable {
    public var policy: PlayPolicy
    /// The limits already warned about: the day's start, or a sitting's start. A sitting's start is read
    /// from the clock while its conversation is open and from the store afterwards: the two may differ by a
    /// moment, so starts are compared within `sameMoment`.
    private var warned: [Date] = []
    static let sameMoment: TimeInterval = 2

    private static func same(_ a: Date, _ b: Date) -> Bool { abs(a.timeIntervalSince(b)) < sameMoment }
    private var restReminders: (sitting: Date, given: Int)?

    public init(policy: PlayPolicy) {
        self.policy = policy
    }

    public enum Cue: Sendable, Equatable {
        /// Play must end now (or may not start).
        case stop(PlayPolicy.Refusal)
        /// A limit is near: this many whole minutes are left.
        case warning(minutesLeft: Int)
        /// Continuous play for a while: time for a rest.
        case restReminder
        /// Time to say again that the toy is a toy with a computer brain.
        case aiReminder
    }

    /// What to say now. `lastAIReminder` is when the toy last said what it is (nil: never, so this is its
    /// first use).
    public mutating func cues(at now: Date, history: [PlayPolicy.Stretch], lastAIReminder: Date?) -> [Cue] {
        let standing = policy.standing(at: now, history: history)
        if let refusal = policy.refusal(for: standing) { return [.stop(refusal)] }
        var cues: [Cue] = []
        if let warning = warning(standing, at: now) { cues.append(warning) }
        if cues.isEmpty, restReminderDue(standing) { cues.append(.restReminder) }
        if lastAIReminder == nil
            || (policy.limits.aiReminderMinutes > 0 && now.timeIntervalSince(lastAIReminder!) >= Double(policy.limits.aiReminderMinutes * 60)) {
            cues.append(.aiReminder)
        }
        return cues
    }

    private mutating func warning(_ standing: PlayPolicy.Standing, at now: Date) -> Cue? {
        let window = Double(policy.limits.warningMinutes * 60)
        guard window > 0 else { return nil }
        var due: [(key: Date, left: TimeInterval)] = []
        if let left = standing.leftToday, left <= window { due.append((policy.calendar.startOfDay(for: now), left)) }
        if let left = standing.leftThisSitting, left <= window, let start = standing.sittingStart { due.append((start, left)) }
        let fresh = due.filter { item in !warned.contains { Self.same($0, item.key) } }
        guard let nearest = fresh.min(by: { $0.left < $1.left }) else { return nil }
        warned += due.map(\.key)
        return .warning(minutesLeft: max(1, Int((nearest.left / 60).rounded(.up))))
    }

    private mutating func restReminderDue(_ standing: PlayPolicy.Standing) -> Bool {
        let every = Double(policy.limits.restReminderMinutes * 60)
        guard every > 0, let start = standing.sittingStart else { return false }
        let due = Int(standing.playedThisSitting / every)
        let given = restReminders.map { Self.same($0.sitting, start) ? $0.given : 0 } ?? 0
        restReminders = (start, max(given, due))
        return due > given
    }
}
