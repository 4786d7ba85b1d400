/// Sample rate and channel count of 16-bit signed little-endian PCM, the only sample format Cubby moves
/// around internally.
public struct AudioFormat: Hashable, Sendable, CustomStringConvertible {
    public var sampleRate: Int
    public var channels: Int

    public init(sampleRate: Int, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// What the wake detector, the endpointer and the cloud uplink all consume.
    public static let speech = AudioFormat(sampleRate: 16_000, channels: 1)

    public var bytesPerFrame: Int { 2 * channels }

    public func samples(forMilliseconds ms: Int) -> Int { sampleRate * ms / 1000 }
    public func milliseconds(forSamples n: Int) -> Int { n * 1000 / sampleRate }

    public var description: String { "\(sampleRate) Hz, \(channels == 1 ? "mono" : "\(channels) channels"), S16LE" }
}
