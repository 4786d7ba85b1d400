import CubbyCore

/// The builtin operators this interpreter knows by name (`BuiltinOperator` codes), for what it runs and
/// for errors that name what it does not.
public enum TFLiteOperatorName {
    public static let names: [Int: String] = [
        0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED",
        14: "LOGISTIC", 16: "LSTM", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE", 25: "SOFTMAX", 27: "SVDF",
        28: "TANH", 34: "PAD", 39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 43: "SQUEEZE", 45: "STRIDED_SLICE", 49: "SPLIT", 70: "EXPAND_DIMS",
        83: "PACK", 88: "UNPACK", 102: "SPLIT_V", 114: "QUANTIZE", 129: "CALL_ONCE", 142: "VAR_HANDLE", 143: "READ_VARIABLE",
        144: "ASSIGN_VARIABLE",
    ]

    public static func name(_ code: Int) -> String { names[code] ?? "builtin operator \(code)" }
}

/// An operator's builtin options, read by the operator's code (the schema's slot order for each table).
public enum TFLiteOptions: Sendable, Equatable {
    public enum Padding: Int8, Sendable { case same = 0, valid = 1 }
    public enum Activation: Int8, Sendable { case none = 0, relu = 1, reluN1To1 = 2, relu6 = 3, tanh = 4, signBit = 5 }

    case none
    case convolution(padding: Padding, strideW: Int, strideH: Int, dilationW: Int, dilationH: Int, activation: Activation)
    case depthwise(padding: Padding, strideW: Int, strideH: Int, depthMultiplier: Int, dilationW: Int, dilationH: Int, activation: Activation)
    case fullyConnected(activation: Activation, weightsFormat: Int, keepDimensions: Bool)
    case concatenation(axis: Int, activation: Activation)
    case stridedSlice(beginMask: Int, endMask: Int, ellipsisMask: Int, newAxisMask: Int, shrinkAxisMask: Int, offset: Bool)
    case callOnce(initSubgraph: Int)
    case variableHandle(container: String, sharedName: String)

    init(code: Int, table: FlatTable?) throws(CubbyError) {
        guard let table else {
            self = .none
            return
        }
        let padding = { (slot: Int) throws(CubbyError) -> Padding in
            let raw = try table.scalar(slot, default: Int8(0))
            guard let padding = Padding(rawValue: raw) else { throw table.buffer.error("\(TFLiteOperatorName.name(code)) has padding \(raw)") }
            return padding
        }
        let activation = { (slot: Int) throws(CubbyError) -> Activation in
            let raw = try table.scalar(slot, default: Int8(0))
            guard let activation = Activation(rawValue: raw) else { throw table.buffer.error("\(TFLiteOperatorName.name(code)) has activation \(raw)") }
            return activation
        }
        let int = { (slot: Int, fallback: Int32) throws(CubbyError) -> Int in Int(try table.scalar(slot, default: fallback)) }
        switch code {
        case 3:
            self = .convolution(padding: try padding(0), strideW: try int(1, 0), strideH: try int(2, 0), dilationW: try int(4, 1), dilationH: try int(5, 1),
                                activation: try activation(3))
        case 4:
            self = .depthwise(padding: try padding(0), strideW: try int(1, 0), strideH: try int(2, 0), depthMultiplier: try int(3, 0),
                              dilationW: try int(5, 1), dilationH: try int(6, 1), activation: try activation(4))
        case 9:
            self = .fullyConnected(activation: try activation(0), weightsFormat: Int(try table.scalar(1, default: Int8(0))),
                                   keepDimensions: try table.scalar(2, default: UInt8(0)) != 0)
        case 2:
            self = .concatenation(axis: try int(0, 0), activation: try activation(1))
        case 45:
            self = .stridedSlice(beginMask: try int(0, 0), endMask: try int(1, 0), ellipsisMask: try int(2, 0), newAxisMask: try int(3, 0),
                                 shrinkAxisMask: try int(4, 0), offset: try table.scalar(5, default: UInt8(0)) != 0)
        case 129:
            self = .callOnce(initSubgraph: try int(0, 0))
        case 142:
            self = .variableHandle(container: try table.string(0) ?? "", sharedName: try table.string(1) ?? "")
        default:
            self = .none
        }
    }
}
