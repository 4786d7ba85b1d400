import Foundation

/// Stops asking a cloud that keeps failing. After `threshold` failed turns in a row the breaker opens:
/// turns go straight to the persona's offline line without touching the network (no waiting on
/// timeouts, no battery spent) until `coolDown` has passed; then one turn may try again, and a success
/// closes it.
public final class CircuitBreaker: @unchecked Sendable {
    // @unchecked: all state is under `lock`.
    public enum State: Sendable, Equatable { case closed, open(until: ContinuousClock.Instant), halfOpen }

    public let threshold: Int
    public let coolDown: Duration
    private let lock = NSLock()
    private var failures = 0
    private var state = State.closed

    public init(threshold: Int = 3, coolDown: Duration = .seconds(30)) {
        self.threshold = threshold
        self.coolDown = coolDown
    }

    /// Whether a turn may use the cloud now. An open breaker whose time is up lets one trial through.
    public func allowsRequest(at now: ContinuousClock.Instant = .now) -> Bool {
        lock.withLock {
            switch state {
            case .closed, .halfOpen:
                return true
            case .open(let until):
                guard now >= until else { return false }
                state = .halfOpen
                return true
            }
        }
    }

    public func recordSuccess() {
        lock.withLock {
            failures = 0
            state = .closed
        }
    }

    public func recordFailure(at now: ContinuousClock.Instant = .now) {
        lock.withLock {
            failures += 1
            if state == .halfOpen || failures >= threshold { state = .open(until: now + coolDown) }
        }
    }

    public var currentState: State { lock.withLock { state } }
}
