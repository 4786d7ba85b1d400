/// kiss_fft's real FFT in 16-bit fixed point (`FIXED_POINT=16`), as TensorFlow Lite Micro's front end
/// builds it: every product rounded back to Q15, every stage scaled down to stay in range, and sums that
/// wrap as C's int16 stores do. Bit for bit what the reference computes, which floating point is not.
struct FixedPointFFT {
    let size: Int
    let twiddleReal: [Int32], twiddleImaginary: [Int32]
    let superReal: [Int32], superImaginary: [Int32]
    let factors: [Int]
    private var real: [Int32], imaginary: [Int32]

    init() {
        size = FrontendTables.fftSize
        let twiddles = FrontendTables.twiddles(), superTwiddles = FrontendTables.superTwiddles()
        twiddleReal = twiddles.map { Int32($0.0) }
        twiddleImaginary = twiddles.map { Int32($0.1) }
        superReal = superTwiddles.map { Int32($0.0) }
        superImaginary = superTwiddles.map { Int32($0.1) }
        factors = FrontendTables.factors()
        real = Array(repeating: 0, count: size / 2)
        imaginary = Array(repeating: 0, count: size / 2)
    }

    /// `sround`: a Q30 product back to Q15, stored as int16.
    @inline(__always) static func round(_ x: Int32) -> Int32 { Int32(Int16(truncatingIfNeeded: (x &+ (1 << 14)) >> 15)) }
    @inline(__always) static func wrap(_ x: Int32) -> Int32 { Int32(Int16(truncatingIfNeeded: x)) }
    /// `C_FIXDIV`: scaled by 1/`divisor` as kiss_fft does, through a Q15 multiply.
    @inline(__always) static func divide(_ x: Int32, by divisor: Int32) -> Int32 { round(x &* (32_767 / divisor)) }

    /// The spectrum of `samples` (`size` int16 values): `size / 2 + 1` bins of (real, imaginary).
    mutating func transform(_ samples: [Int16], real outReal: inout [Int32], imaginary outImaginary: inout [Int32]) {
        let half = size / 2
        work(output: 0, input: 0, stride: 1, factor: 0, samples: samples)
        let dcReal = Self.divide(real[0], by: 2), dcImaginary = Self.divide(imaginary[0], by: 2)
        outReal[0] = Self.wrap(dcReal &+ dcImaginary)
        outImaginary[0] = 0
        outReal[half] = Self.wrap(dcReal &- dcImaginary)
        outImaginary[half] = 0
        for k in 1...(half / 2) {
            let fpkR = Self.divide(real[k], by: 2), fpkI = Self.divide(imaginary[k], by: 2)
            let fpnkR = Self.divide(real[half - k], by: 2), fpnkI = Self.divide(Self.wrap(-imaginary[half - k]), by: 2)
            let f1kR = Self.wrap(fpkR &+ fpnkR), f1kI = Self.wrap(fpkI &+ fpnkI)
            let f2kR = Self.wrap(fpkR &- fpnkR), f2kI = Self.wrap(fpkI &- fpnkI)
            let twR = Self.round(f2kR &* superReal[k - 1] &- f2kI &* superImaginary[k - 1])
            let twI = Self.round(f2kR &* superImaginary[k - 1] &+ f2kI &* superReal[k - 1])
            outReal[k] = Self.wrap((f1kR &+ twR) >> 1)
            outImaginary[k] = Self.wrap((f1kI &+ twI) >> 1)
            outReal[half - k] = Self.wrap((f1kR &- twR) >> 1)
            outImaginary[half - k] = Self.wrap((twI &- f1kI) >> 1)
        }
    }

    /// `kf_work`: decimation in time, radix 4 (and 2), the input read as complex pairs.
    private mutating func work(output: Int, input: Int, stride: Int, factor: Int, samples: [Int16]) {
        let radix = factors[factor], span = factors[factor + 1]
        if span == 1 {
            for k in 0..<radix {
                let pair = input + k * stride
                real[output + k] = Int32(samples[2 * pair])
                imaginary[output + k] = Int32(samples[2 * pair + 1])
            }
        } else {
            for k in 0..<radix { work(output: output + k * span, input: input + k * stride, stride: stride * radix, factor: factor + 2, samples: samples) }
        }
        if radix == 4 { butterfly4(at: output, stride: stride, span: span) } else { butterfly2(at: output, stride: stride, span: span) }
    }

    @inline(__always) private func multiply(_ aR: Int32, _ aI: Int32, twiddle index: Int) -> (Int32, Int32) {
        let bR = twiddleReal[index], bI = twiddleImaginary[index]
        return (Self.round(aR &* bR &- aI &* bI), Self.round(aR &* bI &+ aI &* bR))
    }

    private mutating func butterfly4(at base: Int, stride: Int, span m: Int) {
        for k in 0..<m {
            let i0 = base + k, i1 = i0 + m, i2 = i0 + 2 * m, i3 = i0 + 3 * m
            let f0R = Self.divide(real[i0], by: 4), f0I = Self.divide(imaginary[i0], by: 4)
            let f1R = Self.divide(real[i1], by: 4), f1I = Self.divide(imaginary[i1], by: 4)
            let f2R = Self.divide(real[i2], by: 4), f2I = Self.divide(imaginary[i2], by: 4)
            let f3R = Self.divide(real[i3], by: 4), f3I = Self.divide(imaginary[i3], by: 4)
            let s0 = multiply(f1R, f1I, twiddle: k * stride)
            let s1 = multiply(f2R, f2I, twiddle: 2 * k * stride)
            let s2 = multiply(f3R, f3I, twiddle: 3 * k * stride)
            let s5R = Self.wrap(f0R &- s1.0), s5I = Self.wrap(f0I &- s1.1)
            let g0R = Self.wrap(f0R &+ s1.0), g0I = Self.wrap(f0I &+ s1.1)
            let s3R = Self.wrap(s0.0 &+ s2.0), s3I = Self.wrap(s0.1 &+ s2.1)
            let s4R = Self.wrap(s0.0 &- s2.0), s4I = Self.wrap(s0.1 &- s2.1)
            real[i2] = Self.wrap(g0R &- s3R); imaginary[i2] = Self.wrap(g0I &- s3I)
            real[i0] = Self.wrap(g0R &+ s3R); imaginary[i0] = Self.wrap(g0I &+ s3I)
            real[i1] = Self.wrap(s5R &+ s4I); imaginary[i1] = Self.wrap(s5I &- s4R)
            real[i3] = Self.wrap(s5R &- s4I); imaginary[i3] = Self.wrap(s5I &+ s4R)
        }
    }

    private mutating func butterfly2(at base: Int, stride: Int, span m: Int) {
        for k in 0..<m {
            let aR = Self.divide(real[base + k], by: 2), aI = Self.divide(imaginary[base + k], by: 2)
            let bR = Self.divide(real[base + k + m], by: 2), bI = Self.divide(imaginary[base + k + m], by: 2)
            let t = multiply(bR, bI, twiddle: k * stride)
            real[base + k + m] = Self.wrap(aR &- t.0); imaginary[base + k + m] = Self.wrap(aI &- t.1)
            real[base + k] = Self.wrap(aR &+ t.0); imaginary[base + k] = Self.wrap(aI &+ t.1)
        }
    }
}
