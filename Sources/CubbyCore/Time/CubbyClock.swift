import Foundation
import Synchronization

/// Time as Cubby reads it, injected wherever time decides something — cool-downs, the circuit breaker,
/// stall timeouts, turn timings, the watchdog, what is recorded when — so that tests drive it by hand
/// (`ManualClock`) instead of waiting, and can run side by side.
public protocol CubbyClock: Sendable {
    /// Monotonic time, for durations and deadlines.
    var now: ContinuousClock.Instant { get }
    /// Wall time, for records a parent reads.
    var date: Date { get }
    /// Suspends until `deadline`; throws when the task is cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension CubbyClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The machine's clocks.
public struct SystemClock: CubbyClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public var date: Date { Date() }
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}

/// A clock that moves only when told (`advance(by:)`), waking the sleepers whose time has come.
public final class ManualClock: CubbyClock, @unchecked Sendable {
    // @unchecked: `offset` and `sleepers` are read and written under `lock`.
    private let lock = NSLock()
    private let start: ContinuousClock.Instant
    private let startDate: Date
    private var offset: Duration = .zero
    private var sleepers: [UUID: (deadline: ContinuousClock.Instant, continuation: CheckedContinuation<Void, any Error>)] = [:]

    public init(date: Date = Date()) {
        start = .now
        startDate = date
    }

    public var now: ContinuousClock.Instant { lock.withLock { start + offset } }
    public var date: Date {
        lock.withLock { startDate.addingTimeInterval(Double(offset.components.seconds) + Double(offset.components.attoseconds) / 1e18) }
    }

    /// Moves time forward and wakes everyone whose deadline it reached.
    public func advance(by duration: Duration) {
        let woken: [CheckedContinuation<Void, any Error>] = lock.withLock {
            offset += duration
            let due = sleepers.filter { $0.value.deadline <= start + offset }
            for id in due.keys { sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// How many tasks are sleeping on this clock (a test waits for a sleeper before advancing).
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: (any Error)?? = lock.withLock {
                    if Task.isCancelled { return .some(CancellationError()) }
                    if deadline <= start + offset { return .some(nil) }
                    sleepers[id] = (deadline, continuation)
                    return .none
                }
                switch resumeNow {
                case .some(.some(let error)): continuation.resume(throwing: error)
                case .some(.none): continuation.resume()
                case .none: break
                }
            }
        } onCancel: {
            let sleeper = lock.withLock { sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}

/// The machine's clock moved to another moment and, optionally, run faster: for demos and for makers
/// trying routines on the simulated board (`cubbyd --clock-start 2026-12-07T19:14 --clock-speed 60`).
/// Time stands still at the start until `begin()` (the daemon is built and about to run), so a slow start
/// does not eat the minutes before the first routine. Audio keeps its own real-time pace.
public final class ShiftedClock: CubbyClock, Sendable {
    private struct Epoch {
        var real: ContinuousClock.Instant?
    }

    private let frozen: ContinuousClock.Instant
    private let startDate: Date
    /// How many seconds of toy time pass in one real second.
    private let speed: Int
    private let epoch = Mutex(Epoch())

    public init(startingAt date: Date, speed: Int = 1) {
        frozen = .now
        startDate = date
        self.speed = max(1, speed)
    }

    /// Starts the clock running.
    public func begin() { epoch.withLock { if $0.real == nil { $0.real = .now } } }

    private var elapsed: Duration {
        guard let real = epoch.withLock({ $0.real }) else { return .zero }
        return (ContinuousClock.now - real) * speed
    }

    public var now: ContinuousClock.Instant { frozen + elapsed }
    public var date: Date {
        let elapsed = self.elapsed
        return startDate.addingTimeInterval(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        while true {
            let left = deadline - now
            guard left > .zero else { return }
            // Before `begin()` time stands still: look again shortly.
            try await Task.sleep(for: epoch.withLock({ $0.real }) == nil ? .milliseconds(50) : left / speed)
        }
    }
}
