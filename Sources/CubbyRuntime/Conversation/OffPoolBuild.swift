import CubbyCore
import Foundation

/// Runs slow, blocking construction (a wake engine loading its model and building its grammar: a second
/// or more on a small board) on a thread of its own, and stops waiting for it when the task is cancelled.
///
/// Blocking in the conversation service instead would keep a cooperative thread busy and, worse, make a
/// SIGTERM during start-up wait for the build, past the shutdown deadline. A cancelled build finishes on
/// its thread and its result is dropped.
enum OffPoolBuild {
    static func run<T>(_ name: String, _ build: @escaping @Sendable () throws(CubbyError) -> T) async throws -> T {
        let slot = ResultSlot<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UncheckedBox<T>, any Error>) in
                slot.install(continuation)
                let thread = Thread {
                    do {
                        slot.resume(with: .success(UncheckedBox(value: try build())))
                    } catch {
                        slot.resume(with: .failure(error))
                    }
                }
                thread.name = "cubby-build-\(name)"
                thread.start()
            }.value
        } onCancel: {
            slot.resume(with: .failure(CancellationError()))
        }
    }
}

/// Carries a non-Sendable value from the building thread to the one task that awaits it.
struct UncheckedBox<T>: @unchecked Sendable {
    var value: T
}

/// Resumes a continuation exactly once, whichever comes first: the result or cancellation.
private final class ResultSlot<T>: @unchecked Sendable {
    // @unchecked: state behind `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<UncheckedBox<T>, any Error>?
    private var early: Result<UncheckedBox<T>, any Error>?

    func install(_ continuation: CheckedContinuation<UncheckedBox<T>, any Error>) {
        let pending: Result<UncheckedBox<T>, any Error>? = lock.withLock {
            if let early { return early }
            self.continuation = continuation
            return nil
        }
        if let pending { continuation.resume(with: pending) }
    }

    func resume(with result: Result<UncheckedBox<T>, any Error>) {
        let waiting: CheckedContinuation<UncheckedBox<T>, any Error>? = lock.withLock {
            guard let continuation else {
                if early == nil { early = result }
                return nil
            }
            self.continuation = nil
            return continuation
        }
        waiting?.resume(with: result)
    }
}

extension OffPoolBuild {
    /// `run`, keeping the work's typed error: for store work a control request asks for (an export, a
    /// soul, an install), which must not hold one of the conversation's few pool threads.
    static func work<T>(_ name: String, _ body: @escaping @Sendable () throws(CubbyError) -> T) async throws(CubbyError) -> T {
        do { return try await run(name, body) } catch let error as CubbyError { throw error } catch {
            throw CubbyError(.io, "\(name) was interrupted", underlying: error)
        }
    }
}
