import CubbyCore
import Foundation

/// Turns one subgraph's operators into the interpreter's steps, checking each against what the
/// interpreter runs: operator, tensor types, quantisation, shapes. Anything else is refused with a
/// message that names the operator (and its position) or the tensor.
struct Planner {
    let model: TFLiteModel
    let subgraph: TFLiteSubgraph
    let index: Int
    let base: Int
    var resources: [String: Int]
    /// VAR_HANDLE outputs: which resource each handle tensor names.
    var handles: [Int: Int] = [:]
    var position = 0

    init(model: TFLiteModel, subgraph: TFLiteSubgraph, index: Int, base: Int, resources: [String: Int]) {
        self.model = model
        self.subgraph = subgraph
        self.index = index
        self.base = base
        self.resources = resources
    }

    func refuse(_ message: String) -> CubbyError {
        CubbyError(.wake, "\(message) (subgraph \(subgraph.name), operator \(position))", context: model.source)
    }

    func tensor(_ local: Int) throws(CubbyError) -> TFLiteTensor {
        guard local >= 0, local < subgraph.tensors.count else { throw refuse("an operator names a missing tensor") }
        return subgraph.tensors[local]
    }

    /// The tensor, which must be int8 (or uint8 where allowed) with one scale and zero point.
    func quantized(_ local: Int, _ role: String, perChannel: Bool = false, unsigned: Bool = false) throws(CubbyError) -> TFLiteTensor {
        let found = try tensor(local)
        guard found.type == .int8 || (unsigned && found.type == .uint8) else {
            throw refuse("the \(role) tensor \"\(found.name)\" is \(found.type); only INT8\(unsigned ? " and UINT8" : "") tensors are supported here")
        }
        guard !found.scales.isEmpty, perChannel || found.scales.count == 1, found.scales.allSatisfy({ Self.sensibleScale.contains($0) }) else {
            throw refuse("the \(role) tensor \"\(found.name)\" is not quantised with one scale between 1e-9 and 1e9")
        }
        let zeroPoints = found.type == .uint8 ? 0...255 : -128...127
        guard found.zeroPoints.allSatisfy({ zeroPoints.contains(Int($0)) }) else {
            throw refuse("the \(role) tensor \"\(found.name)\" has a zero point outside \(zeroPoints)")
        }
        return found
    }

    /// Scales a quantised tensor may have: anything else makes the arithmetic overflow.
    static let sensibleScale: ClosedRange<Float> = 1e-9...1e9

    /// `real` in a tensor's quantised units, bounded before it becomes an integer.
    static func level(_ real: Float, scale: Float, zero: Int32) -> Int32 {
        let steps = max(min(Double(real / scale).rounded(.toNearestOrAwayFromZero), 1e6), -1e6)
        return zero + Int32(steps)
    }

    func constantInt32(_ local: Int, _ role: String) throws(CubbyError) -> [Int32] {
        let found = try tensor(local)
        guard found.type == .int32, let data = found.data, data.count == 4 * found.elementCount else {
            throw refuse("the \(role) tensor \"\(found.name)\" must be a constant INT32 tensor, not \(found.type)")
        }
        var values: [Int32] = []
        for offset in stride(from: 0, to: data.count, by: 4) {
            let low = UInt32(data[offset]) | UInt32(data[offset + 1]) << 8
            let high = UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24
            values.append(Int32(bitPattern: low | high))
        }
        return values
    }

    func activationRange(_ activation: TFLiteOptions.Activation, output: TFLiteTensor) throws(CubbyError) -> ClosedRange<Int32> {
        let (low, high): (Int32, Int32) = output.type == .uint8 ? (0, 255) : (-128, 127)
        let zero = output.zeroPoint, scale = output.scale
        switch activation {
        case .none: return low...high
        case .relu: return max(low, zero)...high
        case .relu6: return max(low, zero)...max(max(low, zero), min(high, Self.level(6, scale: scale, zero: zero)))
        case .reluN1To1:
            let bottom = max(low, Self.level(-1, scale: scale, zero: zero))
            return bottom...max(bottom, min(high, Self.level(1, scale: scale, zero: zero)))
        default: throw refuse("the fused activation \(activation) is not supported")
        }
    }

    mutating func steps() throws(CubbyError) -> [TinyInterpreter.Step] {
        var steps: [TinyInterpreter.Step] = []
        for (position, op) in subgraph.operators.enumerated() {
            self.position = position
            // SPLIT_V is several steps, one per output; VAR_HANDLE none (it only names a variable).
            if op.code == 102 {
                steps += try splitV(op)
            } else if let step = try plan(op) {
                steps.append(step)
            }
        }
        return steps
    }

