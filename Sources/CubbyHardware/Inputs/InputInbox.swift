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

/// The board's presses, in order, from the threads that read the controls to the one task that acts on
/// them. Bounded: a child drumming on a button while nothing listens leaves only the latest presses.
public struct InputInbox: Sendable {
    /// Every press posted, for one consumer.
    public let presses: AsyncStream<BoardInput>
    private let continuation: AsyncStream<BoardInput>.Continuation

    public init() {
        (presses, continuation) = AsyncStream<BoardInput>.makeStream(bufferingPolicy: .bufferingNewest(32))
    }

    public func post(_ input: BoardInput) { continuation.yield(input) }
}

/// Reads one of the board's controls on a thread of its own, posting its presses to the inbox.
public protocol BoardInputReader: Sendable {
    func start()
}
