import Logging
import ServiceLifecycle

/// Reports readiness, liveness and stopping to systemd (`Type=notify`, `WatchdogSec=`).
///
/// Started after everything else is built, so `READY=1` means audio, database and persona are open.
/// `WATCHDOG=1` is sent at half the interval systemd asked for, but only while the conversation loop's
/// heartbeat is younger than that interval.
public struct SystemdWatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration?
    let heartbeat: Heartbeat
    let logger: Logger

    public init(notifier: SystemdNotifier, interval: Duration?, heartbeat: Heartbeat, logger: Logger) {
        self.notifier = notifier
        self.interval = interval
        self.heartbeat = heartbeat
        self.logger = logger
    }

    public func run() async throws {
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
