import Foundation

/// Runs the jobs of one actor on a thread of its own, in order. The wake engine runs here: a few
/// milliseconds of CPU for every 20 ms chunk that must never occupy the cooperative pool (four threads on
/// a Pi Zero 2 W) that the cloud, the voice and the turn need.
///
/// The thread ends when it is told to stop and has nothing left to run; a job that still arrives after
/// that starts it again, so a late caller is never left waiting.
final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: `jobs`, `stopping` and `threadRunning` are read and written under `condition`.
    private let condition = NSCondition()
    private let name: String
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var threadRunning = false

    init(name: String) {
        self.name = name
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let start: Bool = condition.withLock {
            jobs.append(job)
            condition.signal()
            defer { threadRunning = true }
            return !threadRunning
        }
        if start { startThread() }
    }

    /// Lets the thread end once it has nothing to run.
    func stop() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    /// The key under which the thread's dictionary names the executor it runs.
    static let threadKey = "cubby.executor"

    private func startThread() {
        let name = self.name
        let thread = Thread { [self] in
            Thread.current.threadDictionary[Self.threadKey] = name
            drain()
        }
        thread.name = name
        thread.start()
    }

    private func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                threadRunning = false
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
