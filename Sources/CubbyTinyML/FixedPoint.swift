import Foundation

/// TensorFlow Lite's integer requantisation (`common.h`, gemmlowp): a real multiplier as a Q31 significand
/// and a power-of-two shift, and the rounding products that apply it. Matching the reference output means
/// matching these roundings exactly, including where the reference's kernels round half upward.
public enum FixedPoint {
    /// `QuantizeMultiplier`: `real ≈ multiplier · 2^(shift − 31)`, with the significand in [2^30, 2^31).
    public static func quantize(_ real: Double) -> (multiplier: Int32, shift: Int) {
        guard real != 0, real.isFinite, real > 0 else { return (0, 0) }
        let significand = frexp(real)
        var fixed = Int64((significand.0 * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero))
        var shift = significand.1
        if fixed == Int64(1) << 31 {
            fixed /= 2
            shift += 1
        }
        if shift < -31 { return (0, 0) }
        if shift > 30 { return (Int32.max, 30) }
        return (Int32(fixed), shift)
    }

    /// gemmlowp `SaturatingRoundingDoublingHighMul`: the high 32 bits of 2·a·b, rounded half away from zero.
    @inline(__always) public static func doublingHighMultiply(_ a: Int32, _ b: Int32) -> Int32 {
        if a == .min && b == .min { return .max }
        let product = Int64(a) * Int64(b)
        let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
        return Int32(truncatingIfNeeded: (product + nudge) / (Int64(1) << 31))
    }

    /// gemmlowp `RoundingDivideByPOT`: x / 2^exponent, rounded half away from zero.
    @inline(__always) public static func roundingDivide(_ x: Int32, byPowerOfTwo exponent: Int) -> Int32 {
        guard exponent > 0 else { return x }
        // In 64 bits: a shift of 31 must not overflow the mask.
        let value = Int64(x), mask = (Int64(1) << Int64(exponent)) - 1
        let remainder = value & mask
        let threshold = (mask >> 1) + (value < 0 ? 1 : 0)
        return Int32(truncatingIfNeeded: (value >> Int64(exponent)) + (remainder > threshold ? 1 : 0))
    }

    /// `MultiplyByQuantizedMultiplier`, TensorFlow Lite's default (two roundings).
    @inline(__always) public static func multiply(_ x: Int32, _ multiplier: Int32, shift: Int) -> Int32 {
        let left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift
        return roundingDivide(doublingHighMultiply(x &* (Int32(1) << Int32(left)), multiplier), byPowerOfTwo: right)
    }

    /// ruy's `MultiplyByQuantizedMultiplier` (the matrix-multiply kernels' output stage): one 64-bit
    /// product, rounded once, half upward.
    @inline(__always) public static func multiplyRoundingOnce(_ x: Int32, _ multiplier: Int32, shift: Int) -> Int32 {
        let total = Int64(31 - shift)
        return Int32(truncatingIfNeeded: (Int64(x) * Int64(multiplier) + (Int64(1) << (total - 1))) >> total)
    }

    /// The vectorised depthwise convolution's output stage (`vqrdmulh` then a rounding right shift):
    /// the final shift rounds half upward, not away from zero.
    @inline(__always) public static func multiplyRoundingUp(_ x: Int32, _ multiplier: Int32, shift: Int) -> Int32 {
        let left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift
        let high = doublingHighMultiply(x &* (Int32(1) << Int32(left)), multiplier)
        guard right > 0 else { return high }
        return Int32(truncatingIfNeeded: (Int64(high) + (Int64(1) << Int64(right - 1))) >> Int64(right))
    }
}
