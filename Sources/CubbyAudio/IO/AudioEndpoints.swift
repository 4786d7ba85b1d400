import CubbyCore

/// A blocking source of mono speech-rate audio, read by one owner: the capture thread in the daemon, the
/// conversation loop directly for `--once`.
public protocol AudioReader: AnyObject {
    /// Where the audio comes from, for logs and errors.
    var name: String { get }
    /// Returns the next run of mono 16 kHz samples, or nil at the end of the stream.
    func read() throws(CubbyError) -> [Int16]?
}

/// A blocking sink of mono audio at `format.sampleRate`.
public protocol AudioWriter: AnyObject {
    var name: String { get }
    var format: AudioFormat { get }
    func write(_ samples: [Int16]) throws(CubbyError)
    /// Waits for written audio to finish playing (a device) or reach storage (a file).
    func drain() throws(CubbyError)
    /// Throws away audio written but not yet played (barge-in).
    func discard()
    func close() throws(CubbyError)
}

extension AudioWriter {
    public func discard() {}
}

/// Reads a WAV file as the microphone: any rate, mono or stereo, converted to 16 kHz mono.
public final class WAVFileReader: AudioReader {
    public let name: String
    private let samples: [Int16]
    private var position = 0
    private let chunkSize: Int

    public init(path: String, chunkMilliseconds: Int = 20) throws(CubbyError) {
        name = path
        let audio = try WAVAudio.read(contentsOf: path)
        samples = try Resampler.convert(audio.mono(), from: audio.format.sampleRate, to: AudioFormat.speech.sampleRate)
        chunkSize = AudioFormat.speech.samples(forMilliseconds: chunkMilliseconds)
    }

    public var totalSamples: Int { samples.count }

    public func read() throws(CubbyError) -> [Int16]? {
        guard position < samples.count else { return nil }
        let end = min(position + chunkSize, samples.count)
        defer { position = end }
        return Array(samples[position..<end])
    }
}

/// Captures from an ALSA PCM, converting to 16 kHz mono when the device offers something else.
public final class ALSACaptureReader: AudioReader {
    public var name: String { pcm.spec.name }
    private let pcm: ALSAPCM
    private let resampler: Resampler?
    private let frames: Int

    public init(spec: ALSADeviceSpec, format: AudioFormat) throws(CubbyError) {
        pcm = try ALSAPCM(spec: spec, direction: .capture, format: format)
        resampler = pcm.format.sampleRate == AudioFormat.speech.sampleRate
            ? nil : try Resampler(from: pcm.format.sampleRate, to: AudioFormat.speech.sampleRate)
        frames = pcm.format.samples(forMilliseconds: spec.periodMilliseconds)
    }

    public var xrunCount: Int { pcm.xrunCount }

    public func read() throws(CubbyError) -> [Int16]? {
        let raw = try pcm.read(frames: frames)
        let mono = WAVAudio(format: pcm.format, samples: raw).mono()
        return resampler?.process(mono) ?? mono
    }
}

/// Writes the toy's voice to a WAV file that is valid after every write.
public final class WAVFileWriter: AudioWriter {
    public var name: String { writer.path }
    public var format: AudioFormat { writer.format }
    private let writer: WAVWriter

    public init(path: String, sampleRate: Int) throws(CubbyError) {
        writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: sampleRate, channels: 1))
    }

    public func write(_ samples: [Int16]) throws(CubbyError) { try writer.append(samples) }
    public func drain() throws(CubbyError) {}
    public func close() throws(CubbyError) { try writer.close() }
}

/// Plays through an ALSA PCM.
public final class ALSAPlaybackWriter: AudioWriter {
    public var name: String { pcm.spec.name }
    public var format: AudioFormat { AudioFormat(sampleRate: pcm.format.sampleRate, channels: 1) }
    private let pcm: ALSAPCM

    public init(spec: ALSADeviceSpec, sampleRate: Int) throws(CubbyError) {
        pcm = try ALSAPCM(spec: spec, direction: .playback, format: AudioFormat(sampleRate: sampleRate, channels: 1))
    }

    public func write(_ samples: [Int16]) throws(CubbyError) { try pcm.write(samples) }
    public func drain() throws(CubbyError) { pcm.drain() }
    public func discard() { pcm.discard() }
    public func close() throws(CubbyError) { pcm.close() }
}