    private mutating func resource(named name: String) -> Int {
        if let known = resources[name] { return known }
        resources[name] = resources.count
        return resources.count - 1
    }

    private mutating func plan(_ op: TFLiteOperator) throws(CubbyError) -> TinyInterpreter.Step? {
        let name = TFLiteOperatorName.name(op.code)
        guard TinyInterpreter.supported.contains(op.code) else {
            let known = TinyInterpreter.supported.map(TFLiteOperatorName.name).sorted().joined(separator: ", ")
            throw refuse("the model uses \(name), which Cubby's interpreter does not run (it runs \(known))")
        }
        let base = base
        let global = { (local: Int) in base + local }
        let inputs = op.inputs, outputs = op.outputs
        let problem = refuse("\(name) has \(inputs.count) inputs and \(outputs.count) outputs")
        let arity = { (ins: ClosedRange<Int>, outs: Int) throws(CubbyError) in
            guard ins.contains(inputs.count), outputs.count == outs else { throw problem }
        }
        switch op.code {
        case 129:
            guard case .callOnce(let initial) = op.options, initial > 0, initial < model.subgraphs.count, index == 0 else {
                throw refuse("CALL_ONCE must be in the main subgraph and name another one")
            }
            return .callOnce(initial)
        case 142:
            guard case .variableHandle(let container, let shared) = op.options, outputs.count == 1 else { throw refuse("VAR_HANDLE has no name") }
            handles[outputs[0]] = resource(named: container + "/" + shared)
            return nil
        case 143:
            try arity(1...1, 1)
            guard let resource = handles[inputs[0]] else { throw refuse("READ_VARIABLE reads a variable no VAR_HANDLE named") }
            _ = try quantized(outputs[0], "variable")
            return .read(resource: resource, into: global(outputs[0]))
        case 144:
            guard inputs.count == 2, let resource = handles[inputs[0]] else { throw refuse("ASSIGN_VARIABLE assigns a variable no VAR_HANDLE named") }
            _ = try quantized(inputs[1], "assigned")
            return .assign(resource: resource, from: global(inputs[1]))
        case 22:
            try arity(1...2, 1)
            let from = try quantized(inputs[0], "input"), into = try quantized(outputs[0], "output")
            guard from.elementCount == into.elementCount else { throw refuse("RESHAPE changes \(from.shape) into \(into.shape)") }
            return .copy(from: global(inputs[0]), into: global(outputs[0]))
        case 2:
            return try concatenation(op)
        case 45:
            return try stridedSlice(op)

        case 3, 4:
            return .convolution(try convolution(op))
        case 9:
            return .fullyConnected(try fullyConnected(op))
        case 14:
            try arity(1...1, 1)
            let from = try quantized(inputs[0], "input"), into = try quantized(outputs[0], "output")
            guard from.elementCount == into.elementCount else { throw refuse("LOGISTIC maps \(from.shape) onto \(into.shape)") }
            return .lookup(from: global(inputs[0]), into: global(outputs[0]),
                           table: Logistic.table(inputScale: from.scale, inputZeroPoint: from.zeroPoint, outputScale: into.scale, outputZeroPoint: into.zeroPoint))
        case 114:
            try arity(1...1, 1)
            let from = try quantized(inputs[0], "input"), into = try quantized(outputs[0], "output", unsigned: true)
            guard from.elementCount == into.elementCount else { throw refuse("QUANTIZE maps \(from.shape) onto \(into.shape)") }
            let (multiplier, shift) = FixedPoint.quantize(Double(from.scale) / Double(into.scale))
            return .requantize(from: global(inputs[0]), into: global(outputs[0]), inputZeroPoint: from.zeroPoint, multiplier: multiplier, shift: shift,
                               outputZeroPoint: into.zeroPoint, range: into.type == .uint8 ? 0...255 : -128...127)
        default:
            throw refuse("the model uses \(name), which Cubby's interpreter does not run")
        }
    }

