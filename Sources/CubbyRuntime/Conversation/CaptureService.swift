import AsyncAlgorithms
import CubbyAudio
import CubbyCore
import CubbyHardware
import Logging
import ServiceLifecycle

/// The microphone as a Service: starts the capture thread, hands every chunk to the conversation's
/// channel (which waits for the conversation to take it, so nothing piles up), then says how the input
/// ended. Stops the thread at shutdown.
struct CaptureService: Service {
    let capture: CaptureThread
    let inbox: AsyncChannel<ConversationEvent>
    /// Paced audio keeps up to ten seconds waiting; a file is read only as fast as it is consumed.
    let realtime: Bool

    func run() async {
        let stream = capture.start(depthChunks: realtime ? 500 : Int.max / 2)
        let inbox = self.inbox
        await cancelWhenGracefulShutdown {
            do {
                for try await chunk in stream { await inbox.send(.audio(chunk)) }
                await inbox.send(.inputEnded)
            } catch let error as CubbyError {
                await inbox.send(.captureFailed(error))
            } catch {
                await inbox.send(.captureFailed(CubbyError(.audio, "capture failed", underlying: error)))
            }
        }
        // A service that returns ends the group: the input's end is the conversation's to act on.
        try? await gracefulShutdown()
        capture.stop()
    }
}

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

/// The speaker as a Service: at shutdown, once the conversation has stopped, what is still queued is
/// played out (a `--once` reply) and the device closed.
struct SpeakerService: Service {
    let speaker: SpeakerQueue
    let logger: Logger

    func run() async {
        try? await gracefulShutdown()
        do { try speaker.close() } catch { logger.error("closing the speaker failed", metadata: ["error": "\(error)"]) }
    }
}
