import CubbyCore

/// A wake phrase heard in the capture stream.
public struct WakeDetection: Sendable, Equatable {
    public var phrase: String
    /// Absolute sample indices of the phrase in the capture stream.
    public var startSample: Int64
    public var endSample: Int64
    /// Engine confidence in 0…1 where the engine gives one.
    public var score: Double

    public init(phrase: String, startSample: Int64, endSample: Int64, score: Double) {
        self.phrase = phrase
        self.startSample = startSample
        self.endSample = endSample
        self.score = score
    }
}

/// A wake-word engine fed the capture stream chunk by chunk. The engine owns its decoder and is used by
/// one task at a time.
public protocol WakeDetector: AnyObject {
    /// Feeds audio; returns a detection when the phrase ended within this chunk.
    func process(_ chunk: AudioChunk) throws(CubbyError) -> WakeDetection?
    /// Forgets partial state, e.g. after the toy has been speaking.
    func reset() throws(CubbyError)
}
