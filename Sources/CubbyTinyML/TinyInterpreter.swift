import CubbyCore
import Foundation

/// Runs an int8 TensorFlow Lite model — the streaming kind microWakeWord makes, with its state kept in
/// resource variables between calls — without a TensorFlow runtime. Only the operators such models use
/// are supported; loading any other model is refused with the operator or tensor type named.
///
/// The arithmetic is the reference runtime's (the TensorFlow Lite C library pymicro-wakeword ships), found
/// kernel by kernel against it: convolutions requantise with TensorFlow Lite's two roundings; the
/// vectorised depthwise convolution rounds half upward for whole groups of eight channels and the scalar
/// way for the rest; the fully connected layer's matrix kernel rounds once; the logistic function is a
/// float32 lookup table. So the raw outputs match the reference step for step (the tests check it on
/// every released model).
public final class TinyInterpreter {
    public let model: TFLiteModel
    private var tensors: [[Int8]]
    private var subgraphPlans: [[Step]]
    private var subgraphTensorBase: [Int]
    private var resources: [[Int8]]
    private var initialised = false
    let inputTensor: Int
    let outputTensor: Int
    public let inputShape: [Int]
    public let inputScale: Float
    public let inputZeroPoint: Int32
    public let outputScale: Float
    public let outputZeroPoint: Int32
    public let outputIsUnsigned: Bool

    /// The operators a model may use, by TensorFlow Lite's builtin codes.
    public static let supported: Set<Int> = [2, 3, 4, 9, 14, 22, 45, 102, 114, 129, 142, 143, 144]

    public init(model: TFLiteModel) throws(CubbyError) {
        self.model = model
        let main = model.subgraphs[0]
        guard main.inputs.count == 1, main.outputs.count == 1 else {
            throw CubbyError(.wake, "the model has \(main.inputs.count) inputs and \(main.outputs.count) outputs; a wake-word model has one of each", context: model.source)
        }
        // Every subgraph's tensors live in one table, each subgraph's from its base index.
        var base: [Int] = []
        var all: [[Int8]] = []
        for subgraph in model.subgraphs {
            base.append(all.count)
            for tensor in subgraph.tensors {
                all.append(tensor.type == .int8 || tensor.type == .uint8 ? (tensor.data.map { $0.map { Int8(bitPattern: $0) } } ?? Array(repeating: 0, count: tensor.elementCount)) : [])
            }
        }
        tensors = all
        subgraphTensorBase = base
        var names: [String: Int] = [:]
        var plans: [[Step]] = []
        for (index, subgraph) in model.subgraphs.enumerated() {
            var planner = Planner(model: model, subgraph: subgraph, index: index, base: base[index], resources: names)
            plans.append(try planner.steps())
            names = planner.resources
        }
        subgraphPlans = plans
        resources = Array(repeating: [], count: names.count)
        inputTensor = main.inputs[0]
        outputTensor = main.outputs[0]
        let input = main.tensors[inputTensor], output = main.tensors[outputTensor]
        guard input.type == .int8, output.type == .int8 || output.type == .uint8, !input.scales.isEmpty, !output.scales.isEmpty else {
            throw CubbyError(.wake, "the model takes \(input.type) and gives \(output.type); a wake-word model takes quantized INT8 and gives INT8 or UINT8", context: model.source)
        }
        inputShape = input.shape
        inputScale = input.scale
        inputZeroPoint = input.zeroPoint
        outputScale = output.scale
        outputZeroPoint = output.zeroPoint
        outputIsUnsigned = output.type == .uint8
    }

    /// Forgets the streaming state: the variables start again from the model's own initial values.
    public func reset() {
        initialised = false
        for index in resources.indices { resources[index] = [] }
    }

    /// Runs one step on `input` (the input tensor's int8 values); returns the output tensor's raw values
    /// (uint8 outputs as their bit patterns).
    public func invoke(_ input: [Int8]) throws(CubbyError) -> [Int8] {
        guard input.count == tensors[inputTensor].count else {
            throw CubbyError(.wake, "the model takes \(tensors[inputTensor].count) values a step, not \(input.count)", context: model.source)
        }
        tensors[inputTensor] = input
        try run(0)
        return tensors[outputTensor]
    }

    private func run(_ subgraph: Int) throws(CubbyError) {
        for step in subgraphPlans[subgraph] {
            switch step {
            case .callOnce(let initial):
                if !initialised {
                    initialised = true
                    try run(initial)
                }
            case .assign(let resource, let from):
                resources[resource] = tensors[from]
            case .read(let resource, let into):
                guard resources[resource].count == tensors[into].count else {
                    throw CubbyError(.wake, "a variable was read before it was given a value of its size", context: model.source)
                }
                tensors[into] = resources[resource]
            case .copy(let from, let into):
                tensors[into] = tensors[from]
            case .concatenate(let inputs, let into, let outer, let sizes):
                var result: [Int8] = []
                result.reserveCapacity(tensors[into].count)
                for block in 0..<outer {
                    for (input, size) in zip(inputs, sizes) { result += tensors[input][(block * size)..<((block + 1) * size)] }
                }
                tensors[into] = result
            case .gather(let from, let into, let indices):
                let source = tensors[from]
                tensors[into] = indices.map { source[$0] }
            case .split(let from, let outputs):
                let source = tensors[from]
                for output in outputs { tensors[output.tensor] = output.indices.map { source[$0] } }
            case .convolution(let convolution):
                convolution.run(&tensors)
            case .fullyConnected(let layer):
                layer.run(&tensors)
            case .lookup(let from, let into, let table):
                tensors[into] = tensors[from].map { table[Int($0) + 128] }
            case .requantize(let from, let into, let inputZeroPoint, let multiplier, let shift, let outputZeroPoint, let range):
                tensors[into] = tensors[from].map { value in
                    let scaled = FixedPoint.multiply(Int32(value) - inputZeroPoint, multiplier, shift: shift) + outputZeroPoint
                    return Int8(truncatingIfNeeded: min(max(scaled, range.lowerBound), range.upperBound))
                }
            }
        }
    }

    enum Step {
        case callOnce(Int)
        case assign(resource: Int, from: Int)
        case read(resource: Int, into: Int)
        case copy(from: Int, into: Int)
        case concatenate(inputs: [Int], into: Int, outer: Int, sizes: [Int])
        case gather(from: Int, into: Int, indices: [Int])
        case split(from: Int, outputs: [(tensor: Int, indices: [Int])])
        case convolution(Convolution)
        case fullyConnected(FullyConnected)
        case lookup(from: Int, into: Int, table: [Int8])
        case requantize(from: Int, into: Int, inputZeroPoint: Int32, multiplier: Int32, shift: Int, outputZeroPoint: Int32, range: ClosedRange<Int32>)
    }
}
