import CubbyCore
import Foundation

/// A TensorFlow Lite model file (`.tflite`, schema 3), read into plain Swift values: its subgraphs, their
/// tensors (shape, type, quantization, constant data) and operators (code and options). Only what an
/// integer interpreter needs is kept; the flatbuffer is not consulted again after loading.
public struct TFLiteModel: Sendable {
    public var subgraphs: [TFLiteSubgraph]
    public var description: String
    /// Where it was read from, for errors.
    public var source: String

    /// The largest model file read: microWakeWord's are 50-80 KB; a persona pack's should never be huge.
    public static let maximumBytes = 8 << 20
    /// The most values one tensor may hold.
    public static let maximumElements = 1 << 20

    public static func load(path: String) throws(CubbyError) -> TFLiteModel {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CubbyError(.io, "could not read the wake-word model", context: path, underlying: error)
        }
        return try parse([UInt8](data), source: path)
    }

    public static func parse(_ bytes: [UInt8], source: String) throws(CubbyError) -> TFLiteModel {
        let buffer = FlatBuffer(bytes: bytes, source: source)
        guard bytes.count >= 8, bytes.count <= maximumBytes else { throw buffer.error("\(bytes.count) bytes is not a model size (8 B to 8 MiB)") }
        guard bytes[4..<8].elementsEqual("TFL3".utf8) else { throw buffer.error("no TFL3 identifier: this is not a TensorFlow Lite flatbuffer") }
        let root = try buffer.root()
        let version = try root.scalar(0, default: UInt32(0))
        guard version == 3 else { throw buffer.error("schema version \(version); only version 3 is read") }
        // OperatorCode: deprecated_builtin_code (byte) is slot 0, builtin_code (int) slot 3; the larger wins.
        let codes = try root.tables(1).map { table throws(CubbyError) -> Int in
            max(Int(try table.scalar(0, default: Int8(0))), Int(try table.scalar(3, default: Int32(0))))
        }
        let buffers = try root.tables(4).map { table throws(CubbyError) in try table.byteRange(0) }
        var subgraphs: [TFLiteSubgraph] = []
        for (index, table) in try root.tables(2).enumerated() {
            subgraphs.append(try TFLiteSubgraph(table, index: index, codes: codes, buffers: buffers, bytes: bytes))
        }
        guard !subgraphs.isEmpty else { throw buffer.error("it has no subgraph") }
        return TFLiteModel(subgraphs: subgraphs, description: try root.string(3) ?? "", source: source)
    }
}

/// A tensor's element type (TensorFlow Lite's `TensorType`); only some are computed with.
public struct TFLiteType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int8
    public init(rawValue: Int8) { self.rawValue = rawValue }

    public static let float32 = TFLiteType(rawValue: 0)
    public static let int32 = TFLiteType(rawValue: 2)
    public static let uint8 = TFLiteType(rawValue: 3)
    public static let int64 = TFLiteType(rawValue: 4)
    public static let int16 = TFLiteType(rawValue: 7)
    public static let int8 = TFLiteType(rawValue: 9)
    public static let resource = TFLiteType(rawValue: 13)

    static let names: [Int8: String] = [0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64", 5: "STRING", 6: "BOOL", 7: "INT16",
                                        8: "COMPLEX64", 9: "INT8", 10: "FLOAT64", 11: "COMPLEX128", 12: "UINT64", 13: "RESOURCE",
                                        14: "VARIANT", 15: "UINT32", 16: "UINT16", 17: "INT4"]
    public var description: String { Self.names[rawValue] ?? "type \(rawValue)" }
}

public struct TFLiteTensor: Sendable {
    public var name: String
    public var type: TFLiteType
    public var shape: [Int]
    /// The constant bytes (weights, biases, shapes), or nil for activations and variables.
    public var data: [UInt8]?
    public var scales: [Float]
    public var zeroPoints: [Int64]
    /// Which dimension per-channel scales run along.
    public var quantizedDimension: Int

