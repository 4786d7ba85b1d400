import CubbyCore
import Foundation

/// The toy's mouth: a queue of audio played by a thread of its own, so that blocking device writes never
/// occupy the Swift concurrency pool, and synthesis of the next sentence overlaps playback of this one.
///
/// Audio goes to the device in blocks of `blockMilliseconds`, so `stop()` (barge-in) takes effect within
/// one block: the rest of the sentence and everything queued is dropped, and the device's own buffer is
/// discarded. Each block is also handed, at 16 kHz, to the `EchoReference`, so the front end can cancel
/// the toy's own voice from the microphone. `paced` plays a file at real-time speed, as a speaker would.
public final class SpeakerQueue: @unchecked Sendable {
    // @unchecked: all mutable state is behind `condition`; `writer`, `echoResampler` and the pacing clock
    // are used only by the playback thread (and `writer` by `close()` after that thread has finished).
    private let writer: any AudioWriter
    private let condition = NSCondition()
    private var queue: [[Int16]] = []
    private var queuedSamples = 0
    /// Bounds memory on a 512 MB board: audio beyond this much waiting is refused, not buffered.
    private let maximumQueuedSamples: Int
    private var playing = false
    private var closed = false
    private var failure: CubbyError?
    private var finishedThread = false
    /// The playback thread starts with the first audio queued, not when the speaker is built.
    private var threadStarted = false
    /// Tasks waiting for everything queued to be heard.
    private var idleWaiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    private var writerClosed = false
    /// Bumped by `stop()`; the playback thread abandons a sentence whose generation is old.
    private var generation = 0
    private var acknowledgedGeneration = 0
    /// Samples handed to the device so far, for timings and tests.
    private var played = 0
    private let blockSamples: Int
    private let paced: Bool
    private let echoReference: EchoReference?
    private let echoResampler: Resampler?
    private var pacingStart: UInt64 = 0
    private var pacedSamples = 0
    /// Waiting for the next block to reach the device (`stampNextWrite`).
    private var stamps: [WriteStamp] = []
    /// Software gain, 0...1 (the model's `set_volume`, held under the parent's cap by the caller).
    private var gain = 1.0
    /// Hears each block as it goes to the device, and nil when playback pauses (lip-sync follows it).
    private let onBlock: (@Sendable ([Int16]?) -> Void)?

    /// `maximumQueuedSeconds` bounds what may wait to be played (a cloud voice streams faster than it is spoken).
    /// `onBlock` hears each block in step with playback, on the playback thread: it must return at once.
    public init(writer: any AudioWriter, paced: Bool = false, echoReference: EchoReference? = nil, blockMilliseconds: Int = 20,
                maximumQueuedSeconds: Int = 120, onBlock: (@Sendable ([Int16]?) -> Void)? = nil) {
        self.writer = writer
        self.onBlock = onBlock
        maximumQueuedSamples = writer.format.sampleRate * maximumQueuedSeconds
        self.paced = paced
        self.echoReference = echoReference
        blockSamples = writer.format.samples(forMilliseconds: blockMilliseconds)
        echoResampler = echoReference == nil || writer.format.sampleRate == AudioFormat.speech.sampleRate
            ? nil : try? Resampler(from: writer.format.sampleRate, to: AudioFormat.speech.sampleRate)
    }

    public var format: AudioFormat { writer.format }
    public var deviceName: String { writer.name }

    /// How many times `stop()` has silenced the speaker: a sound asked for before a stop is not wanted after.
    public var stops: Int {
        condition.lock()
        defer { condition.unlock() }
        return generation
    }

