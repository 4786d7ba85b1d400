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
