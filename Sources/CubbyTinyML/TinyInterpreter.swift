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
    /// Every int8 and uint8 tensor of every subgraph, and every variable, in one block of memory allocated
    /// once: a step reads and writes it in place, with no allocation while the model runs.
    private let arena: UnsafeMutablePointer<Int8>
    private let arenaSize: Int
    /// Where each tensor (by global index) and each variable starts in the arena, and how long it is.
    private let offsets: [Int]
    private let counts: [Int]
    private let variableOffsets: [Int]
    private let variableCounts: [Int]
    /// The constants, copied back before the initialisation subgraph runs again after a reset.
    private let constants: [(offset: Int, bytes: [Int8])]
    /// Scratch for the convolutions: the shifted input and one pixel's sums.
    private let scratch: UnsafeMutablePointer<Int16>
    private let sums: UnsafeMutablePointer<Int32>
    private let subgraphPlans: [[Step]]
    private var initialised = false
    let inputTensor: Int
    let outputTensor: Int
    public let inputShape: [Int]
    public let inputScale: Float
    public let inputZeroPoint: Int32
    public let outputScale: Float
    public let outputZeroPoint: Int32
    public let outputIsUnsigned: Bool

    /// The most memory a model's tensors may take, and the most work one step may be: a streaming wake-word
    /// model needs tens of kilobytes and tens of thousands of multiply-adds.
    public static let maximumArena = 8 << 20
    public static let maximumMultiplyAdds = 20_000_000.0
    public static let maximumIndices = 4 << 20

    /// Refuses a model whose one step would take more work or more index tables than a toy can spare.
    static func checkWork(_ plans: [[Step]], model: TFLiteModel) throws(CubbyError) {
        var work = 0.0, indices = 0
        for step in plans.joined() {
            switch step {
            case .convolution(let c):
                work += Double(c.outputHeight) * Double(c.outputWidth) * Double(c.outputDepth) * Double(c.kernelHeight) * Double(c.kernelWidth)
                    * Double(c.depthwise ? 1 : c.inputDepth)
            case .fullyConnected(let f): work += Double(f.batches) * Double(f.outputDepth) * Double(f.inputDepth)
            case .gather(_, _, let list): indices += list.count
            default: break
            }
        }
        guard work <= maximumMultiplyAdds, indices <= maximumIndices else {
            throw CubbyError(.wake, "one step of the model would take \(Int(work)) multiply-adds and \(indices) index entries; at most \(Int(maximumMultiplyAdds)) and \(maximumIndices)",
                             context: model.source)
        }
    }

    /// The operators a model may use, by TensorFlow Lite's builtin codes.
    public static let supported: Set<Int> = [2, 3, 4, 9, 14, 22, 45, 102, 114, 129, 142, 143, 144]

    public init(model: TFLiteModel) throws(CubbyError) {
        self.model = model
        let main = model.subgraphs[0]
        guard main.inputs.count == 1, main.outputs.count == 1 else {
            throw CubbyError(.wake, "the model has \(main.inputs.count) inputs and \(main.outputs.count) outputs; a wake-word model has one of each", context: model.source)
        }
        inputTensor = main.inputs[0]
        outputTensor = main.outputs[0]
        let input = main.tensors[inputTensor], output = main.tensors[outputTensor]
        guard input.type == .int8, output.type == .int8 || output.type == .uint8, input.scales.count == 1, output.scales.count == 1,
              Planner.sensibleScale.contains(input.scale), Planner.sensibleScale.contains(output.scale),
              (-128...127).contains(input.zeroPoint), (output.type == .uint8 ? 0...255 : -128...127).contains(output.zeroPoint),
              input.elementCount > 0, output.elementCount > 0 else {
            throw CubbyError(.wake, "the model takes \(input.type) \(input.shape) and gives \(output.type) \(output.shape); a wake-word model takes quantized INT8 and gives INT8 or UINT8, one scale each",
                             context: model.source)
        }
        // Every subgraph's tensors in one table, each subgraph's from its base index.
        var base: [Int] = []
        var tensors: [TFLiteTensor] = []
        for subgraph in model.subgraphs {
            base.append(tensors.count)
            tensors += subgraph.tensors
        }
        var names: [String: Int] = [:]
        var plans: [[Step]] = []
        for (index, subgraph) in model.subgraphs.enumerated() {
            var planner = Planner(model: model, subgraph: subgraph, index: index, base: base[index], resources: names)
            plans.append(try planner.steps())
            names = planner.resources
        }
        subgraphPlans = plans
        try Self.checkWork(plans, model: model)

        // The arena: tensors first, then variables, each as long as the values assigned to it.
        var offsets: [Int] = [], counts: [Int] = [], size = 0, constants: [(offset: Int, bytes: [Int8])] = []
        for tensor in tensors {
            let count = tensor.type == .int8 || tensor.type == .uint8 ? tensor.elementCount : 0
            offsets.append(size)
            counts.append(count)
            if count > 0, let data = tensor.data {
                guard data.count == count else { throw CubbyError(.wake, "the tensor \"\(tensor.name)\" holds \(data.count) bytes for \(count) values", context: model.source) }
                constants.append((size, data.map { Int8(bitPattern: $0) }))
            }
            size += count
        }
        var variableCounts = Array(repeating: -1, count: names.count)
        for step in plans.joined() {
            guard case .assign(let variable, let from) = step else { continue }
            guard variableCounts[variable] == -1 || variableCounts[variable] == counts[from] else {
                throw CubbyError(.wake, "a variable is assigned values of two sizes", context: model.source)
            }
            variableCounts[variable] = counts[from]
        }
        for step in plans.joined() {
            guard case .read(let variable, let into) = step else { continue }
            guard variableCounts[variable] == counts[into] else {
                throw CubbyError(.wake, variableCounts[variable] == -1 ? "a variable is read but never assigned" : "a variable is read into a tensor of another size",
                                 context: model.source)
            }
        }
        var variableOffsets: [Int] = []
        for count in variableCounts {
            variableOffsets.append(size)
            size += max(count, 0)
        }
        guard size <= Self.maximumArena else {
            throw CubbyError(.wake, "the model's tensors need \(size) bytes; at most \(Self.maximumArena) are allowed", context: model.source)
        }
        arenaSize = max(size, 1)
        arena = .allocate(capacity: arenaSize)
        arena.initialize(repeating: 0, count: arenaSize)
        self.offsets = offsets
        self.counts = counts
        self.variableOffsets = variableOffsets
        self.variableCounts = variableCounts.map { max($0, 0) }
        self.constants = constants
        let convolutions = plans.joined().compactMap { step -> Convolution? in
            if case .convolution(let convolution) = step { return convolution } else { return nil }
        }
        let scratchSize = max(convolutions.map { $0.inputHeight * $0.inputWidth * $0.inputDepth }.max() ?? 0, 1)
        scratch = .allocate(capacity: scratchSize)
        scratch.initialize(repeating: 0, count: scratchSize)
        let sumsSize = max(convolutions.map(\.outputDepth).max() ?? 0, 1)
        sums = .allocate(capacity: sumsSize)
        sums.initialize(repeating: 0, count: sumsSize)

        inputShape = input.shape
        inputScale = input.scale
        inputZeroPoint = input.zeroPoint
        outputScale = output.scale
        outputZeroPoint = output.zeroPoint
        outputIsUnsigned = output.type == .uint8
        restoreConstants()
    }

    /// The constant tensors' values, written into the arena (again, after a reset).
    private func restoreConstants() {
        for constant in constants { constant.bytes.withUnsafeBufferPointer { (arena + constant.offset).update(from: $0.baseAddress!, count: $0.count) } }
    }

    deinit {
        arena.deallocate()
        scratch.deallocate()
        sums.deallocate()
    }

    /// Forgets the streaming state: the variables start again from the model's own initial values.
    public func reset() {
        initialised = false
        arena.update(repeating: 0, count: arenaSize)
        restoreConstants()
    }

    /// Runs one step on `input` (the input tensor's int8 values); returns the output tensor's raw values
    /// (uint8 outputs as their bit patterns).
    public func invoke(_ input: [Int8]) throws(CubbyError) -> [Int8] {
        guard input.count == counts[inputTensor] else {
            throw CubbyError(.wake, "the model takes \(counts[inputTensor]) values a step, not \(input.count)", context: model.source)
        }
        input.withUnsafeBufferPointer { (arena + offsets[inputTensor]).update(from: $0.baseAddress!, count: $0.count) }
        run(0)
        return Array(UnsafeBufferPointer(start: arena + offsets[outputTensor], count: counts[outputTensor]))
    }

    private func at(_ tensor: Int) -> UnsafeMutablePointer<Int8> { arena + offsets[tensor] }

    private func run(_ subgraph: Int) {
        for step in subgraphPlans[subgraph] {
            switch step {
            case .callOnce(let initial):
                if !initialised {
                    initialised = true
                    run(initial)
                }
            case .assign(let variable, let from):
                (arena + variableOffsets[variable]).update(from: at(from), count: variableCounts[variable])
            case .read(let variable, let into):
                at(into).update(from: arena + variableOffsets[variable], count: variableCounts[variable])
            case .copy(let from, let into):
                at(into).update(from: at(from), count: counts[into])
            case .concatenate(let inputs, let into, let outer, let sizes):
                var target = at(into)
                for block in 0..<outer {
                    for (input, size) in zip(inputs, sizes) {
                        target.update(from: at(input) + block * size, count: size)
                        target += size
                    }
                }
            case .gather(let from, let into, let indices):
                let source = at(from), target = at(into)
                for (position, index) in indices.enumerated() { target[position] = source[index] }
            case .convolution(let convolution):
                convolution.run(input: at(convolution.input), output: at(convolution.output), scratch: scratch, sums: sums)
            case .fullyConnected(let layer):
                layer.run(input: at(layer.input), output: at(layer.output))
            case .lookup(let from, let into, let table):
                let source = at(from), target = at(into)
                for index in 0..<counts[into] { target[index] = table[Int(source[index]) + 128] }
            case .requantize(let from, let into, let inputZeroPoint, let multiplier, let shift, let outputZeroPoint, let range):
                let source = at(from), target = at(into)
                for index in 0..<counts[into] {
                    let scaled = FixedPoint.multiply(Int32(source[index]) - inputZeroPoint, multiplier, shift: shift) + outputZeroPoint
                    target[index] = Int8(truncatingIfNeeded: min(max(scaled, range.lowerBound), range.upperBound))
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
        case convolution(Convolution)
        case fullyConnected(FullyConnected)
        case lookup(from: Int, into: Int, table: [Int8])
        case requantize(from: Int, into: Int, inputZeroPoint: Int32, multiplier: Int32, shift: Int, outputZeroPoint: Int32, range: ClosedRange<Int32>)
    }
}
