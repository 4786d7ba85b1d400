import Foundation

/// The conversation loop's pulse. The systemd watchdog is only fed while the loop beats, so a wedged loop
/// (a stuck device read, a deadlock) gets the daemon restarted instead of leaving a deaf toy.
public final class Heartbeat: @unchecked Sendable {
    // @unchecked: `last` is only touched under `lock`.
    private let lock = NSLock()
    private var last = ContinuousClock.now

    public init() {}

    public func beat() { lock.withLock { last = .now } }

    public var age: Duration { ContinuousClock.now - lock.withLock { last } }
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
