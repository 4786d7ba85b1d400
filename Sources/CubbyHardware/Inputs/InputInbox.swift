import Foundation

/// A press on one of the board's own controls.
public enum BoardInput: String, Sendable, Equatable, CaseIterable {
    /// Opens a conversation without the wake phrase, or interrupts the toy.
    case talkButton = "talk_button"
    /// The same, for a touch pad in the plush (a hug, a pat on the head).
    case touchPad = "touch_pad"
    /// Toggles the microphone off and on.
    case muteButton = "mute_button"
}

/// Presses waiting for the conversation loop, which collects them between audio chunks (every 20 ms).
/// Thread-safe: input threads post, the loop drains.
public final class InputInbox: @unchecked Sendable {
    // @unchecked: state behind `lock`.
    private let lock = NSLock()
    private var pending: [BoardInput] = []

    public init() {}

    public func post(_ input: BoardInput) { lock.withLock { pending.append(input) } }

    public func drain() -> [BoardInput] {
        lock.withLock {
            defer { pending.removeAll() }
            return pending
        }
    }
}
