// A port of TensorFlow Lite Micro's audio front end (Apache-2.0, The TensorFlow Authors; see NOTICE).
import Foundation

/// The constant tables of TensorFlow Lite Micro's audio front end, made exactly as its C code makes them
/// (float32 where the C uses float, double where it uses double), for microWakeWord's configuration: 30 ms
/// windows every 10 ms at 16 kHz, a 512-point FFT, 40 mel channels from 125 Hz to 7.5 kHz.
enum FrontendTables {
    static let sampleRate = 16_000
    static let windowSize = 480
    static let windowStep = 160
    static let fftSize = 512
    static let channels = 40
    static let windowBits = 12
    static let filterbankBits = 12
    static let noiseReductionBits = 14
    static let smoothingBits = 10
    static let pcanGainBits = 21
    static let pcanSNRBits = 12
    static let pcanOutputBits = 6
    static let wideDynamicFunctionBits = 32
    static let logScaleShift = 6

    /// `window_util.c`: a Hann window in Q12.
    static func window() -> [Int32] {
        // Float(Double.pi), the nearest float to π as the C gets it: Swift's Float.pi is rounded toward zero.
        let argument = Float(Double.pi) * Float(2) / Float(windowSize)
        return (0..<windowSize).map { index in
            let value = Float(0.5) - Float(0.5) * cosf(argument * (Float(index) + Float(0.5)))
            return Int32(floorf(value * Float(1 << windowBits) + Float(0.5)))
        }
    }

    /// kiss_fft's twiddles for the 256-point complex FFT inside the real one, in Q15.
    static func twiddles() -> [(Int16, Int16)] {
        let half = fftSize / 2
        return (0..<half).map { index in
            let phase = -2 * 3.141592653589793238462643383279502884197169399375105820974944 * Double(index) / Double(half)
            return (Int16(truncatingIfNeeded: Int(floor(0.5 + 32767 * cos(phase)))), Int16(truncatingIfNeeded: Int(floor(0.5 + 32767 * sin(phase)))))
        }
    }

    /// kiss_fftr's super twiddles, which split the complex result into the real FFT's.
    static func superTwiddles() -> [(Int16, Int16)] {
        let half = fftSize / 2
        return (0..<(half / 2)).map { index in
            let phase = -3.14159265358979323846264338327 * (Double(index + 1) / Double(half) + 0.5)
            return (Int16(truncatingIfNeeded: Int(floor(0.5 + 32767 * cos(phase)))), Int16(truncatingIfNeeded: Int(floor(0.5 + 32767 * sin(phase)))))
        }
    }

    /// `kf_factor`: radix 4 first, then 2, 3, 5 and up. For 256 it is four fours.
    static func factors() -> [Int] {
        var factors: [Int] = []
        var remaining = fftSize / 2
        var radix = 4
        let floorRoot = Int(Double(remaining).squareRoot().rounded(.down))
        repeat {
            while remaining % radix != 0 {
                switch radix {
                case 4: radix = 2
                case 2: radix = 3
                default: radix += 2
                }
                if radix > floorRoot { radix = remaining }
            }
            remaining /= radix
            factors += [radix, remaining]
        } while remaining > 1
        return factors
    }

    static func mel(_ frequency: Float) -> Float {
        Float(1127.0) * log1pf(frequency / Float(700.0))
    }

    struct Filterbank {
        var startIndex = 0
        var endIndex = 0
        var frequencyStarts: [Int] = []
        var weightStarts: [Int] = []
        var widths: [Int] = []
        var weights: [Int16] = []
        var unweights: [Int16] = []
    }

