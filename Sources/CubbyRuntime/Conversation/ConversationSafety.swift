import CubbyCore
import CubbySafety
import Foundation
import Synchronization

/// The daemon's safety memory across turns: the running risk of the open conversation, and the
/// rule-breaking streak and cool-down, which outlast a conversation (a child who is sent on a break
/// cannot end it by saying the wake phrase again).
public final class ConversationSafety: Sendable {
    private let session: Mutex<SafetySession>
    private let clock: any CubbyClock

    public init(coolDown: Duration = .seconds(300), clock: any CubbyClock = SystemClock()) {
        session = Mutex(SafetySession(coolDown: coolDown))
        self.clock = clock
    }

    public func review(_ verdict: SafetyVerdict, direction: SafetyDirection) -> SafetyVerdict {
        let now = clock.now
        return session.withLock { $0.review(verdict, direction: direction, at: now) }
    }

    public var isCoolingDown: Bool {
        let now = clock.now
        return session.withLock { $0.isCoolingDown(at: now) }
    }

    /// The toy's last spoken sentence in the open conversation, if any.
    public var lastToySentence: String? { session.withLock { $0.lastToySentence } }

    public func toySaid(_ sentence: String) {
        session.withLock { $0.toySaid(sentence) }
    }

    /// A new conversation starts without the last one's drift; the cool-down and streak stay.
    public func conversationOpened(coolDown: Duration) {
        session.withLock {
            $0.forgetRisk()
            $0.coolDown = coolDown
        }
    }
}
