// A port of TensorFlow Lite Micro's audio front end (Apache-2.0, The TensorFlow Authors; see NOTICE).
/// The audio features microWakeWord models are trained on: TensorFlow Lite Micro's audio front end as
/// microWakeWord configures it, in the same integer arithmetic, so that the features match the reference
/// (`pymicro-features`) value for value. Every 10 ms of 16 kHz audio gives 40 channels: a Hann-windowed
/// 30 ms frame, a fixed-point FFT, mel filterbank energies, noise reduction, per-channel automatic gain
/// (PCAN) and a log scale, as unsigned 16-bit values (the model sees them times 0.0390625).
public struct MicroFrontend: Sendable {
    public static let channels = FrontendTables.channels
    /// Samples per feature frame (10 ms at 16 kHz).
    public static let step = FrontendTables.windowStep
    /// What one feature unit is worth in the float features the reference hands the model.
    public static let featureScale = 0.0390625

    private let window: [Int32]
    private let bank: FrontendTables.Filterbank
    private let gainTable: [Int16]
    private let correctionBits: Int
    private let snrShift: Int
    private let evenSmoothing: UInt64, oddSmoothing: UInt64, minimumSignalRemaining: UInt64
    private var fft = FixedPointFFT()
    private var input: [Int16]
    private var inputUsed = 0
    private var estimate: [UInt32]
    // Scratch, kept to spare an allocation every frame.
    private var spectrumReal: [Int32], spectrumImaginary: [Int32], fftInput: [Int16], energy: [UInt64]

    public init() {
        window = FrontendTables.window()
        bank = FrontendTables.filterbank()
        // The FFT's growth beyond the filterbank's bits, corrected before the log.
        correctionBits = (Int.bitWidth - FrontendTables.fftSize.leadingZeroBitCount) - 1 - FrontendTables.filterbankBits / 2
        snrShift = FrontendTables.pcanGainBits - correctionBits - FrontendTables.pcanSNRBits
        gainTable = FrontendTables.gainTable(correctionBits: correctionBits)
        let scale = Float(1 << FrontendTables.noiseReductionBits)
        evenSmoothing = UInt64(Float(0.025) * scale)
        oddSmoothing = UInt64(Float(0.06) * scale)
        minimumSignalRemaining = UInt64(Float(0.05) * scale)
        input = Array(repeating: 0, count: FrontendTables.windowSize)
        estimate = Array(repeating: 0, count: FrontendTables.channels)
        spectrumReal = Array(repeating: 0, count: FrontendTables.fftSize / 2 + 1)
        spectrumImaginary = Array(repeating: 0, count: FrontendTables.fftSize / 2 + 1)
        fftInput = Array(repeating: 0, count: FrontendTables.fftSize)
        energy = Array(repeating: 0, count: FrontendTables.fftSize / 2 + 1)
    }

    /// Forgets the audio window and the noise estimates, as a fresh front end.
    public mutating func reset() {
        input = Array(repeating: 0, count: FrontendTables.windowSize)
        inputUsed = 0
        estimate = Array(repeating: 0, count: FrontendTables.channels)
    }

    /// Takes samples until the window is full (`FrontendProcessSamples`): returns how many it took and,
    /// when a window completed, its 40 features.
    public mutating func process(_ samples: ArraySlice<Int16>) -> (features: [UInt16]?, consumed: Int) {
        let taken = min(FrontendTables.windowSize - inputUsed, samples.count)
        for (offset, sample) in samples.prefix(taken).enumerated() { input[inputUsed + offset] = sample }
        inputUsed += taken
        guard inputUsed == FrontendTables.windowSize else { return (nil, taken) }
        return (frame(), taken)
    }

    /// Feeds any amount of audio; returns every feature frame it completed, in order.
    public mutating func features(_ samples: [Int16]) -> [[UInt16]] {
        var frames: [[UInt16]] = []
        var start = samples.startIndex
        while start < samples.endIndex {
            let (features, consumed) = process(samples[start...])
            start += consumed
            if let features { frames.append(features) }
        }
        return frames
    }

