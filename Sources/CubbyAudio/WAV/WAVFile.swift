import CubbyCore

/// 16-bit PCM audio read from a RIFF/WAVE file.
public struct WAVAudio: Sendable {
    public var format: AudioFormat
    /// Interleaved samples, `format.channels` per frame.
    public var samples: [Int16]

    public init(format: AudioFormat, samples: [Int16]) {
        self.format = format
        self.samples = samples
    }

    public var durationSeconds: Double { Double(samples.count / max(format.channels, 1)) / Double(format.sampleRate) }

    /// The samples mixed down to one channel.
    public func mono() -> [Int16] {
        guard format.channels > 1 else { return samples }
        let channels = format.channels
        var out = [Int16](repeating: 0, count: samples.count / channels)
        for frame in 0..<out.count {
            var sum = 0
            for c in 0..<channels { sum += Int(samples[frame * channels + c]) }
            out[frame] = Int16(sum / channels)
        }
        return out
    }

    /// Reads a WAV file; any rate, mono or stereo, 16-bit integer PCM only.
    public static func read(contentsOf path: String) throws(CubbyError) -> WAVAudio {
        try parse(FileBytes.read(at: path), source: path)
    }

    /// Parses WAV bytes; `source` names the file in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws(CubbyError) -> WAVAudio {
        func fail(_ message: String) -> CubbyError { CubbyError(.unsupportedAudio, message, context: source) }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else { throw fail("not a WAV file (no RIFF/WAVE header)") }

        var offset = 12
        var format: AudioFormat?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes.littleEndianUInt32(at: offset + 4))
            let body = offset + 8
            switch id {
            case "fmt ":
                guard size >= 16, body + 16 <= bytes.count else { throw fail("truncated fmt chunk") }
                let tag = bytes.littleEndianUInt16(at: body)
                let channels = Int(bytes.littleEndianUInt16(at: body + 2))
                let rate = Int(bytes.littleEndianUInt32(at: body + 4))
                let bits = Int(bytes.littleEndianUInt16(at: body + 14))
                var isPCM = tag == 1
                if tag == 0xFFFE, size >= 26, body + 26 <= bytes.count {
                    isPCM = bytes.littleEndianUInt16(at: body + 24) == 1  // extensible: sub-format GUID starts with 1
                }
                guard isPCM else { throw fail("only integer PCM is supported (format tag \(tag))") }
                guard bits == 16 else { throw fail("only 16-bit samples are supported, found \(bits)-bit") }
                guard (1...2).contains(channels) else { throw fail("only mono or stereo is supported, found \(channels) channels") }
                guard (4_000...192_000).contains(rate) else { throw fail("sample rate \(rate) Hz is not supported") }
                format = AudioFormat(sampleRate: rate, channels: channels)
            case "data":
                guard let format else { throw fail("data chunk comes before the fmt chunk") }
                // Streams cut short (or written with a placeholder size) keep what is there.
                let end = min(body + size, bytes.count)
                let usable = (end - body) / 2 * 2
                var samples = [Int16](repeating: 0, count: usable / 2)
                for i in 0..<samples.count {
                    samples[i] = Int16(bitPattern: bytes.littleEndianUInt16(at: body + 2 * i))
                }
                let whole = samples.count / format.channels * format.channels
                return WAVAudio(format: format, samples: Array(samples.prefix(whole)))
            default:
                break
            }
            offset = body + size + (size & 1)
        }
        throw fail(format == nil ? "no fmt chunk" : "no data chunk")
    }

    /// The canonical 44-byte header for `dataBytes` bytes of 16-bit PCM.
    public static func header(format: AudioFormat, dataBytes: Int) -> [UInt8] {
        var h: [UInt8] = []
        h.reserveCapacity(44)
        h += "RIFF".utf8; h.appendLittleEndian(UInt32(36 + dataBytes))
        h += "WAVE".utf8
        h += "fmt ".utf8; h.appendLittleEndian(UInt32(16))
        h.appendLittleEndian(UInt16(1)); h.appendLittleEndian(UInt16(format.channels))
        h.appendLittleEndian(UInt32(format.sampleRate)); h.appendLittleEndian(UInt32(format.sampleRate * format.bytesPerFrame))
        h.appendLittleEndian(UInt16(format.bytesPerFrame)); h.appendLittleEndian(UInt16(16))
        h += "data".utf8; h.appendLittleEndian(UInt32(dataBytes))
        return h
    }

    /// The whole file's bytes.
    public func encoded() -> [UInt8] {
        var bytes = Self.header(format: format, dataBytes: samples.count * 2)
        bytes.reserveCapacity(bytes.count + samples.count * 2)
        for s in samples { bytes.appendLittleEndian(UInt16(bitPattern: s)) }
        return bytes
    }
}

extension Array where Element == UInt8 {
    func littleEndianUInt16(at i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func littleEndianUInt32(at i: Int) -> UInt32 {
        UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
    mutating func appendLittleEndian(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    mutating func appendLittleEndian(_ v: UInt32) {
        append(UInt8(v & 0xFF)); append(UInt8((v >> 8) & 0xFF)); append(UInt8((v >> 16) & 0xFF)); append(UInt8(v >> 24))
    }
}