    private func concatenation(_ op: TFLiteOperator) throws(CubbyError) -> TinyInterpreter.Step {
        guard case .concatenation(var axis, let activation) = op.options, op.outputs.count == 1, !op.inputs.isEmpty else {
            throw refuse("CONCATENATION needs inputs, an output and an axis")
        }
        guard activation == .none else { throw refuse("CONCATENATION with a fused activation is not supported") }
        let output = try quantized(op.outputs[0], "output")
        axis = axis < 0 ? axis + output.shape.count : axis
        guard axis >= 0, axis < output.shape.count else { throw refuse("CONCATENATION on axis \(axis) of \(output.shape)") }
        var sizes: [Int] = []
        for local in op.inputs {
            let input = try quantized(local, "input")
            guard input.scale == output.scale, input.zeroPoint == output.zeroPoint else {
                throw refuse("CONCATENATION of \"\(input.name)\" would requantise it, which is not supported")
            }
            guard input.shape.count == output.shape.count, input.shape.indices.allSatisfy({ $0 == axis || input.shape[$0] == output.shape[$0] }) else {
                throw refuse("CONCATENATION of \(input.shape) into \(output.shape) on axis \(axis)")
            }
            sizes.append(input.shape[axis...].reduce(1, *))
        }
        let outer = output.shape[..<axis].reduce(1, *)
        guard outer * sizes.reduce(0, +) == output.elementCount else { throw refuse("CONCATENATION's inputs do not make its output \(output.shape)") }
        return .concatenate(inputs: op.inputs.map { base + $0 }, into: base + op.outputs[0], outer: outer, sizes: sizes)
    }

