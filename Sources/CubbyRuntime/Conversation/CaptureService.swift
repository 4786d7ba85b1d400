import AsyncAlgorithms
import CubbyAudio
import CubbyCore
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
