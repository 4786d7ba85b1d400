import Foundation

/// A one-way signal that tasks can wait for, without polling. Readiness is one: the conversation service
/// signals it once the wake engine is built and capture is running, and the systemd service waits for
/// it before `READY=1`, so a start that fails first never claims to be ready. Stopping a turn is another.
public final class Latch: @unchecked Sendable {
    // @unchecked: `ready` and `waiting` are read and written under `lock`.
    private let lock = NSLock()
    private var ready = false
    private var waiting: [UUID: CheckedContinuation<Bool, Never>] = [:]

    public init() {}

    public var isReady: Bool { lock.withLock { ready } }

    public func signal() {
        let resumed: [CheckedContinuation<Bool, Never>] = lock.withLock {
            ready = true
            defer { waiting = [:] }
            return Array(waiting.values)
        }
        for continuation in resumed { continuation.resume(returning: true) }
    }

    /// Returns true once ready, false when the waiting task is cancelled first.
    public func wait() async -> Bool {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resumeNow: Bool? = lock.withLock {
                    if ready { return true }
                    if Task.isCancelled { return false }
                    waiting[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let continuation = lock.withLock { waiting.removeValue(forKey: id) }
            continuation?.resume(returning: false)
        }
    }
}