    /// Row-major strides of a shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        for dimension in stride(from: shape.count - 2, through: 0, by: -1) { strides[dimension] = strides[dimension + 1] * shape[dimension + 1] }
        return strides
    }

    /// Every element index of `shape` whose coordinates come from `ranges`, in row-major order.
    static func indices(shape: [Int], ranges: [[Int]]) -> [Int] {
        let strides = strides(shape)
        var result = [0]
        for (dimension, coordinates) in ranges.enumerated() {
            result = result.flatMap { start in coordinates.map { start + $0 * strides[dimension] } }
        }
        return result
    }

    private func stridedSlice(_ op: TFLiteOperator) throws(CubbyError) -> TinyInterpreter.Step {
        guard op.inputs.count == 4, op.outputs.count == 1,
              case .stridedSlice(let beginMask, let endMask, let ellipsisMask, let newAxisMask, let shrinkMask, let offset) = op.options else {
            throw refuse("STRIDED_SLICE needs begin, end and strides")
        }
        guard ellipsisMask == 0, newAxisMask == 0, !offset else { throw refuse("STRIDED_SLICE with an ellipsis, a new axis or offsets is not supported") }
        let input = try quantized(op.inputs[0], "input"), output = try quantized(op.outputs[0], "output")
        let begins = try constantInt32(op.inputs[1], "begin"), ends = try constantInt32(op.inputs[2], "end"), steps = try constantInt32(op.inputs[3], "strides")
        let rank = input.shape.count
        guard begins.count == rank, ends.count == rank, steps.count == rank, !steps.contains(0) else { throw refuse("STRIDED_SLICE's begin, end and strides do not fit \(input.shape)") }
        var ranges: [[Int]] = []
        for dimension in 0..<rank {
            let size = input.shape[dimension], step = Int(steps[dimension])
            var start = Int(begins[dimension]), stop = Int(ends[dimension])
            if start < 0 { start += size }
            if stop < 0 { stop += size }
            if step > 0 {
                start = beginMask >> dimension & 1 == 1 ? 0 : min(max(start, 0), size)
                stop = endMask >> dimension & 1 == 1 ? size : min(max(stop, 0), size)
            } else {
                start = beginMask >> dimension & 1 == 1 ? size - 1 : min(max(start, -1), size - 1)
                stop = endMask >> dimension & 1 == 1 ? -1 : min(max(stop, -1), size - 1)
            }
            if shrinkMask >> dimension & 1 == 1 { stop = start + (step > 0 ? 1 : -1) }
            let coordinates = Array(stride(from: start, to: stop, by: step))
            guard coordinates.allSatisfy({ (0..<size).contains($0) }) else { throw refuse("STRIDED_SLICE reaches outside \(input.shape)") }
            ranges.append(coordinates)
        }
        let indices = Self.indices(shape: input.shape, ranges: ranges)
        guard indices.count == output.elementCount, input.scale == output.scale, input.zeroPoint == output.zeroPoint else {
            throw refuse("STRIDED_SLICE gives \(indices.count) values for an output of \(output.shape)")
        }
        return .gather(from: base + op.inputs[0], into: base + op.outputs[0], indices: indices)
    }

    /// SPLIT_V as one gather per output.
    private func splitV(_ op: TFLiteOperator) throws(CubbyError) -> [TinyInterpreter.Step] {
        guard op.inputs.count == 3, !op.outputs.isEmpty else { throw refuse("SPLIT_V needs sizes and an axis") }
        let input = try quantized(op.inputs[0], "input")
        var sizes = try constantInt32(op.inputs[1], "sizes").map(Int.init)
        let axes = try constantInt32(op.inputs[2], "axis")
        guard axes.count == 1, sizes.count == op.outputs.count else { throw refuse("SPLIT_V's sizes do not match its outputs") }
        let axis = Int(axes[0]) < 0 ? Int(axes[0]) + input.shape.count : Int(axes[0])
        guard axis >= 0, axis < input.shape.count else { throw refuse("SPLIT_V on axis \(axis) of \(input.shape)") }
        if let unknown = sizes.firstIndex(of: -1) { sizes[unknown] = input.shape[axis] - sizes.filter { $0 >= 0 }.reduce(0, +) }
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == input.shape[axis] else { throw refuse("SPLIT_V's sizes \(sizes) do not split \(input.shape[axis])") }
        var outputs: [TinyInterpreter.Step] = []
        var start = 0
        for (local, size) in zip(op.outputs, sizes) {
            let output = try quantized(local, "output")
            var ranges = input.shape.map { Array(0..<$0) }
            ranges[axis] = Array(start..<(start + size))
            let indices = Self.indices(shape: input.shape, ranges: ranges)
            guard indices.count == output.elementCount, output.scale == input.scale, output.zeroPoint == input.zeroPoint else {
                throw refuse("SPLIT_V's output \"\(output.name)\" does not fit")
            }
            outputs.append(.gather(from: base + op.inputs[0], into: base + local, indices: indices))
            start += size
        }
        return outputs
    }

    private func convolution(_ op: TFLiteOperator) throws(CubbyError) -> Convolution {
        let depthwise = op.code == 4
        let name = depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D"
        guard (2...3).contains(op.inputs.count), op.outputs.count == 1 else { throw refuse("\(name) needs an input, a filter and an output") }
        let input = try quantized(op.inputs[0], "input"), filter = try quantized(op.inputs[1], "filter", perChannel: true)
        let output = try quantized(op.outputs[0], "output")
        guard input.shape.count == 4, filter.shape.count == 4, output.shape.count == 4, input.shape[0] == 1, output.shape[0] == 1 else {
            throw refuse("\(name) on \(input.shape) is not a single NHWC image")
        }
        guard let weights = filter.data, filter.zeroPoints.allSatisfy({ $0 == 0 }) else { throw refuse("\(name)'s filter must be constant and symmetric") }
        let padding: TFLiteOptions.Padding, strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, activation: TFLiteOptions.Activation
        var multiplier = 1
        switch op.options {
        case .convolution(let p, let sw, let sh, let dw, let dh, let a) where !depthwise:
            (padding, strideW, strideH, dilationW, dilationH, activation) = (p, sw, sh, dw, dh, a)
        case .depthwise(let p, let sw, let sh, let m, let dw, let dh, let a) where depthwise:
            (padding, strideW, strideH, dilationW, dilationH, activation) = (p, sw, sh, dw, dh, a)
            multiplier = max(m, 1)
        default:
            throw refuse("\(name) has no options")
        }
        guard strideH > 0, strideW > 0, dilationH > 0, dilationW > 0 else { throw refuse("\(name) has a stride or dilation below 1") }
        let (height, width, depth) = (input.shape[1], input.shape[2], input.shape[3])
        let outputDepth = depthwise ? filter.shape[3] : filter.shape[0]
        let (kernelH, kernelW) = (filter.shape[1], filter.shape[2])
        guard depthwise ? (filter.shape[0] == 1 && outputDepth == depth * multiplier) : filter.shape[3] == depth, output.shape[3] == outputDepth else {
            throw refuse("\(name)'s filter \(filter.shape) does not fit its input \(input.shape)")
        }
        // The input plus its offset must fit 16 bits for the convolution's multiply-adds: it does for
        // any int8 tensor (the offset is minus its zero point, within -127...128).
        guard (-128...127).contains(input.zeroPoint) else { throw refuse("\(name)'s input zero point \(input.zeroPoint) is outside int8") }
        let effectiveH = (kernelH - 1) * dilationH + 1, effectiveW = (kernelW - 1) * dilationW + 1
        let outputH: Int, outputW: Int, padTop: Int, padLeft: Int
        if padding == .same {
            outputH = (height + strideH - 1) / strideH
            outputW = (width + strideW - 1) / strideW
            padTop = max((outputH - 1) * strideH + effectiveH - height, 0) / 2
            padLeft = max((outputW - 1) * strideW + effectiveW - width, 0) / 2
        } else {
            outputH = (height - effectiveH + strideH) / strideH
            outputW = (width - effectiveW + strideW) / strideW
            (padTop, padLeft) = (0, 0)
        }
        guard output.shape[1] == outputH, output.shape[2] == outputW else { throw refuse("\(name) gives \(outputH)×\(outputW), not \(output.shape)") }
        let scales = filter.scales.count == 1 ? Array(repeating: filter.scales[0], count: outputDepth) : filter.scales
        guard scales.count == outputDepth else { throw refuse("\(name)'s filter has \(filter.scales.count) scales for \(outputDepth) channels") }
        let quantized = scales.map { FixedPoint.quantize(Double(input.scale) * Double($0) / Double(output.scale)) }
        var bias: [Int32] = []
        if op.inputs.count == 3, op.inputs[2] >= 0 {
            bias = try constantInt32(op.inputs[2], "bias")
            guard bias.count == outputDepth else { throw refuse("\(name)'s bias has \(bias.count) values for \(outputDepth) channels") }
        }
        return Convolution(
            input: base + op.inputs[0], output: base + op.outputs[0], filter: weights.map { Int16(Int8(bitPattern: $0)) }, bias: bias,
            inputHeight: height, inputWidth: width, inputDepth: depth, outputHeight: outputH, outputWidth: outputW, outputDepth: outputDepth,
            kernelHeight: kernelH, kernelWidth: kernelW, strideHeight: strideH, strideWidth: strideW, dilationHeight: dilationH, dilationWidth: dilationW,
            padTop: padTop, padLeft: padLeft, depthwise: depthwise, depthMultiplier: multiplier,
            inputOffset: -input.zeroPoint, outputZeroPoint: output.zeroPoint,
            multipliers: quantized.map(\.multiplier), shifts: quantized.map(\.shift),
            // The reference's vectorised depthwise kernel requantises eight channels at a time, rounding
            // half upward; the channels left over take the scalar path.
            roundUpChannels: depthwise ? outputDepth / 8 * 8 : 0,
            range: try activationRange(activation, output: output))
    }

    private func fullyConnected(_ op: TFLiteOperator) throws(CubbyError) -> FullyConnected {
        guard (2...3).contains(op.inputs.count), op.outputs.count == 1, case .fullyConnected(let activation, let format, _) = op.options, format == 0 else {
            throw refuse("FULLY_CONNECTED with shuffled weights is not supported")
        }
        let input = try quantized(op.inputs[0], "input"), weights = try quantized(op.inputs[1], "weights"), output = try quantized(op.outputs[0], "output")
        guard weights.shape.count == 2, let data = weights.data else { throw refuse("FULLY_CONNECTED's weights must be a constant matrix") }
        let (units, depth) = (weights.shape[0], weights.shape[1])
        guard depth > 0, input.elementCount % depth == 0, output.elementCount == input.elementCount / depth * units else {
            throw refuse("FULLY_CONNECTED's weights \(weights.shape) do not fit \(input.shape) → \(output.shape)")
        }
        var bias: [Int32] = []
        if op.inputs.count == 3, op.inputs[2] >= 0 {
            bias = try constantInt32(op.inputs[2], "bias")
            guard bias.count == units else { throw refuse("FULLY_CONNECTED's bias has \(bias.count) values for \(units) units") }
        }
        // As the reference: the input and weight scales multiplied in float, then divided in double.
        let (multiplier, shift) = FixedPoint.quantize(Double(input.scale * weights.scale) / Double(output.scale))
        return FullyConnected(input: base + op.inputs[0], output: base + op.outputs[0], weights: data.map { Int32(Int8(bitPattern: $0)) }, bias: bias,
                              batches: input.elementCount / depth, inputDepth: depth, outputDepth: units,
                              inputOffset: -input.zeroPoint, weightsOffset: -weights.zeroPoint, outputZeroPoint: output.zeroPoint,
                              multiplier: multiplier, shift: shift, range: try activationRange(activation, output: output))
    }
}
