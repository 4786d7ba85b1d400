import Foundation
import Synchronization

/// Stops asking a cloud that keeps failing. After `threshold` failed turns in a row the breaker opens:
/// turns go straight to the persona's offline line without touching the network (no waiting on
/// timeouts, no battery spent) until `coolDown` has passed; then one turn may try again, and a success
/// closes it.
public final class CircuitBreaker: Sendable {
    public enum State: Sendable, Equatable { case closed, open(until: ContinuousClock.Instant), halfOpen }

    public let threshold: Int
    public let coolDown: Duration
    /// Failed turns in a row, and the breaker's state.
    private let status = Mutex((failures: 0, state: State.closed))

    public init(threshold: Int = 3, coolDown: Duration = .seconds(30)) {
        self.threshold = threshold
        self.coolDown = coolDown
    }

    /// Whether a turn may use the cloud now. An open breaker whose time is up lets one trial through.
    public func allowsRequest(at now: ContinuousClock.Instant = .now) -> Bool {
        status.withLock { status in
            switch status.state {
            case .closed, .halfOpen:
                return true
            case .open(let until):
                guard now >= until else { return false }
                status.state = .halfOpen
                return true
            }
        }
    }

    public func recordSuccess() {
        status.withLock { $0 = (0, .closed) }
    }

    public func recordFailure(at now: ContinuousClock.Instant = .now) {
        let (threshold, coolDown) = (threshold, coolDown)
        status.withLock { status in
            status.failures += 1
            if status.state == .halfOpen || status.failures >= threshold { status.state = .open(until: now + coolDown) }
        }
    }

    public var currentState: State { status.withLock { $0.state } }
}
