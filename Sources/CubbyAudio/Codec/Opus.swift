import COpus
import CubbyCore

/// Opus settings for the uplink: xiaozhi servers expect 16 kHz mono in 60 ms frames.
public struct OpusSettings: Sendable, Equatable {
    public var sampleRate: Int = 16_000
    public var channels: Int = 1
    public var frameMilliseconds: Int = 60
    public var bitrate: Int = 24_000
    public var complexity: Int = 5

    public init() {}

    /// Opus frames are 2.5–120 ms; these are the whole-millisecond ones libopus accepts.
    public static let frameDurations = [10, 20, 40, 60, 80, 100, 120]

    public init(frameMilliseconds: Int, bitrate: Int = 24_000) throws(CubbyError) {
        guard Self.frameDurations.contains(frameMilliseconds) else {
            throw CubbyError(.invalidConfiguration, "Opus frames must last one of \(Self.frameDurations) ms, not \(frameMilliseconds)", context: "opus")
        }
        self.frameMilliseconds = frameMilliseconds
        self.bitrate = bitrate
    }

    public var samplesPerFrame: Int { sampleRate * frameMilliseconds / 1000 * channels }
}

/// Cuts a stream of chunks of any length into Opus packets, one per frame; the uplink to a
/// xiaozhi-compatible server sends one packet per WebSocket message.
public final class OpusPacketizer {
    private let encoder: OpusEncoder
    private var pending: [Int16] = []

    public init(settings: OpusSettings = OpusSettings()) throws(CubbyError) {
        encoder = try OpusEncoder(settings: settings)
    }

    /// Packets for every whole frame now available.
    public func append(_ samples: [Int16]) throws(CubbyError) -> [[UInt8]] {
        pending += samples
        let frame = encoder.settings.samplesPerFrame
        var packets: [[UInt8]] = []
        while pending.count >= frame {
            packets.append(try encoder.encode(frame: Array(pending.prefix(frame))))
            pending.removeFirst(frame)
        }
        return packets
    }

    /// The last partial frame, padded with silence (end of the utterance); nil when nothing is left.
    public func finish() throws(CubbyError) -> [UInt8]? {
        guard !pending.isEmpty else { return nil }
        let frame = encoder.settings.samplesPerFrame
        let last = pending + [Int16](repeating: 0, count: frame - pending.count)
        pending = []
        return try encoder.encode(frame: last)
    }
}

enum OpusResult {
    static func check(_ code: Int32, _ operation: String) throws(CubbyError) {
        guard code < 0 else { return }
        throw CubbyError(.library, "\(operation) failed: \(String(cString: opus_strerror(code)))", context: "opus")
    }
}

/// Owns a libopus encoder; one frame in, one packet out.
public final class OpusEncoder {
    public let settings: OpusSettings
    private let encoder: OpaquePointer

    public init(settings: OpusSettings = OpusSettings()) throws(CubbyError) {
        self.settings = settings
        var error: Int32 = 0
        let created = opus_encoder_create(Int32(settings.sampleRate), Int32(settings.channels), OPUS_APPLICATION_VOIP, &error)
        try OpusResult.check(error, "opus_encoder_create")
        guard let created else { throw CubbyError(.library, "opus_encoder_create returned nothing", context: "opus") }
        encoder = created
        try OpusResult.check(cubby_opus_set_bitrate(encoder, Int32(settings.bitrate)), "set bitrate")
        try OpusResult.check(cubby_opus_set_complexity(encoder, Int32(settings.complexity)), "set complexity")
    }

    deinit { opus_encoder_destroy(encoder) }

    /// Encodes exactly one frame (`settings.samplesPerFrame` samples).
    public func encode(frame: [Int16]) throws(CubbyError) -> [UInt8] {
        guard frame.count == settings.samplesPerFrame else {
            throw CubbyError(.unsupportedAudio, "Opus frame must hold \(settings.samplesPerFrame) samples, got \(frame.count)", context: "opus")
        }
        var packet = [UInt8](repeating: 0, count: 4000)
        let length = frame.withUnsafeBufferPointer { input in
            packet.withUnsafeMutableBufferPointer { output in
                opus_encode(encoder, input.baseAddress!, Int32(frame.count / settings.channels), output.baseAddress!, Int32(output.count))
            }
        }
        try OpusResult.check(length, "opus_encode")
        return Array(packet.prefix(Int(length)))
    }
}

/// Owns a libopus decoder; decodes at whatever rate the server announced.
public final class OpusDecoder {
    public let sampleRate: Int
    public let channels: Int
    private let decoder: OpaquePointer

    public init(sampleRate: Int, channels: Int = 1) throws(CubbyError) {
        self.sampleRate = sampleRate
        self.channels = channels
        var error: Int32 = 0
        let created = opus_decoder_create(Int32(sampleRate), Int32(channels), &error)
        try OpusResult.check(error, "opus_decoder_create")
        guard let created else { throw CubbyError(.library, "opus_decoder_create returned nothing", context: "opus") }
        decoder = created
    }

    deinit { opus_decoder_destroy(decoder) }

    public func decode(packet: [UInt8]) throws(CubbyError) -> [Int16] {
        let maxFrames = sampleRate * 120 / 1000
        var pcm = [Int16](repeating: 0, count: maxFrames * channels)
        let frames = packet.withUnsafeBufferPointer { input in
            pcm.withUnsafeMutableBufferPointer { output in
                opus_decode(decoder, input.baseAddress, Int32(input.count), output.baseAddress!, Int32(maxFrames), 0)
            }
        }
        try OpusResult.check(frames, "opus_decode")
        return Array(pcm.prefix(Int(frames) * channels))
    }
}
