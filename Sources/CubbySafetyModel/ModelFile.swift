import CubbyCore
import Foundation

/// The safety model as it lies on disk: an 8-byte magic, a little-endian UInt32 header length, a JSON
/// header, then the tensors, each at a 64-byte aligned offset from the first aligned byte after the
/// header. The embedding table (most of the file) stays in a memory map and is read a row at a time,
/// so only the rows of pieces the toy has actually heard become resident; everything else is read once
/// into memory, converted, and the read buffer freed, so the daemon does not keep both the file's
/// float16 pages and their float32 copies resident.
///
/// Written by `scripts/safety_model/modelfile.py`; every size and offset is checked here before use,
/// so a truncated or hostile file is refused with what was wrong, never read out of bounds.
struct ModelFile: Sendable {
    static let magic = Array("CUBBYSM1".utf8)

    struct Tensor: Decodable, Sendable {
        var name: String
        /// "f32", "f16", "u32" or "u8".
        var dtype: String
        var shape: [Int]
        var offset: Int
        var bytes: Int
    }

    let header: SafetyModel.Header
    let path: String
    /// The whole file, read (not mapped): the source of everything converted at load.
    private let data: Data
    /// The same file, mapped: what stays behind for the embedding table.
    private let map: Data
    private let dataStart: Int
    private let tensors: [String: Tensor]

    static func load(contentsOf path: String) throws(CubbyError) -> ModelFile {
        let data: Data, map: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
            map = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw CubbyError(.io, "safety model: could not read the file", context: path, underlying: error)
        }
        func fail(_ message: String) -> CubbyError { failure(message, at: path) }
        guard data.count > 12, Array(data.prefix(8)) == magic else { throw fail("not a Cubby safety model file") }
        let headerLength = data.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self))) }
        guard headerLength > 0, 12 + headerLength <= data.count else { throw fail("the header runs past the end of the file") }
        struct Envelope: Decodable {
            var header: SafetyModel.Header
            var tensors: [Tensor]
            init(from decoder: any Decoder) throws {
                header = try SafetyModel.Header(from: decoder)
                let container = try decoder.container(keyedBy: Key.self)
                tensors = try container.decode([Tensor].self, forKey: .tensors)
            }
            enum Key: String, CodingKey { case tensors }
        }
        // The format first, so a file from another version is named as such, not as a malformed header.
        struct Format: Decodable { var format: Int }
        let headerBytes = data.subdata(in: 12..<(12 + headerLength))
        if let format = try? JSONDecoder().decode(Format.self, from: headerBytes).format, format != 3 {
            throw fail("format \(format) is not supported (this build reads format 3)")
        }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: headerBytes)
        } catch {
            throw fail("malformed header: \(error)")
        }
        let dataStart = (12 + headerLength + 63) / 64 * 64
        var tensors: [String: Tensor] = [:]
        for tensor in envelope.tensors {
            let width: Int
            switch tensor.dtype {
            case "f32", "u32": width = 4
            case "f16": width = 2
            case "u8": width = 1
            default: throw fail("tensor \(tensor.name) has an unknown type \(tensor.dtype)")
            }
            let count = tensor.shape.reduce(1, *)
            guard tensor.shape.allSatisfy({ $0 >= 0 }), count * width == tensor.bytes else {
                throw fail("tensor \(tensor.name): shape \(tensor.shape) does not fill its \(tensor.bytes) bytes")
            }
            guard tensor.offset >= 0, tensor.offset % 64 == 0, dataStart + tensor.offset + tensor.bytes <= data.count else {
                throw fail("tensor \(tensor.name) lies outside the file (truncated?)")
            }
            tensors[tensor.name] = tensor
        }
        guard map.count == data.count else { throw fail("the file changed while it was read") }
        return ModelFile(header: envelope.header, path: path, data: data, map: map, dataStart: dataStart, tensors: tensors)
    }

    private static func failure(_ message: String, at path: String) -> CubbyError {
        CubbyError(.invalidConfiguration, "safety model: \(message)", context: path)
    }

    private func fail(_ message: String) -> CubbyError { Self.failure(message, at: path) }

    func tensor(_ name: String, shape: [Int]? = nil) throws(CubbyError) -> Tensor {
        guard let tensor = tensors[name] else { throw fail("tensor \(name) is missing") }
        if let shape, shape != tensor.shape { throw fail("tensor \(name) has shape \(tensor.shape), expected \(shape)") }
        return tensor
    }

    /// A float tensor as 32-bit floats, whether stored as float32 or float16.
    func floats(_ name: String, shape: [Int]? = nil) throws(CubbyError) -> [Float] {
        let tensor = try tensor(name, shape: shape)
        let start = dataStart + tensor.offset
        let count = tensor.shape.reduce(1, *)
        return data.withUnsafeBytes { raw in
            switch tensor.dtype {
            case "f16":
                return (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * $0, as: UInt16.self)))) }
            default:
                return (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self))) }
            }
        }
    }

    func uint32s(_ name: String) throws(CubbyError) -> [UInt32] {
        let tensor = try tensor(name)
        guard tensor.dtype == "u32" else { throw fail("tensor \(name) should be u32") }
        let start = dataStart + tensor.offset
        return data.withUnsafeBytes { raw in
            (0..<tensor.shape.reduce(1, *)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self)) }
        }
    }

    /// A list of byte strings stored as `NAME_bytes` and `NAME_offsets` (one more offset than strings).
    func strings(_ name: String) throws(CubbyError) -> [[UInt8]] {
        let bytes = try bytes("\(name)_bytes")
        let offsets = try uint32s("\(name)_offsets")
        guard offsets.last.map({ Int($0) == bytes.count }) == true, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw fail("the \(name) table's offsets do not fit its \(bytes.count) bytes")
        }
        return (0..<max(0, offsets.count - 1)).map { Array(bytes[Int(offsets[$0])..<Int(offsets[$0 + 1])]) }
    }

    /// A u8 tensor holding signed 8-bit values stored with 128 added.
    func offsetBytes(_ name: String, shape: [Int]) throws(CubbyError) -> [Int8] {
        let tensor = try tensor(name, shape: shape)
        guard tensor.dtype == "u8" else { throw fail("tensor \(name) should be u8") }
        return try bytes(name).map { Int8(Int16($0) - 128) }
    }

    func bytes(_ name: String) throws(CubbyError) -> [UInt8] {
        let tensor = try tensor(name)
        return Array(data[(dataStart + tensor.offset)..<(dataStart + tensor.offset + tensor.bytes)])
    }

    /// A tensor left in the mapped file, for reading piecemeal.
    func mapped(_ name: String) throws(CubbyError) -> MappedBytes {
        let tensor = try tensor(name)
        return MappedBytes(data: map, start: dataStart + tensor.offset, count: tensor.bytes)
    }
}

/// Bytes of the memory-mapped model file, read where they lie.
struct MappedBytes: Sendable {
    let data: Data
    let start: Int
    let count: Int

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        data.withUnsafeBytes { raw in body(UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)])) }
    }
}
