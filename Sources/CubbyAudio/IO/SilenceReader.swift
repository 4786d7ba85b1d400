import CubbyCore

/// A microphone in a quiet room: 20 ms of zeros at a time, without end. The capture thread paces it like
/// any file in the daemon, so a simulated board can run for hours on no audio at all.
public final class SilenceReader: AudioReader {
    public let name = "silence"
    static let chunk = [Int16](repeating: 0, count: 320)

    public init() {}

    public func read() throws(CubbyError) -> [Int16]? { Self.chunk }
}
