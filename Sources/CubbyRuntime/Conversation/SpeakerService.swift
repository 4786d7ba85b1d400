import CubbyAudio
import Logging
import ServiceLifecycle

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
