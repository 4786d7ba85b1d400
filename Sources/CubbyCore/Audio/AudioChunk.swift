/// A run of mono 16-bit samples with its place in the capture stream.
///
/// `startSample` is an absolute index counted from the moment capture began, so that a wake detection,
/// an end of speech and an uplink can all name the same instant without sharing a clock.
public struct AudioChunk: Sendable, Equatable {
    public var startSample: Int64
    /// What the wake word and the endpointer hear: the fully cleaned signal.
    public var samples: [Int16]
    /// What may be sent to the cloud, when it differs from `samples` (same length): echo-cancelled but not
    /// noise-suppressed, because speech recognisers are trained on natural audio and lose words to
    /// spectral-subtraction artefacts.
    public var uplink: [Int16]?

    public init(startSample: Int64, samples: [Int16], uplink: [Int16]? = nil) {
        self.startSample = startSample
        self.samples = samples
        self.uplink = uplink
    }

    /// The samples to send when a conversation is open.
    public var uplinkSamples: [Int16] { uplink ?? samples }

    /// One past the index of the last sample.
    public var endSample: Int64 { startSample + Int64(samples.count) }
}
