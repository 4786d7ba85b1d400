import Foundation

/// Runs the jobs of tasks that prefer it on one thread of its own, in order. The conversation loop runs
/// here, so the wake engine's decoding and the endpointer — a few milliseconds of CPU for every 20 ms chunk
/// — never occupy the cooperative pool (four threads on a Pi Zero 2 W) that the cloud, the voice and the
/// turn need.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `stopped` are read and written under `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in drain() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    /// Lets the thread end once the jobs already queued have run; nothing may prefer the executor after this.
    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
