/// A run of mono 16-bit samples with its place in the capture stream.
///
/// `startSample` is an absolute index counted from the moment capture began, so that a wake detection,
/// an end of speech and an uplink can all name the same instant without sharing a clock.
public struct AudioChunk: Sendable, Equatable {
    public var startSample: Int64
    public var samples: [Int16]

    public init(startSample: Int64, samples: [Int16]) {
        self.startSample = startSample
        self.samples = samples
    }

    /// One past the index of the last sample.
    public var endSample: Int64 { startSample + Int64(samples.count) }
}
