import Foundation

/// A 2-D convolution or depthwise convolution over one NHWC int8 image, per-channel quantised, as
/// TensorFlow Lite's integer kernels compute it.
struct Convolution {
    var input: Int, output: Int
    /// Widened to 16 bits once: with the input (an int8 plus its offset, 0-255) also in 16 bits, each
    /// product fits, and pairs of them sum in one vector instruction (pmaddwd, or NEON's smlal).
    var filter: [Int16]
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

    /// Every index used here was checked against the shapes when the model was planned, so the loops
    /// read through unchecked buffer pointers. Sums run filter position by filter position (integer sums
    /// wrap the same in any order), with the input's offset added once per input value, so the innermost
    /// loop is a contiguous multiply-add the compiler vectorises.
    func run(input: UnsafeMutablePointer<Int8>, output: UnsafeMutablePointer<Int8>, scratch: UnsafeMutablePointer<Int16>, sums: UnsafeMutablePointer<Int32>) {
        let count = inputHeight * inputWidth * inputDepth
        for index in 0..<count { scratch[index] = Int16(truncatingIfNeeded: Int32(input[index]) &+ inputOffset) }
        let image = UnsafeBufferPointer(start: scratch, count: count), channels = UnsafeMutableBufferPointer(start: sums, count: outputDepth)
        filter.withUnsafeBufferPointer { weights in
            for outY in 0..<outputHeight {
                for outX in 0..<outputWidth {
                    accumulate(outY: outY, outX: outX, image: image, weights: weights, into: channels)
                    let base = output + (outY * outputWidth + outX) * outputDepth
                    for channel in 0..<outputDepth {
                        var sum = channels[channel]
                        if !bias.isEmpty { sum = sum &+ bias[channel] }
                        let scaled = channel < roundUpChannels
                            ? FixedPoint.multiplyRoundingUp(sum, multipliers[channel], shift: shifts[channel])
                            : FixedPoint.multiply(sum, multipliers[channel], shift: shifts[channel])
                        base[channel] = Int8(truncatingIfNeeded: min(max(scaled &+ outputZeroPoint, range.lowerBound), range.upperBound))
                    }
                }
            }
        }
    }

    /// The sums of one output pixel, every channel, before bias and requantisation.
    @inline(__always)
    private func accumulate(outY: Int, outX: Int, image: UnsafeBufferPointer<Int16>, weights: UnsafeBufferPointer<Int16>,
                            into sums: UnsafeMutableBufferPointer<Int32>) {
        for channel in 0..<outputDepth { sums[channel] = 0 }
        let originY = outY * strideHeight - padTop, originX = outX * strideWidth - padLeft
        for filterY in 0..<kernelHeight {
            let y = originY + dilationHeight * filterY
            guard y >= 0, y < inputHeight else { continue }
            for filterX in 0..<kernelWidth {
                let x = originX + dilationWidth * filterX
                guard x >= 0, x < inputWidth else { continue }
                let pixel = image.baseAddress! + (y * inputWidth + x) * inputDepth
                if depthwise {
                    let row = weights.baseAddress! + (filterY * kernelWidth + filterX) * outputDepth
                    if depthMultiplier == 1 {
                        for channel in 0..<outputDepth { sums[channel] = sums[channel] &+ Int32(row[channel]) &* Int32(pixel[channel]) }
                    } else {
                        for channel in 0..<outputDepth { sums[channel] = sums[channel] &+ Int32(row[channel]) &* Int32(pixel[channel / depthMultiplier]) }
                    }
                } else {
                    for channel in 0..<outputDepth {
                        let row = weights.baseAddress! + ((channel * kernelHeight + filterY) * kernelWidth + filterX) * inputDepth
                        var sum: Int32 = 0
                        for depth in 0..<inputDepth { sum = sum &+ Int32(row[depth]) &* Int32(pixel[depth]) }
                        sums[channel] = sums[channel] &+ sum
                    }
                }
            }
        }
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

    func run(input values: UnsafeMutablePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        weights.withUnsafeBufferPointer { weights in
            for batch in 0..<batches {
                for unit in 0..<outputDepth {
                    var sum: Int32 = 0
                    for depth in 0..<inputDepth {
                        sum = sum &+ (weights[unit * inputDepth + depth] &+ weightsOffset) &* (Int32(values[batch * inputDepth + depth]) &+ inputOffset)
                    }
                    if !bias.isEmpty { sum = sum &+ bias[unit] }
                    let scaled = FixedPoint.multiplyRoundingOnce(sum, multiplier, shift: shift) &+ outputZeroPoint
                    output[batch * outputDepth + unit] = Int8(truncatingIfNeeded: min(max(scaled, range.lowerBound), range.upperBound))
                }
            }
        }
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
