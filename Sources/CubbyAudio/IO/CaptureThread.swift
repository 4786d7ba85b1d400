import CubbyCore
import Foundation

/// Runs a blocking `AudioReader` on a thread of its own and hands chunks to async code.
///
/// Capture must never wait for its consumer: the stream keeps at most `depthChunks` chunks, dropping the
/// oldest when the conversation loop falls behind, so memory stays bounded. Each chunk carries absolute
/// sample indices, so a consumer can tell when audio was lost. `paced` makes a file source run in real
/// time, as a microphone would.
public final class CaptureThread: @unchecked Sendable {
    // @unchecked: `reader` is touched only by the capture thread after `start`; `stopRequested` is behind `lock`.
    private let reader: any AudioReader
    private let paced: Bool
    private let frontEnd: VoiceFrontEnd?
    /// The last seconds of cleaned audio, for readers that look back (the uplink starts before the wake
    /// phrase ended).
    public let ring: AudioRing
    private let lock = NSLock()
    private var stopRequested = false
    private var muted = false
    /// How far the consumer has got; an unpaced source (a file) waits for it, so the ring's look-back
    /// is always there. A live microphone never waits.
    private var consumed: Int64 = 0
    private let consumedChanged = NSCondition()
    private var captured: Int64 = 0
    private var thread: Thread?

    /// `frontEnd` (echo cancellation, noise suppression, gain) runs on the capture thread, frame-locked to
    /// the microphone, so its pairing with the speaker's reference does not depend on how busy the
    /// consumer is.
    public init(reader: any AudioReader, paced: Bool, frontEnd: VoiceFrontEnd? = nil, ring: AudioRing = AudioRing()) {
        self.reader = reader
        self.paced = paced
        self.frontEnd = frontEnd
        self.ring = ring
    }

    /// Starts capturing; the stream finishes at the end of the source, on `stop()`, or with the reader's error.
    public func start(depthChunks: Int = 500) -> AsyncThrowingStream<AudioChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AudioChunk, any Error>.makeStream(
            bufferingPolicy: .bufferingNewest(depthChunks))
        let thread = Thread { [self] in
            var index: Int64 = 0
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                var cleanedIndex: Int64 = 0
                var readSamples: Int64 = 0
                while !isStopRequested, let samples = try reader.read() {
                    readSamples += Int64(samples.count)
                    if paced {
                        let due = start + UInt64(readSamples) * 1_000_000_000 / UInt64(AudioFormat.speech.sampleRate)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if due > now { usleep(UInt32((due - now) / 1000)) }
                    }
                    if isMuted {
                        // Nothing captured while muted is kept or passed on; the empty chunk keeps the
                        // consumer's heartbeat and button polling going.
                        continuation.yield(AudioChunk(startSample: cleanedIndex, samples: []))
                        continue
                    }
                    if !paced { waitForConsumer(upTo: cleanedIndex) }
                    let raw = AudioChunk(startSample: index, samples: samples)
                    index += Int64(samples.count)
                    // The front end works in whole 10 ms frames; its output keeps its own index, which trails
                    // the raw one by under a frame.
                    let cleaned = frontEnd?.process(raw) ?? raw
                    if !cleaned.samples.isEmpty {
                        // The ring holds what may be sent, for the uplink's look-back.
                        ring.write(cleaned.uplinkSamples)
                        continuation.yield(AudioChunk(startSample: cleanedIndex, samples: cleaned.samples, uplink: cleaned.uplink))
                        cleanedIndex += Int64(cleaned.samples.count)
                    }
                    lock.withLock { captured = index }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "cubby-capture"
        self.thread = thread
        thread.start()
        return stream
    }

    /// Samples read from the source so far: the absolute index of the next chunk.
    public var samplesCaptured: Int64 { lock.withLock { captured } }

    public func stop() {
        lock.withLock { stopRequested = true }
        consumedChanged.withLock { consumedChanged.broadcast() }
    }

    /// Mute: the microphone's audio is read and dropped at once, before the front end and the ring.
    public func setMuted(_ muted: Bool) { lock.withLock { self.muted = muted } }
    public var isMuted: Bool { lock.withLock { muted } }

    /// The consumer has processed everything before `index`.
    public func markConsumed(upTo index: Int64) {
        consumedChanged.withLock {
            consumed = max(consumed, index)
            consumedChanged.broadcast()
        }
    }

    private func waitForConsumer(upTo index: Int64) {
        let allowed = Int64(ring.capacity / 2)
        consumedChanged.withLock {
            while index - consumed > allowed && !isStopRequested { consumedChanged.wait(until: Date() + 0.05) }
        }
    }

    private var isStopRequested: Bool { lock.withLock { stopRequested } }
}