    public var elementCount: Int { shape.reduce(1, *) }
    public var scale: Float { scales.first ?? 0 }
    public var zeroPoint: Int32 { Int32(truncatingIfNeeded: zeroPoints.first ?? 0) }
}

public struct TFLiteOperator: Sendable {
    /// The builtin operator's code (`BuiltinOperator`).
    public var code: Int
    public var inputs: [Int]
    public var outputs: [Int]
    public var options: TFLiteOptions
}

public struct TFLiteSubgraph: Sendable {
    public var name: String
    public var tensors: [TFLiteTensor]
    public var inputs: [Int]
    public var outputs: [Int]
    public var operators: [TFLiteOperator]

    init(_ table: FlatTable, index: Int, codes: [Int], buffers: [Range<Int>?], bytes: [UInt8]) throws(CubbyError) {
        let buffer = table.buffer
        let name = try table.string(4) ?? "subgraph \(index)"
        self.name = name
        var tensors: [TFLiteTensor] = []
        for tensor in try table.tables(0) {
            let shape = try tensor.integers(0, as: Int32.self).map(Int.init)
            // Every dimension and every partial product bounded (a zero later must not hide an overflow).
            guard shape.count <= 8, shape.allSatisfy({ (0...TFLiteModel.maximumElements).contains($0) }),
                  shape.reduce(1, { min($0 * max($1, 1), TFLiteModel.maximumElements + 1) }) <= TFLiteModel.maximumElements else {
                throw buffer.error("a tensor of subgraph \(name) has the shape \(shape); at most \(TFLiteModel.maximumElements) values and 8 dimensions")
            }
            let bufferIndex = Int(try tensor.scalar(2, default: UInt32(0)))
            guard bufferIndex < max(buffers.count, 1) else { throw buffer.error("a tensor of subgraph \(name) names buffer \(bufferIndex) of \(buffers.count)") }
            let range = bufferIndex < buffers.count ? buffers[bufferIndex] : nil
            let quantization = try tensor.table(4)
            tensors.append(TFLiteTensor(
                name: try tensor.string(3) ?? "",
                type: TFLiteType(rawValue: try tensor.scalar(1, default: Int8(0))),
                shape: shape,
                data: range.flatMap { $0.isEmpty ? nil : Array(bytes[$0]) },
                scales: try quantization?.floats(2) ?? [],
                zeroPoints: try quantization?.integers(3, as: Int64.self) ?? [],
                quantizedDimension: Int(try quantization?.scalar(6, default: Int32(0)) ?? 0)))
        }
        self.tensors = tensors
        // -1 (an optional input left out) is allowed for an operator's inputs only.
        let inRange = { (list: [Int32], what: String, optional: Bool) throws(CubbyError) -> [Int] in
            for value in list where value < (optional ? -1 : 0) || Int(value) >= tensors.count {
                throw buffer.error("\(what) of subgraph \(name) names tensor \(value) of \(tensors.count)")
            }
            return list.map(Int.init)
        }
        inputs = try inRange(try table.integers(1, as: Int32.self), "an input", false)
        outputs = try inRange(try table.integers(2, as: Int32.self), "an output", false)
        var operators: [TFLiteOperator] = []
        for (position, op) in try table.tables(3).enumerated() {
            let opcode = Int(try op.scalar(0, default: UInt32(0)))
            guard opcode < codes.count else { throw buffer.error("operator \(position) of subgraph \(name) names code \(opcode) of \(codes.count)") }
            let code = codes[opcode]
            operators.append(TFLiteOperator(code: code,
                                            inputs: try inRange(try op.integers(1, as: Int32.self), "operator \(position)'s input", true),
                                            outputs: try inRange(try op.integers(2, as: Int32.self), "operator \(position)'s output", false),
                                            options: try TFLiteOptions(code: code, table: try op.table(4))))
        }
        self.operators = operators
    }
}
