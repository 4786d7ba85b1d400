import AsyncAlgorithms
import CubbyCore
import Foundation

/// A turn handed to the supervisor: the work, and the handle the loop stops it and reads it through.
struct TurnJob: Sendable {
    let handle: TurnHandle
    let work: @Sendable () async -> TurnReport
}

/// Runs turns as structured child tasks of the conversation service, beside the capture loop, so the
/// child can interrupt while the toy speaks. Each turn can be stopped on its own (barge-in, mute) without
/// touching the others; all of them end before the supervisor does.
struct TurnSupervisor: Sendable {
    let jobs = AsyncChannel<TurnJob>()

    /// Runs until `finish()`, then waits for the turns still running. `ended` is told each turn's handle
    /// when its report is ready.
    func run(ended: @escaping @Sendable (TurnHandle) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                group.addTask {
                    job.handle.finish(await Self.runStoppable(job.work, stop: job.handle.stop, settled: job.handle.settled))
                    await ended(job.handle)
                }
            }
        }
    }

    func start(_ job: TurnJob) async { await jobs.send(job) }

    func finish() { jobs.finish() }

    /// Runs `work` until it finishes or `stop` is signalled; a stopped turn is cancelled and its own
    /// (interrupted) report is still returned, so what was said so far is kept. `settled` is signalled
    /// the moment the turn can queue no more audio: it was cancelled, or it finished.
    static func runStoppable(_ work: @escaping @Sendable () async -> TurnReport, stop: Latch, settled: Latch) async -> TurnReport {
        await withTaskGroup(of: TurnReport?.self) { group in
            group.addTask {
                let report = await withTaskCancellationHandler { await work() } onCancel: { settled.signal() }
                settled.signal()
                return report
            }
            group.addTask {
                _ = await stop.wait()
                return nil
            }
            var report: TurnReport?
            while let next = await group.next() {
                if let next {
                    report = next
                    break
                }
                // Stopped: cancel the turn and take the report it makes of itself.
                group.cancelAll()
            }
            group.cancelAll()
            return report ?? TurnReport()
        }
    }
}

/// One running turn as the loop sees it: stop it, and wait (with a deadline) for its report.
final class TurnHandle: @unchecked Sendable {
    // @unchecked: `report` is read and written under `condition`; `stop` and `done` are latches.
    let id: Int
    /// Where in the capture stream the utterance ended: a follow-up is listened for from there.
    let endSample: Int64
    let stop = Latch()
    /// The turn can queue no more audio (cancelled, or finished): only then is the speaker silenced, so
    /// nothing it still had in hand is played after the interruption.
    let settled = Latch()
    private let done = Latch()
    /// Guards `report`; also waited on by a task that is itself already cancelled (see `report(within:)`).
    private let condition = NSCondition()
    private var report: TurnReport?

    init(id: Int, endSample: Int64) {
        self.id = id
        self.endSample = endSample
    }

    func finish(_ report: TurnReport) {
        condition.withLock {
            self.report = report
            condition.broadcast()
        }
        done.signal()
    }

    var finishedReport: TurnReport? { condition.withLock { report } }

    /// The report once the turn has ended, or nil when `limit` passes first: a turn stuck in something
    /// that does not answer cancellation must not hold the loop. (It still holds the daemon's shutdown,
    /// which waits for every child task; the voice, the speaker and both providers answer cancellation.)
    func report(within limit: Duration, clock: any CubbyClock) async -> TurnReport? {
        if Task.isCancelled {
            // Waiting asynchronously ends at once in a cancelled task; block this thread briefly instead.
            let deadline = Date().addingTimeInterval(Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18)
            return condition.withLock {
                while report == nil && condition.wait(until: deadline) {}
                return report
            }
        }
        let done = self.done
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await done.wait() }
            group.addTask {
                try? await clock.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        return finished ? finishedReport : nil
    }

    /// The report once the turn has ended; nil when the waiting task is cancelled first.
    func report() async -> TurnReport? {
        await done.wait() ? finishedReport : nil
    }
}
