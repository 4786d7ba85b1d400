import CubbyCore
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads configuration and persona on SIGHUP (`reload` returns a one-line summary for the log) without restarting the process.
///
/// A reload that fails (a typo in the file, a broken persona pack) is logged with the precise error and
/// changes nothing: the toy keeps running on what it had.
public struct ReloadService: Service {
    let signals: UnixSignalsSequence
    let reload: @Sendable () async throws(CubbyError) -> String
    let logger: Logger

    /// Traps SIGHUP at once, so a reload requested just after readiness is not lost or fatal.
    public init(logger: Logger, reload: @escaping @Sendable () async throws(CubbyError) -> String) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.reload = reload
        self.logger = logger
    }

    public func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading configuration and persona")
            do {
                let summary = try await reload()
                logger.notice("reloaded: \(summary)")
            } catch {
                logger.error("reload failed; keeping the previous configuration", metadata: ["error": "\(error)"])
            }
        }
    }
}
