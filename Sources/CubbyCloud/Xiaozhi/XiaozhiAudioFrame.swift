import CubbyConfiguration
import CubbyCore

/// The binary frames of the xiaozhi WebSocket protocol: one Opus packet (or, in version 2 and 3, a
/// JSON payload) per frame, framed according to the `Protocol-Version` agreed in the handshake.
///
/// - Version 1: the frame is the raw packet.
/// - Version 2: a 16-byte big-endian header `{u16 version, u16 type, u32 reserved, u32 timestamp_ms,
///   u32 payload_size}`, then the payload.
/// - Version 3: a 4-byte header `{u8 type, u8 reserved, u16 payload_size}` (big-endian), then the payload.
public struct XiaozhiAudioFrame: Sendable, Equatable {
    public typealias Version = XiaozhiProtocolVersion

    public enum PayloadType: UInt16, Sendable {
        case opus = 0
        case json = 1
    }

    public var type: PayloadType
    public var payload: [UInt8]
    /// Milliseconds, version 2 only (used by servers for echo alignment); 0 otherwise.
    public var timestampMilliseconds: UInt32

    public init(type: PayloadType = .opus, payload: [UInt8], timestampMilliseconds: UInt32 = 0) {
        self.type = type
        self.payload = payload
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The bytes of one binary WebSocket frame.
    public func encoded(_ version: Version) -> [UInt8] {
        switch version {
        case .v1:
            return payload
        case .v2:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 + payload.count)
            Self.append(UInt16(2), to: &bytes)
            Self.append(type.rawValue, to: &bytes)
            Self.append(UInt32(0), to: &bytes)
            Self.append(timestampMilliseconds, to: &bytes)
            Self.append(UInt32(payload.count), to: &bytes)
            return bytes + payload
        case .v3:
            return [UInt8(truncatingIfNeeded: type.rawValue), 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        }
    }

    /// Reads one binary frame. A header that does not match the frame's length is an error: a server
    /// speaking another version, or a damaged frame, must end the turn rather than play noise.
    public static func decode(_ bytes: [UInt8], version: Version) throws(CubbyError) -> XiaozhiAudioFrame {
        func fail(_ message: String) -> CubbyError { CubbyError(.cloud, "xiaozhi binary frame (protocol \(version.rawValue)): \(message)") }
        switch version {
        case .v1:
            return XiaozhiAudioFrame(payload: bytes)
        case .v2:
            guard bytes.count >= 16 else { throw fail("\(bytes.count) bytes is shorter than the 16-byte header") }
            let typeValue = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            let timestamp = read32(bytes, at: 8)
            let size = Int(read32(bytes, at: 12))
            guard size == bytes.count - 16 else { throw fail("header says \(size) payload bytes, frame has \(bytes.count - 16)") }
            guard let type = PayloadType(rawValue: typeValue) else { throw fail("unknown payload type \(typeValue)") }
            return XiaozhiAudioFrame(type: type, payload: Array(bytes[16...]), timestampMilliseconds: timestamp)
        case .v3:
            guard bytes.count >= 4 else { throw fail("\(bytes.count) bytes is shorter than the 4-byte header") }
            let size = Int(bytes[2]) << 8 | Int(bytes[3])
            guard size == bytes.count - 4 else { throw fail("header says \(size) payload bytes, frame has \(bytes.count - 4)") }
            guard let type = PayloadType(rawValue: UInt16(bytes[0])) else { throw fail("unknown payload type \(bytes[0])") }
            return XiaozhiAudioFrame(type: type, payload: Array(bytes[4...]))
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private static func read32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
