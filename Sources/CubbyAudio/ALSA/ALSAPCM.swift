@preconcurrency import CALSA
import CubbyCore
import Logging

/// Where a PCM is: an ALSA device name, optionally defined by a private configuration file (used by the
/// simulated board and the tests, whose PCMs are ALSA `file` plugins over `null`).
public struct ALSADeviceSpec: Sendable, Hashable {
    public var name: String
    /// An ALSA configuration file that defines `name`; nil means the system's configuration.
    public var configFile: String?
    public var periodMilliseconds: Int
    public var bufferMilliseconds: Int

    public init(name: String, configFile: String? = nil, periodMilliseconds: Int = 20, bufferMilliseconds: Int = 120) {
        self.name = name
        self.configFile = configFile
        self.periodMilliseconds = periodMilliseconds
        self.bufferMilliseconds = bufferMilliseconds
    }
}

/// An open ALSA PCM in interleaved S16LE: the single owner of the `snd_pcm_t` handle, closed in `deinit`.
///
/// Reads and writes block as libasound does; callers run them on a thread of their own
/// (`CaptureThread`, `SpeakerQueue`), never on the Swift concurrency pool.
public final class ALSAPCM {
    public enum Direction: Sendable { case capture, playback }

    public let spec: ALSADeviceSpec
    public let direction: Direction
    public private(set) var format: AudioFormat
    /// Over- and underruns recovered so far.
    public private(set) var xrunCount = 0
    private var handle: OpaquePointer?
    private let logger = Logger(label: "cubby.alsa")
    private var privateConfig: OpaquePointer?

    public init(spec: ALSADeviceSpec, direction: Direction, format: AudioFormat) throws(CubbyError) {
        self.spec = spec
        self.direction = direction
        self.format = format
        let stream = direction == .capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK
        var pcm: OpaquePointer?
        if let configFile = spec.configFile {
            privateConfig = try Self.loadConfig(configFile, device: spec.name)
            try ALSAResult.check(snd_pcm_open_lconf(&pcm, spec.name, stream, 0, privateConfig), "open", device: spec.name)
        } else {
            try ALSAResult.check(snd_pcm_open(&pcm, spec.name, stream, 0), "open", device: spec.name)
        }
        handle = pcm
        do {
            try configure()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    public func close() {
        if let handle { snd_pcm_close(handle) }
        handle = nil
        if let privateConfig { snd_config_delete(privateConfig) }
        privateConfig = nil
    }

    private static func loadConfig(_ path: String, device: String) throws(CubbyError) -> OpaquePointer? {
        var top: OpaquePointer?
        try ALSAResult.check(snd_config_top(&top), "snd_config_top", device: device)
        var input: OpaquePointer?
        let opened = snd_input_stdio_open(&input, path, "r")
        guard opened >= 0 else {
            snd_config_delete(top)
            throw CubbyError(.audio, "cannot read ALSA configuration: \(String(cString: snd_strerror(opened)))", context: path)
        }
        let loaded = snd_config_load(top, input)
        snd_input_close(input)
        guard loaded >= 0 else {
            snd_config_delete(top)
            throw CubbyError(.audio, "invalid ALSA configuration: \(String(cString: snd_strerror(loaded)))", context: path)
        }
        return top
    }

    private func configure() throws(CubbyError) {
        guard let handle else { return }
        let device = spec.name
        var params: OpaquePointer?
        try ALSAResult.check(snd_pcm_hw_params_malloc(&params), "hw_params_malloc", device: device)
        defer { snd_pcm_hw_params_free(params) }
        try ALSAResult.check(snd_pcm_hw_params_any(handle, params), "hw_params_any", device: device)
        try ALSAResult.check(snd_pcm_hw_params_set_access(handle, params, SND_PCM_ACCESS_RW_INTERLEAVED), "set access", device: device)
        try ALSAResult.check(snd_pcm_hw_params_set_format(handle, params, SND_PCM_FORMAT_S16_LE), "set format S16_LE", device: device)
        try ALSAResult.check(snd_pcm_hw_params_set_channels(handle, params, UInt32(format.channels)), "set \(format.channels) channels", device: device)
        var rate = UInt32(format.sampleRate)
        try ALSAResult.check(snd_pcm_hw_params_set_rate_near(handle, params, &rate, nil), "set rate \(format.sampleRate)", device: device)
        format.sampleRate = Int(rate)
        var period = snd_pcm_uframes_t(format.samples(forMilliseconds: spec.periodMilliseconds))
        try ALSAResult.check(snd_pcm_hw_params_set_period_size_near(handle, params, &period, nil), "set period size", device: device)
        var buffer = snd_pcm_uframes_t(format.samples(forMilliseconds: spec.bufferMilliseconds))
        try ALSAResult.check(snd_pcm_hw_params_set_buffer_size_near(handle, params, &buffer), "set buffer size", device: device)
        try ALSAResult.check(snd_pcm_hw_params(handle, params), "apply hw params", device: device)
        try ALSAResult.check(snd_pcm_prepare(handle), "prepare", device: device)
    }

    /// Reads up to `frames` frames; recovers from an overrun and counts it.
    public func read(frames: Int) throws(CubbyError) -> [Int16] {
        guard let handle else { throw CubbyError(.audio, "read from a closed PCM", context: "ALSA device \"\(spec.name)\"") }
        var buffer = [Int16](repeating: 0, count: frames * format.channels)
        while true {
            let got = buffer.withUnsafeMutableBytes { snd_pcm_readi(handle, $0.baseAddress, snd_pcm_uframes_t(frames)) }
            if got >= 0 { return Array(buffer.prefix(Int(got) * format.channels)) }
            try recover(Int32(got), "read")
        }
    }

    /// Writes all of `samples` (interleaved); recovers from underruns and counts them.
    public func write(_ samples: [Int16]) throws(CubbyError) {
        guard let handle else { throw CubbyError(.audio, "write to a closed PCM", context: "ALSA device \"\(spec.name)\"") }
        var offset = 0
        let frames = samples.count / format.channels
        while offset < frames {
            let written = samples.withUnsafeBytes {
                snd_pcm_writei(handle, $0.baseAddress! + offset * format.bytesPerFrame, snd_pcm_uframes_t(frames - offset))
            }
            if written >= 0 { offset += Int(written); continue }
            try recover(Int32(written), "write")
        }
    }

    /// Lets queued playback finish, then makes the PCM ready for the next write: a drained PCM is left
    /// in the SETUP state, where the next sentence's write would fail with EBADFD.
    public func drain() {
        guard let handle else { return }
        snd_pcm_drain(handle)
        snd_pcm_prepare(handle)
    }

    /// Throws away buffered playback at once (barge-in) and makes the PCM ready for the next write.
    public func discard() {
        guard let handle else { return }
        snd_pcm_drop(handle)
        snd_pcm_prepare(handle)
    }

    private func recover(_ code: Int32, _ operation: String) throws(CubbyError) {
        guard let handle else { return }
        if code == -EINTR { return }
        let recovered = snd_pcm_recover(handle, code, 1)
        if recovered < 0 { throw ALSAResult.error(code, operation, device: spec.name) }
        if code == -EPIPE || code == -ESTRPIPE {
            xrunCount += 1
            logger.warning(direction == .capture ? "capture overrun recovered" : "playback underrun recovered",
                           metadata: ["device": "\(spec.name)", "count": "\(xrunCount)"])
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
