import AsyncAlgorithms
import CubbyHardware
import ServiceLifecycle

/// The board's controls as a Service: starts their readers, and their presses join the conversation's
/// channel, in order with the audio.
struct BoardInputService: Service {
    let readers: [FIFOInputReader]
    let inputs: InputInbox
    let inbox: AsyncChannel<ConversationEvent>

    func run() async {
        for reader in readers { reader.start() }
        for await input in inputs.presses.cancelOnGracefulShutdown() { await inbox.send(.pressed(input)) }
    }
}