    /// `filterbank_util.c`: triangular mel filters in Q12, laid out in blocks of four as the C does.
    static func filterbank(lower: Float = 125, upper: Float = 7_500) -> Filterbank {
        let count = channels + 1
        let alignment = 2, block = 4
        let melLow = mel(lower), melHigh = mel(upper)
        let spacing = (melHigh - melLow) / Float(count)
        let centres = (0..<count).map { melLow + spacing * Float($0 + 1) }
        let spectrumSize = fftSize / 2 + 1
        let hertzPerBin = Float(0.5) * Float(sampleRate) / (Float(spectrumSize) - Float(1))
        let startIndex = Int(Float(1.5) + lower / hertzPerBin)
        var bank = Filterbank()
        bank.startIndex = startIndex
        bank.frequencyStarts = Array(repeating: 0, count: count)
        bank.weightStarts = Array(repeating: 0, count: count)
        bank.widths = Array(repeating: 0, count: count)
        var actualStarts = Array(repeating: 0, count: count), actualWidths = Array(repeating: 0, count: count)
        var channelStart = startIndex, weightIndex = 0, needsZeros = false
        for channel in 0..<count {
            var frequency = channelStart
            while mel(Float(frequency) * hertzPerBin) <= centres[channel] { frequency += 1 }
            let width = frequency - channelStart
            actualStarts[channel] = channelStart
            actualWidths[channel] = width
            if width == 0 {
                bank.frequencyStarts[channel] = 0
                bank.weightStarts[channel] = 0
                bank.widths[channel] = block
                if !needsZeros {
                    needsZeros = true
                    for earlier in 0..<channel { bank.weightStarts[earlier] += block }
                    weightIndex += block
                }
            } else {
                let alignedStart = (channelStart / alignment) * alignment
                let alignedWidth = channelStart - alignedStart + width
                let padded = ((alignedWidth - 1) / block + 1) * block
                bank.frequencyStarts[channel] = alignedStart
                bank.weightStarts[channel] = weightIndex
                bank.widths[channel] = padded
                weightIndex += padded
            }
            channelStart = frequency
        }
        bank.weights = Array(repeating: 0, count: weightIndex)
        bank.unweights = Array(repeating: 0, count: weightIndex)
        var endIndex = 0
        for channel in 0..<count {
            var frequency = actualStarts[channel]
            let offset = frequency - bank.frequencyStarts[channel]
            let denominator = channel == 0 ? melLow : centres[channel - 1]
            for step in 0..<actualWidths[channel] {
                let weight = (centres[channel] - mel(Float(frequency) * hertzPerBin)) / (centres[channel] - denominator)
                let index = bank.weightStarts[channel] + offset + step
                bank.weights[index] = Int16(truncatingIfNeeded: Int(floorf(weight * Float(4_096) + Float(0.5))))
                bank.unweights[index] = Int16(truncatingIfNeeded: Int(floorf((Float(1.0) - weight) * Float(4_096) + Float(0.5))))
                frequency += 1
            }
            endIndex = max(endIndex, frequency)
        }
        bank.endIndex = endIndex
        return bank
    }

    /// `pcan_gain_control_util.c`: the gain for a noise estimate, in Q21.
    static func pcanGain(inputBits: Int, _ x: UInt32) -> Int16 {
        let strength = Float(0.95), offset = Float(80.0)
        let asFloat = Float(x) / Float(1 << inputBits)
        let gain = Float(1 << pcanGainBits) * powf(asFloat + offset, -strength)
        if gain > Float(0x7FFF) { return 0x7FFF }
        return Int16(truncatingIfNeeded: Int(gain + Float(0.5)))
    }

    /// The piecewise-quadratic gain table the wide dynamic function interpolates.
    static func gainTable(correctionBits: Int) -> [Int16] {
        let inputBits = smoothingBits - correctionBits
        var table = [Int16](repeating: 0, count: 4 * wideDynamicFunctionBits - 3)
        table[0] = pcanGain(inputBits: inputBits, 0)
        table[1] = pcanGain(inputBits: inputBits, 1)
        for interval in 2...wideDynamicFunctionBits {
            let x0 = UInt32(1) << (interval - 1)
            let x1 = x0 + (x0 >> 1)
            let x2 = interval == wideDynamicFunctionBits ? x0 + (x0 - 1) : 2 * x0
            let y0 = Int32(pcanGain(inputBits: inputBits, x0)), y1 = Int32(pcanGain(inputBits: inputBits, x1)), y2 = Int32(pcanGain(inputBits: inputBits, x2))
            let difference1 = y1 - y0, difference2 = y2 - y0
            let a1 = 4 * difference1 - difference2
            let a2 = difference2 - a1
            let base = 4 * interval - 6
            table[base] = Int16(truncatingIfNeeded: y0)
            table[base + 1] = Int16(truncatingIfNeeded: a1)
            table[base + 2] = Int16(truncatingIfNeeded: a2)
        }
        return table
    }

    /// `log_lut.c`: log2's fraction in 128 segments.
    static let logTable: [Int32] = [
        0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797,
        2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633,
        4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507,
        5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586,
        5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000,
        4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848,
        3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207,
        2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0, 0,
    ]
}
