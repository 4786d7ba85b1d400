import CubbyCore
import Foundation

/// What the toy is playing, at the capture rate, waiting to be paired with the microphone frames that
/// hear it. The speaker thread pushes each block as it hands it to the device; the front end pulls one
/// frame per microphone frame, and silence when the toy is quiet.
///
/// Bounded: if nobody pulls (no front end, or echo cancellation off) the oldest audio is dropped, so a
/// long reply never grows memory. Thread-safe.
public final class EchoReference: @unchecked Sendable {
    // @unchecked: all state behind `lock`.
    private let lock = NSLock()
    private var pending: [Int16] = []
    private let capacity: Int
    private var dropped = 0

    public init(capacityMilliseconds: Int = 1_000) {
        capacity = AudioFormat.speech.samples(forMilliseconds: capacityMilliseconds)
    }

    /// Audio the speaker has just started playing, already at 16 kHz mono.
    public func push(_ samples: [Int16]) {
        lock.withLock {
            pending += samples
            if pending.count > capacity {
                let excess = pending.count - capacity
                pending.removeFirst(excess)
                dropped += excess
            }
        }
    }

    /// The next `count` samples of what was played, zero-filled when the speaker is quiet.
    public func pull(_ count: Int) -> [Int16] {
        lock.withLock {
            let take = min(count, pending.count)
            var frame = Array(pending.prefix(take))
            pending.removeFirst(take)
            if take < count { frame += repeatElement(0, count: count - take) }
            return frame
        }
    }

    /// Playback was stopped (barge-in): what was queued for the echo path will never be heard.
    public func clear() { lock.withLock { pending.removeAll() } }

    public var droppedSamples: Int { lock.withLock { dropped } }
}
