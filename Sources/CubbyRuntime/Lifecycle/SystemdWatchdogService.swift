import Logging
import ServiceLifecycle

/// Reports readiness, liveness and stopping to systemd (`Type=notify`, `WatchdogSec=`).
///
/// `READY=1` is sent only once the conversation service says the toy can really listen (`Readiness`):
/// audio, database, persona and wake engine open, capture running. A start that fails first never
/// sends it, so systemd sees a failed start, not a ready daemon that then dies.
/// `WATCHDOG=1` is sent at half the interval systemd asked for, but only while the conversation loop's
/// heartbeat is younger than that interval.
public struct SystemdWatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration?
    let heartbeat: Heartbeat
    let readiness: Latch
    let logger: Logger

    public init(notifier: SystemdNotifier, interval: Duration?, heartbeat: Heartbeat, readiness: Latch, logger: Logger) {
        self.notifier = notifier
        self.readiness = readiness
        self.interval = interval
        self.heartbeat = heartbeat
        self.logger = logger
    }

    public func run() async throws {
        let readiness = self.readiness
        guard await cancelWhenGracefulShutdown({ await readiness.wait() }) else { return }
        notifier.send("READY=1\nSTATUS=listening")
        logger.debug("told systemd we are ready", metadata: ["socket": "\(notifier.socketPath ?? "none")"])
        let (notifier, interval, heartbeat, logger) = (notifier, interval, heartbeat, logger)
        try? await withGracefulShutdownHandler {
            try await cancelWhenGracefulShutdown {
                guard let interval else {
                    try await Task.sleep(for: .seconds(86_400 * 365))
                    return
                }
                while !Task.isCancelled {
                    if heartbeat.age < interval {
                        notifier.send("WATCHDOG=1")
                    } else {
                        logger.error("the conversation loop has stopped beating; withholding the watchdog ping",
                                     metadata: ["silent_for": "\(heartbeat.age)"])
                    }
                    try await Task.sleep(for: interval / 2)
                }
            }
        } onGracefulShutdown: {
            notifier.send("STOPPING=1")
        }
    }
}
