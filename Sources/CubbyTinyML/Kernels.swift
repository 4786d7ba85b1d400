import Foundation

/// A 2-D convolution or depthwise convolution over one NHWC int8 image, per-channel quantised, as
/// TensorFlow Lite's integer kernels compute it.
struct Convolution {
    var input: Int, output: Int
    var filter: [Int32]
    var bias: [Int32]
    var inputHeight: Int, inputWidth: Int, inputDepth: Int
    var outputHeight: Int, outputWidth: Int, outputDepth: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideHeight: Int, strideWidth: Int
    var dilationHeight: Int, dilationWidth: Int
    var padTop: Int, padLeft: Int
    var depthwise: Bool
    var depthMultiplier: Int
    var inputOffset: Int32
    var outputZeroPoint: Int32
    var multipliers: [Int32]
    var shifts: [Int]
    /// Output channels below this are requantised with the vectorised kernel's upward rounding.
    var roundUpChannels: Int
    var range: ClosedRange<Int32>

    func run(_ tensors: inout [[Int8]]) {
        var result = [Int8](repeating: 0, count: outputHeight * outputWidth * outputDepth)
        tensors[input].withUnsafeBufferPointer { image in
            filter.withUnsafeBufferPointer { weights in
                for outY in 0..<outputHeight {
                    for outX in 0..<outputWidth {
                        let originY = outY * strideHeight - padTop, originX = outX * strideWidth - padLeft
                        for channel in 0..<outputDepth {
                            var sum: Int32 = 0
                            for filterY in 0..<kernelHeight {
                                let y = originY + dilationHeight * filterY
                                guard y >= 0, y < inputHeight else { continue }
                                for filterX in 0..<kernelWidth {
                                    let x = originX + dilationWidth * filterX
                                    guard x >= 0, x < inputWidth else { continue }
                                    let pixel = (y * inputWidth + x) * inputDepth
                                    if depthwise {
                                        let value = Int32(image[pixel + channel / depthMultiplier]) &+ inputOffset
                                        sum = sum &+ weights[(filterY * kernelWidth + filterX) * outputDepth + channel] &* value
                                    } else {
                                        let row = ((channel * kernelHeight + filterY) * kernelWidth + filterX) * inputDepth
                                        for depth in 0..<inputDepth {
                                            sum = sum &+ weights[row + depth] &* (Int32(image[pixel + depth]) &+ inputOffset)
                                        }
                                    }
                                }
                            }
                            if !bias.isEmpty { sum = sum &+ bias[channel] }
                            let scaled = channel < roundUpChannels
                                ? FixedPoint.multiplyRoundingUp(sum, multipliers[channel], shift: shifts[channel])
                                : FixedPoint.multiply(sum, multipliers[channel], shift: shifts[channel])
                            let clamped = min(max(scaled &+ outputZeroPoint, range.lowerBound), range.upperBound)
                            result[(outY * outputWidth + outX) * outputDepth + channel] = Int8(truncatingIfNeeded: clamped)
                        }
                    }
                }
            }
        }
        tensors[output] = result
    }
}

/// A fully connected layer, per-tensor quantised.
struct FullyConnected {
    var input: Int, output: Int
    var weights: [Int32]
    var bias: [Int32]
    var batches: Int, inputDepth: Int, outputDepth: Int
    var inputOffset: Int32, weightsOffset: Int32, outputZeroPoint: Int32
    var multiplier: Int32, shift: Int
    var range: ClosedRange<Int32>

    func run(_ tensors: inout [[Int8]]) {
        var result = [Int8](repeating: 0, count: batches * outputDepth)
        tensors[input].withUnsafeBufferPointer { values in
            weights.withUnsafeBufferPointer { weights in
                for batch in 0..<batches {
                    for unit in 0..<outputDepth {
                        var sum: Int32 = 0
                        for depth in 0..<inputDepth {
                            sum = sum &+ (weights[unit * inputDepth + depth] &+ weightsOffset) &* (Int32(values[batch * inputDepth + depth]) &+ inputOffset)
                        }
                        if !bias.isEmpty { sum = sum &+ bias[unit] }
                        let scaled = FixedPoint.multiplyRoundingOnce(sum, multiplier, shift: shift) &+ outputZeroPoint
                        result[batch * outputDepth + unit] = Int8(truncatingIfNeeded: min(max(scaled, range.lowerBound), range.upperBound))
                    }
                }
            }
        }
        tensors[output] = result
    }
}

enum Logistic {
    /// TensorFlow Lite's int8 logistic: a table of every input's value, computed in float32 (`LUTPopulate`).
    static func table(inputScale: Float, inputZeroPoint: Int32, outputScale: Float, outputZeroPoint: Int32) -> [Int8] {
        let inverse = Float(1) / outputScale
        return (-128...127).map { value in
            let dequantized = inputScale * Float(Int32(value) - inputZeroPoint)
            let transformed = Float(1) / (Float(1) + expf(-dequantized))
            let rescaled = (transformed * inverse).rounded(.toNearestOrAwayFromZero)
            let quantized = Int32(rescaled + Float(outputZeroPoint))
            return Int8(min(max(quantized, -128), 127))
        }
    }
}
