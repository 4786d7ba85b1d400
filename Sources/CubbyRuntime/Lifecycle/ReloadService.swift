import CubbyCore
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads configuration and persona on SIGHUP without restarting the process.
///
/// A reload that fails (a typo in the file, a broken persona pack) is logged with the precise error and
/// changes nothing: the toy keeps running on what it had.
public struct ReloadService: Service {
    let reload: @Sendable () throws(CubbyError) -> Void
    let logger: Logger

    public init(logger: Logger, reload: @escaping @Sendable () throws(CubbyError) -> Void) {
        self.reload = reload
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading configuration and persona")
            do {
                try reload()
                logger.notice("reloaded")
            } catch {
                logger.error("reload failed; keeping the previous configuration", metadata: ["error": "\(error)"])
            }
        }
    }
}
