import CubbyCore
import Foundation
import Synchronization

/// Fails a streaming operation that goes quiet for too long.
///
/// `run` races `body` against a timer that is re-armed by every `touch()`: the first token must arrive
/// within `first`, every later chunk within `idle`. The loser is cancelled, so a server that stops
/// sending mid-stream ends the turn in bounded time instead of hanging it.
public final class StallWatchdog: Sendable {
    /// When the stream fails unless something arrives, and what it is waiting for then.
    private let due: Mutex<(deadline: ContinuousClock.Instant, label: String)>
    private let idle: Duration
    private let clock: any CubbyClock

    public init(first: Duration, idle: Duration, waitingFor label: String, clock: any CubbyClock = SystemClock()) {
        self.clock = clock
        due = Mutex((clock.now + first, label))
        self.idle = idle
    }

    /// Something arrived: re-arm for the idle timeout.
    public func touch(nowWaitingFor label: String) {
        let deadline = clock.now + idle
        due.withLock { $0 = (deadline, label) }
    }

    public func run<T: Sendable>(context: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { [self] in
                while true {
                    let (due, label) = self.due.withLock { $0 }
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
