import CubbyCore

/// The last few seconds of the capture stream, in memory only, so a wake engine's second stage can decode
/// a detection again. A gap in the stream (a reset, a mute) starts it afresh.
public struct RecentAudio: Sendable {
    public let capacity: Int
    private var samples: [Int16] = []
    /// The stream position just after the last sample kept.
    private var end: Int64 = 0

    public init(seconds: Int = 3) {
        capacity = AudioFormat.speech.samples(forMilliseconds: seconds * 1_000)
    }

    public mutating func remember(_ chunk: AudioChunk) {
        if end != chunk.startSample { samples.removeAll() }
        samples += chunk.samples
        end = chunk.endSample
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
    }

    /// From a little before `start` (room for a grammar's first word to begin) to the last sample kept,
    /// as far back as is kept.
    public func phrase(from start: Int64) -> [Int16] {
        let from = min(max(start - Int64(AudioFormat.speech.samples(forMilliseconds: 200)), end - Int64(samples.count)), end)
        return Array(samples.suffix(Int(end - from)))
    }

    public mutating func forget() {
        samples.removeAll()
    }
}
