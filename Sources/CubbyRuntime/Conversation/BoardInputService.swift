import AsyncAlgorithms
import CubbyHardware
import ServiceLifecycle

/// The board's controls as a Service: starts their readers, and their presses join the conversation's
/// channel as they come. A press lands at the latest audio the loop has handled, which under load can be
/// a little behind the microphone (capture may hold up to ten seconds the loop has not taken yet).
struct BoardInputService: Service {
    let readers: [any BoardInputReader]
    let inputs: InputInbox
    let inbox: AsyncChannel<ConversationEvent>

    func run() async {
        for reader in readers { reader.start() }
        for await input in inputs.presses.cancelOnGracefulShutdown() { await inbox.send(.pressed(input)) }
    }
}
