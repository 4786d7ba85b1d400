import CubbyCore
import Foundation

/// Fails a streaming operation that goes quiet for too long.
///
/// `run` races `body` against a timer that is re-armed by every `touch()`: the first token must arrive
/// within `first`, every later chunk within `idle`. The loser is cancelled, so a server that stops
/// sending mid-stream ends the turn in bounded time instead of hanging it.
public final class StallWatchdog: @unchecked Sendable {
    // @unchecked: `deadline` and `label` are behind `lock`.
    private let lock = NSLock()
    private var deadline: ContinuousClock.Instant
    private var label: String
    private let idle: Duration
    private let clock: any CubbyClock

    public init(first: Duration, idle: Duration, waitingFor label: String, clock: any CubbyClock = SystemClock()) {
        self.clock = clock
        deadline = clock.now + first
        self.idle = idle
        self.label = label
    }

    /// Something arrived: re-arm for the idle timeout.
    public func touch(nowWaitingFor label: String) {
        lock.withLock {
            deadline = clock.now + idle
            self.label = label
        }
    }

    public func run<T: Sendable>(context: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { [self] in
                while true {
                    let (due, label) = lock.withLock { (deadline, self.label) }
                    if clock.now >= due {
                        throw CubbyError(.cloud, "timed out waiting for \(label)", context: context)
                    }
                    try await clock.sleep(until: min(due, clock.now + .milliseconds(50)))
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
            }
            throw CancellationError()
        }
    }
}