    private mutating func frame() -> [UInt16] {
        // Window (Q12), and the largest magnitude, to scale the FFT's input up to full range.
        let size = FrontendTables.windowSize, step = FrontendTables.windowStep
        var maximum: Int32 = 0
        input.withUnsafeMutableBufferPointer { input in
            fftInput.withUnsafeMutableBufferPointer { windowed in
                window.withUnsafeBufferPointer { window in
                    for index in 0..<size {
                        let value = Int16(truncatingIfNeeded: (Int32(input[index]) * window[index]) >> FrontendTables.windowBits)
                        windowed[index] = value
                        let magnitude = Int32(value < 0 ? Int16(truncatingIfNeeded: -Int32(value)) : value)
                        if magnitude > maximum { maximum = magnitude }
                    }
                }
                for index in 0..<(size - step) { input[index] = input[index + step] }
                for index in (size - step)..<size { input[index] = 0 }
                let shift = Self.inputShift(maximum)
                for index in 0..<size { windowed[index] = Int16(truncatingIfNeeded: Int32(UInt16(bitPattern: windowed[index])) << shift) }
                for index in size..<FrontendTables.fftSize { windowed[index] = 0 }
            }
        }
        inputUsed -= step
        let shift = Self.inputShift(maximum)
        fft.transform(fftInput, real: &spectrumReal, imaginary: &spectrumImaginary)

        var signal = [UInt32](repeating: 0, count: FrontendTables.channels)
        let bank = bank
        energy.withUnsafeMutableBufferPointer { energy in
            // Energy per bin: an int32 sum, read back as uint64 as the C does.
            spectrumReal.withUnsafeBufferPointer { real in
                spectrumImaginary.withUnsafeBufferPointer { imaginary in
                    for bin in bank.startIndex..<bank.endIndex {
                        energy[bin] = UInt64(bitPattern: Int64(real[bin] &* real[bin] &+ imaginary[bin] &* imaginary[bin]))
                    }
                }
            }
            // Mel filterbank: each channel's rising weights and the next one's falling ones.
            bank.weights.withUnsafeBufferPointer { weights in
                bank.unweights.withUnsafeBufferPointer { unweights in
                    var weighted: UInt64 = 0, unweighted: UInt64 = 0
                    for channel in 0...FrontendTables.channels {
                        let frequencyStart = bank.frequencyStarts[channel], weightStart = bank.weightStarts[channel]
                        for step in 0..<bank.widths[channel] {
                            let weight = weights[weightStart + step], unweight = unweights[weightStart + step]
                            guard weight != 0 || unweight != 0 else { continue }
                            let binEnergy = energy[frequencyStart + step]
                            weighted = weighted &+ UInt64(bitPattern: Int64(weight)) &* binEnergy
                            unweighted = unweighted &+ UInt64(bitPattern: Int64(unweight)) &* binEnergy
                        }
                        if channel > 0 { signal[channel - 1] = UInt32(truncatingIfNeeded: Self.squareRoot64(weighted) >> shift) }
                        weighted = unweighted
                        unweighted = 0
                    }
                }
            }
        }
        // Noise reduction: subtract a slowly tracked noise floor, keeping at least 5 % of the signal.
        let smoothingBits = UInt64(FrontendTables.smoothingBits), noiseBits = UInt64(FrontendTables.noiseReductionBits)
        for channel in 0..<FrontendTables.channels {
            let smoothing = channel & 1 == 0 ? evenSmoothing : oddSmoothing
            let oneMinus = (1 << noiseBits) - smoothing
            let scaledUp = UInt64(signal[channel] << UInt32(smoothingBits))
            var tracked = (scaledUp * smoothing + UInt64(estimate[channel]) * oneMinus) >> noiseBits
            estimate[channel] = UInt32(truncatingIfNeeded: tracked)
            if tracked > scaledUp { tracked = scaledUp }
            let floor = UInt32(truncatingIfNeeded: (UInt64(signal[channel]) * minimumSignalRemaining) >> noiseBits)
            let subtracted = UInt32(truncatingIfNeeded: (scaledUp - tracked) >> smoothingBits)
            signal[channel] = max(subtracted, floor)
        }
        // PCAN: a gain from the noise estimate, then a soft knee.
        for channel in 0..<FrontendTables.channels {
            let gain = UInt32(bitPattern: Int32(Self.wideDynamicFunction(estimate[channel], table: gainTable)))
            let snr = UInt32(truncatingIfNeeded: (UInt64(signal[channel]) * UInt64(gain)) >> UInt64(snrShift))
            signal[channel] = Self.shrink(snr)
        }
        // Log scale.
        return signal.map { value in
            let corrected = correctionBits >= 0 ? value << UInt32(correctionBits) : value >> UInt32(-correctionBits)
            let logged = corrected > 1 ? Self.log(corrected, scaleShift: UInt32(FrontendTables.logScaleShift)) : 0
            return UInt16(min(logged, 0xFFFF))
        }
    }

    /// How far the windowed frame is shifted up so its largest magnitude fills 15 bits (and the filterbank's
    /// roots shifted back down).
    static func inputShift(_ maximum: Int32) -> Int { 15 - (32 - UInt32(maximum).leadingZeroBitCount) }

