import Foundation
import Synchronization

/// A one-way signal that tasks can wait for, without polling. Readiness is one: the conversation service
/// signals it once the wake engine is built and capture is running, and the systemd service waits for
/// it before `READY=1`, so a start that fails first never claims to be ready. Stopping a turn is another.
public final class Latch: Sendable {
    private struct State {
        var signalled = false
        var waiting: [UUID: CheckedContinuation<Bool, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var isSignalled: Bool { state.withLock { $0.signalled } }

    public func signal() {
        let resumed = state.withLock { state in
            state.signalled = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in resumed { continuation.resume(returning: true) }
    }

    /// Returns true once signalled, false when the waiting task is cancelled first.
    public func wait() async -> Bool {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resumeNow: Bool? = state.withLock { state in
                    if state.signalled { return true }
                    if Task.isCancelled { return false }
                    state.waiting[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let continuation = state.withLock { $0.waiting.removeValue(forKey: id) }
            continuation?.resume(returning: false)
        }
    }
}
