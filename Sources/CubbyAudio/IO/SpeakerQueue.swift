import CubbyCore
import Foundation

/// The toy's mouth: a queue of audio played by a thread of its own, so that blocking device writes never
/// occupy the Swift concurrency pool, and synthesis of the next sentence overlaps playback of this one.
///
/// `flush()` drops everything not yet played (barge-in, a blocked reply). The queue holds whole sentences
/// of at most a few seconds each, enqueued one at a time by the conversation loop.
public final class SpeakerQueue: @unchecked Sendable {
    // @unchecked: all mutable state is behind `condition`; `writer` is used only by the playback thread
    // (and by `close()` after that thread has finished).
    private let writer: any AudioWriter
    private let condition = NSCondition()
    private var queue: [[Int16]] = []
    private var playing = false
    private var closed = false
    private var failure: CubbyError?
    private var finishedThread = false
    /// Samples handed to the device so far, for timings and tests.
    private var played = 0

    public init(writer: any AudioWriter) {
        self.writer = writer
        let thread = Thread { [self] in run() }
        thread.name = "cubby-speaker"
        thread.start()
    }

    public var format: AudioFormat { writer.format }
    public var deviceName: String { writer.name }

    /// Queues audio at `format.sampleRate`.
    public func enqueue(_ samples: [Int16]) throws(CubbyError) {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        guard !closed else { throw CubbyError(.audio, "speaker is closed", context: writer.name) }
        queue.append(samples)
        condition.broadcast()
    }

    /// Drops audio that has not started playing.
    public func flush() {
        condition.lock()
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    public var samplesPlayed: Int { condition.withLock { played } }

    /// Waits until everything queued has been written and drained, or the task is cancelled (the caller
    /// then decides whether to `flush()`).
    public func waitUntilIdle() async throws(CubbyError) {
        while !Task.isCancelled {
            let (idle, failure) = condition.withLock { (queue.isEmpty && !playing, self.failure) }
            if let failure { throw failure }
            if idle { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Plays what is queued, then stops the thread and closes the device or file.
    public func close() throws(CubbyError) {
        condition.lock()
        closed = true
        condition.broadcast()
        while !finishedThread { condition.wait() }
        let failure = self.failure
        condition.unlock()
        try writer.close()
        if let failure { throw failure }
    }

    private func run() {
        condition.lock()
        while true {
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed { break }
            let next = queue.removeFirst()
            playing = true
            condition.unlock()
            var error: CubbyError?
            do {
                try writer.write(next)
                if isQueueEmpty { try writer.drain() }
            } catch let caught { error = caught }
            condition.lock()
            played += next.count
            playing = false
            if let error { failure = error; queue.removeAll() }
            condition.broadcast()
        }
        finishedThread = true
        condition.broadcast()
        condition.unlock()
    }

    private var isQueueEmpty: Bool { condition.withLock { queue.isEmpty } }
}
