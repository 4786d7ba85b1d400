import CubbyCore
import Foundation

/// The last few seconds of captured audio, addressed by absolute sample index: one writer (capture),
/// any number of readers (wake detector, endpointer, uplink), each at its own position.
///
/// Memory is fixed at `capacity` samples. Capture never waits: a reader that falls more than `capacity`
/// behind loses its oldest audio and is told how much. Looking back is the point — when the wake phrase
/// ends, the uplink starts reading from half a second before, so a child need not pause after the name.
/// Nothing here leaves memory; what may leave the device is decided by whoever reads. Thread-safe.
public final class AudioRing: @unchecked Sendable {
    // @unchecked: all state behind `lock`.
    private let lock = NSLock()
    private var storage: [Int16]
    public let capacity: Int
    /// Absolute index one past the newest sample.
    private var end: Int64 = 0

    public init(capacitySeconds: Double = 10) {
        capacity = Int(Double(AudioFormat.speech.sampleRate) * capacitySeconds)
        storage = [Int16](repeating: 0, count: capacity)
    }

    /// Appends captured audio; the oldest audio beyond `capacity` is overwritten.
    public func write(_ samples: [Int16]) {
        lock.withLock {
            for sample in samples.suffix(capacity) {
                storage[Int(end % Int64(capacity))] = sample
                end += 1
            }
            if samples.count > capacity { end += Int64(samples.count - capacity) }
        }
    }

    /// Absolute index one past the newest sample.
    public var endIndex: Int64 { lock.withLock { end } }
    /// Absolute index of the oldest sample still held.
    public var startIndex: Int64 { lock.withLock { max(0, end - Int64(capacity)) } }

    /// Up to `maxCount` samples from `index` on. When `index` is older than the ring holds, reading starts
    /// at the oldest sample held and `lost` says how many were skipped.
    public func read(from index: Int64, maxCount: Int) -> (chunk: AudioChunk, lost: Int64) {
        lock.withLock {
            let oldest = max(0, end - Int64(capacity))
            let from = max(index, oldest)
            let count = Int(max(0, min(Int64(maxCount), end - from)))
            var samples = [Int16](repeating: 0, count: count)
            for offset in 0..<count {
                samples[offset] = storage[Int((from + Int64(offset)) % Int64(capacity))]
            }
            return (AudioChunk(startSample: from, samples: samples), max(0, from - index))
        }
    }

    /// A cursor for one consumer.
    public func makeReader(at index: Int64? = nil) -> Reader {
        Reader(ring: self, position: index ?? endIndex)
    }

    /// One consumer's position in the ring. Not thread-safe: one consumer owns it.
    public final class Reader {
        public let ring: AudioRing
        public private(set) var position: Int64
        /// Samples this reader missed because it fell behind.
        public private(set) var lostSamples: Int64 = 0

        init(ring: AudioRing, position: Int64) {
            self.ring = ring
            self.position = position
        }

        /// Everything new since the last read, up to `maxCount`; empty when caught up.
        public func read(maxCount: Int = Int.max) -> AudioChunk {
            let (chunk, lost) = ring.read(from: position, maxCount: maxCount)
            lostSamples += lost
            position = chunk.endSample
            return chunk
        }

        /// Moves the reader, e.g. back to just before the wake phrase ended.
        public func seek(to index: Int64) { position = index }
    }
}