    /// Queues audio unless the speaker was stopped (a barge-in, a mute, an end) since `stops` read
    /// `unlessStoppedSince`; returns whether it was queued.
    @discardableResult
    public func enqueue(_ samples: [Int16], unlessStoppedSince stops: Int) throws(CubbyError) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard generation == stops else { return false }
        try enqueueLocked(samples)
        return true
    }

    /// Queues audio at `format.sampleRate`.
    public func enqueue(_ samples: [Int16]) throws(CubbyError) {
        condition.lock()
        defer { condition.unlock() }
        try enqueueLocked(samples)
    }

    private func enqueueLocked(_ samples: [Int16]) throws(CubbyError) {
        if let failure { throw failure }
        guard !closed else { throw CubbyError(.audio, "speaker is closed", context: writer.name) }
        // A stopped turn may still finish synthesizing a sentence it had in hand; checked under the lock,
        // after the cancellation that precedes every `stop()`, so none of it is heard after an interruption.
        guard !Task.isCancelled else { throw CubbyError(.audio, "not queued: the task was cancelled", context: writer.name) }
        guard queuedSamples + samples.count <= maximumQueuedSamples else {
            throw CubbyError(.audio, "the speaker's queue is full (\(queuedSamples / writer.format.sampleRate) s of audio waiting)", context: writer.name)
        }
        queue.append(gain >= 1 ? samples : samples.map { Int16((Double($0) * gain).rounded()) })
        queuedSamples += samples.count
        if !threadStarted {
            threadStarted = true
            let thread = Thread { [self] in run() }
            thread.name = "cubby-speaker"
            thread.start()
        }
        condition.broadcast()
    }

    /// When the next block of audio is handed to the device: for measuring latency up to the speaker
    /// itself, not just to this queue.
    public final class WriteStamp: @unchecked Sendable {
        // @unchecked: `value` is written once by the playback thread and read under `lock`.
        private let lock = NSLock()
        private var value: ContinuousClock.Instant?
        public var instant: ContinuousClock.Instant? { lock.withLock { value } }
        func set(_ instant: ContinuousClock.Instant) { lock.withLock { if value == nil { value = instant } } }
    }

    public func stampNextWrite() -> WriteStamp {
        let stamp = WriteStamp()
        condition.withLock { stamps.append(stamp) }
        return stamp
    }

    /// The playback volume, 0...1, for audio queued from now on.
    public var volume: Double {
        get { condition.withLock { gain } }
        set { condition.withLock { gain = min(1, max(0, newValue)) } }
    }

    /// Drops audio that has not started playing; the sentence playing now finishes.
    public func flush() {
        condition.lock()
        queue.removeAll()
        queuedSamples = 0
        wakeIdleWaitersIfIdle()
        condition.broadcast()
        condition.unlock()
    }

    /// Stops playback now (barge-in): drops the queue and the rest of the sentence playing, and discards
    /// what the device still buffers. Returns once the playback thread has let go of the device, so the
    /// caller can measure how long silencing the toy took.
    @discardableResult
    public func stop() -> Duration {
        let started = ContinuousClock.now
        condition.lock()
        generation += 1
        let target = generation
        queue.removeAll()
        queuedSamples = 0
        wakeIdleWaitersIfIdle()
        condition.broadcast()
        while playing && acknowledgedGeneration < target && !finishedThread { condition.wait() }
        acknowledgedGeneration = max(acknowledgedGeneration, target)
        condition.unlock()
        echoReference?.clear()
        return ContinuousClock.now - started
    }

    public var samplesPlayed: Int { condition.withLock { played } }
    public var isPlaying: Bool { condition.withLock { playing || !queue.isEmpty } }

    /// Waits until everything queued has been written and drained, or the task is cancelled (the caller
    /// then decides whether to `flush()` or `stop()`).
    public func waitUntilIdle() async throws(CubbyError) {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now: Bool = condition.withLock {
                    if isIdle || Task.isCancelled { return true }
                    idleWaiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = condition.withLock { idleWaiters.removeValue(forKey: id) }
            waiter?.resume()
        }
        if let failure = condition.withLock({ failure }) { throw failure }
    }

    /// Everything queued has been heard, or nothing more will be (a failed device). Under `condition`.
    private var isIdle: Bool { (queue.isEmpty && !playing) || failure != nil || finishedThread }

    /// Lets the waiters go once idle. Called with `condition` held, by whatever emptied the queue.
    private func wakeIdleWaitersIfIdle() {
        guard isIdle, !idleWaiters.isEmpty else { return }
        let waiters = idleWaiters.values
        idleWaiters = [:]
        for waiter in waiters { waiter.resume() }
    }

    /// Plays what is queued, then stops the thread and closes the device or file.
    public func close() throws(CubbyError) {
        condition.lock()
        closed = true
        if !threadStarted { finishedThread = true }
        condition.broadcast()
        while !finishedThread { condition.wait() }
        let failure = self.failure
        // Closing twice (the speaker service, then the daemon's last clean-up) closes the device once.
        let firstClose = !writerClosed
        writerClosed = true
        condition.unlock()
        guard firstClose else { return }
        try writer.close()
        if let failure { throw failure }
    }

    private func run() {
        condition.lock()
        while true {
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed { break }
            let next = queue.removeFirst()
            queuedSamples -= next.count
            let sentenceGeneration = generation
            playing = true
            condition.unlock()
            let (written, error, stopped) = play(next, generation: sentenceGeneration)
            condition.lock()
            played += written
            playing = false
            if stopped { acknowledgedGeneration = max(acknowledgedGeneration, sentenceGeneration + 1) }
            if let error {
                failure = error
                queue.removeAll()
                queuedSamples = 0
            }
            wakeIdleWaitersIfIdle()
            condition.broadcast()
        }
        finishedThread = true
        wakeIdleWaitersIfIdle()
        condition.broadcast()
        condition.unlock()
    }

    /// Writes one sentence block by block; returns early when `stop()` was called meanwhile.
    private func play(_ samples: [Int16], generation sentenceGeneration: Int) -> (written: Int, error: CubbyError?, stopped: Bool) {
        var offset = 0
        do {
            while offset < samples.count {
                if condition.withLock({ generation != sentenceGeneration }) {
                    writer.discard()
                    onBlock?(nil)
                    return (offset, nil, true)
                }
                let block = Array(samples[offset..<min(offset + blockSamples, samples.count)])
                pace(block.count)
                if let echoReference { echoReference.push(echoResampler?.process(block) ?? block) }
                try writer.write(block)
                onBlock?(block)
                offset += block.count
                let waiting = condition.withLock { () -> [WriteStamp] in
                    defer { stamps.removeAll() }
                    return stamps
                }
                if !waiting.isEmpty {
                    let now = ContinuousClock.now
                    waiting.forEach { $0.set(now) }
                }
            }
            if condition.withLock({ queue.isEmpty }) {
                try writer.drain()
                onBlock?(nil)
            }
            return (offset, nil, false)
        } catch {
            onBlock?(nil)
            return (offset, error, false)
        }
    }

    /// A file plays at real-time speed when paced: block i is written when it would start playing.
    private func pace(_ count: Int) {
        guard paced else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let rate = UInt64(writer.format.sampleRate)
        if pacingStart == 0 || now > pacingStart + UInt64(pacedSamples) * 1_000_000_000 / rate + 100_000_000 {
            // First block, or the speaker was idle: the clock restarts now.
            pacingStart = now
            pacedSamples = 0
        }
        let due = pacingStart + UInt64(pacedSamples) * 1_000_000_000 / rate
        if due > now { usleep(UInt32((due - now) / 1000)) }
        pacedSamples += count
    }
}