    /// The front end's integer square root (`Sqrt64`): the floor of the root, then one more when the
    /// remainder exceeds the root (so it rounds to nearest), never past 0xFFFF for a 32-bit input or
    /// 0xFFFFFFFF for a wider one. The C finds the floor bit by bit; the hardware's square root, corrected
    /// to the exact floor, gives the same number in a fraction of the time.
    static func squareRoot64(_ value: UInt64) -> UInt32 {
        guard value != 0 else { return 0 }
        var root = UInt64(Double(value).squareRoot())
        while root.multipliedFullWidth(by: root).high != 0 || root * root > value { root -= 1 }
        while true {
            let next = root + 1
            let square = next.multipliedFullWidth(by: next)
            guard square.high == 0, square.low <= value else { break }
            root = next
        }
        let cap: UInt64 = value >> 32 == 0 ? 0xFFFF : 0xFFFF_FFFF
        if value - root * root > root && root != cap { root += 1 }
        return UInt32(truncatingIfNeeded: root)
    }

    /// The C's bit-by-bit `Sqrt64` (and `Sqrt32` below 2^32), kept as the definition the fast one is
    /// tested against: the digit-by-digit floor, then one more when the remainder exceeds the root.
    static func bitwiseSquareRoot64(_ value: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: bitwiseSquareRoot(value, cap: value >> 32 == 0 ? 0xFFFF : 0xFFFF_FFFF))
    }

    private static func bitwiseSquareRoot(_ value: UInt64, cap: UInt64) -> UInt64 {
        guard value != 0 else { return 0 }
        var number = value, result: UInt64 = 0
        // The width the C works in: 32 bits for a value that fits them, else 64.
        let width: UInt64 = value >> 32 == 0 ? 32 : 64
        let maximumBit = UInt64(value.leadingZeroBitCount - (64 - Int(width))) | 1
        var bit = UInt64(1) << (width - 1 - maximumBit)
        for _ in 0..<((width - 1 - maximumBit) / 2 + 1) {
            if number >= result &+ bit {
                number -= result &+ bit
                result = (result >> 1) &+ bit
            } else {
                result >>= 1
            }
            bit >>= 2
        }
        if number > result && result != cap { result += 1 }
        return result
    }

    static func wideDynamicFunction(_ x: UInt32, table: [Int16]) -> Int16 {
        if x <= 2 { return table[Int(x)] }
        let interval = 32 - x.leadingZeroBitCount
        let base = 4 * interval - 6
        let fraction = Int32((interval < 11 ? x << UInt32(11 - interval) : x >> UInt32(interval - 11)) & 0x3FF)
        var result = (Int32(table[base + 2]) &* fraction) >> 5
        result = result &+ Int32(bitPattern: UInt32(bitPattern: Int32(table[base + 1])) << 5)
        result = result &* fraction
        result = (result &+ (1 << 14)) >> 15
        result = result &+ Int32(table[base])
        return Int16(truncatingIfNeeded: result)
    }

    static func shrink(_ x: UInt32) -> UInt32 {
        let snrBits = UInt32(FrontendTables.pcanSNRBits), outputBits = UInt32(FrontendTables.pcanOutputBits)
        if x < (2 << snrBits) { return (x &* x) >> (2 + 2 * snrBits - outputBits) }
        return (x >> (snrBits - outputBits)) &- (1 << outputBits)
    }

    static func log(_ x: UInt32, scaleShift: UInt32) -> UInt32 {
        let logBits: UInt32 = 16, segmentBits: UInt32 = 7, coefficient: UInt64 = 45_426
        let integer = UInt32(32 - x.leadingZeroBitCount) - 1
        var fraction = Int32(truncatingIfNeeded: Int64(x) - (Int64(1) << Int64(integer)))
        if integer < logBits { fraction = fraction << Int32(logBits - integer) } else { fraction = fraction >> Int32(integer - logBits) }
        let segment = Int(UInt32(bitPattern: fraction) >> (logBits - segmentBits))
        let unit = Int32((1 << logBits) >> segmentBits)
        let c0 = FrontendTables.logTable[segment], c1 = FrontendTables.logTable[segment + 1]
        let relative = ((c1 - c0) &* (fraction &- unit &* Int32(segment))) >> Int32(logBits)
        let fractionPart = UInt32(bitPattern: fraction &+ c0 &+ relative)
        let log2 = (integer << logBits) &+ fractionPart
        let round = UInt32(1 << logBits) / 2
        let natural = UInt32(truncatingIfNeeded: (coefficient * UInt64(log2) + UInt64(round)) >> UInt64(logBits))
        return ((natural << scaleShift) &+ round) >> logBits
    }
}
