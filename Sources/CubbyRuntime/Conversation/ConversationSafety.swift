import CubbyCore
import CubbySafety
import Foundation

/// The daemon's safety memory across turns: the running risk of the open conversation, and the
/// rule-breaking streak and cool-down, which outlast a conversation (a child who is sent on a break
/// cannot end it by saying the wake phrase again).
public final class ConversationSafety: @unchecked Sendable {
    // @unchecked: `session` is read and written under `lock`.
    private let lock = NSLock()
    private var session: SafetySession
    private let clock: any CubbyClock

    public init(coolDown: Duration = .seconds(300), clock: any CubbyClock = SystemClock()) {
        session = SafetySession(coolDown: coolDown)
        self.clock = clock
    }

    public func review(_ verdict: SafetyVerdict, direction: SafetyDirection) -> SafetyVerdict {
        let now = clock.now
        return lock.withLock { session.review(verdict, direction: direction, at: now) }
    }

    public var isCoolingDown: Bool {
        let now = clock.now
        return lock.withLock { session.isCoolingDown(at: now) }
    }

    /// The toy's last spoken sentence in the open conversation, if any.
    public var lastToySentence: String? { lock.withLock { session.lastToySentence } }

    public func toySaid(_ sentence: String) {
        lock.withLock { session.toySaid(sentence) }
    }

    /// A new conversation starts without the last one's drift; the cool-down and streak stay.
    public func conversationOpened(coolDown: Duration) {
        lock.withLock {
            session.forgetRisk()
            session.coolDown = coolDown
        }
    }
}
