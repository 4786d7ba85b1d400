import Foundation
import Synchronization

/// The conversation loop's pulse. The systemd watchdog is only fed while the loop beats, so a wedged loop
/// (a stuck device read, a deadlock) gets the daemon restarted instead of leaving a deaf toy.
public final class Heartbeat: Sendable {
    private let last = Mutex(ContinuousClock.now)

    public init() {}

    public func beat() { last.withLock { $0 = .now } }

    public var age: Duration { ContinuousClock.now - last.withLock { $0 } }
}

extension Heartbeat {
    /// Keeps the watchdog fed while `body` runs (a turn, bounded by the cloud's timeouts; a wait for shutdown).
    public func pulse<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        let pulse = Task { [self] in
            while !Task.isCancelled {
                beat()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { pulse.cancel() }
        return try await body()
    }
}
