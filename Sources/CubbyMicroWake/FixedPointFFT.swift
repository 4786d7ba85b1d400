/// kiss_fft's real FFT in 16-bit fixed point (`FIXED_POINT=16`), as TensorFlow Lite Micro's front end
/// builds it: every product rounded back to Q15, every stage scaled down to stay in range, and sums that
/// wrap as C's int16 stores do. Bit for bit what the reference computes, which floating point is not.
///
/// kiss_fft recurses (`kf_work`): it first scatters the input in digit-reversed order, then runs each
/// stage's butterflies, deepest first. The same work is done here without the recursion: the scatter is a
/// table made once, then each stage runs over its groups. Butterflies of one stage touch disjoint
/// elements, so the order of groups does not change a single bit.
struct FixedPointFFT {
    let size: Int
    private let twiddleReal: [Int32], twiddleImaginary: [Int32]
    private let superReal: [Int32], superImaginary: [Int32]
    /// For each element of the complex work buffer, which input pair lands there.
    private let scatter: [Int]
    /// Each stage, deepest first: its radix, its span (`m`) and its twiddle stride.
    private let stages: [(radix: Int, span: Int, stride: Int)]
    private var real: [Int32], imaginary: [Int32]

    init() {
        size = FrontendTables.fftSize
        let half = size / 2
        let twiddles = FrontendTables.twiddles(), superTwiddles = FrontendTables.superTwiddles()
        twiddleReal = twiddles.map { Int32($0.0) }
        twiddleImaginary = twiddles.map { Int32($0.1) }
        superReal = superTwiddles.map { Int32($0.0) }
        superImaginary = superTwiddles.map { Int32($0.1) }
        let factors = FrontendTables.factors()
        var scatter = [Int](repeating: 0, count: half)
        var stages: [(radix: Int, span: Int, stride: Int)] = []
        // kf_work's recursion, walked once to record where each input goes and the stages in order.
        func walk(output: Int, input: Int, stride: Int, factor: Int) {
            let radix = factors[factor], span = factors[factor + 1]
            if span == 1 {
                for k in 0..<radix { scatter[output + k] = input + k * stride }
            } else {
                for k in 0..<radix { walk(output: output + k * span, input: input + k * stride, stride: stride * radix, factor: factor + 2) }
            }
            if output == 0 { stages.append((radix, span, stride)) }
        }
        walk(output: 0, input: 0, stride: 1, factor: 0)
        self.scatter = scatter
        self.stages = stages
        real = Array(repeating: 0, count: half)
        imaginary = Array(repeating: 0, count: half)
    }

    /// `sround`: a Q30 product back to Q15, stored as int16.
    @inline(__always) static func round(_ x: Int32) -> Int32 { Int32(Int16(truncatingIfNeeded: (x &+ (1 << 14)) >> 15)) }
    @inline(__always) static func wrap(_ x: Int32) -> Int32 { Int32(Int16(truncatingIfNeeded: x)) }
    /// `C_FIXDIV`: scaled by 1/`divisor` as kiss_fft does, through a Q15 multiply.
    @inline(__always) static func divide(_ x: Int32, by divisor: Int32) -> Int32 { round(x &* (32_767 / divisor)) }

    /// The spectrum of `samples` (`size` int16 values): `size / 2 + 1` bins of (real, imaginary).
    mutating func transform(_ samples: [Int16], real outReal: inout [Int32], imaginary outImaginary: inout [Int32]) {
        let half = size / 2
        let (scatter, stages) = (scatter, stages)
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                twiddleReal.withUnsafeBufferPointer { tr in
                    twiddleImaginary.withUnsafeBufferPointer { ti in
                        samples.withUnsafeBufferPointer { input in
                            for index in 0..<half {
                                re[index] = Int32(input[2 * scatter[index]])
                                im[index] = Int32(input[2 * scatter[index] + 1])
                            }
                        }
                        for stage in stages {
                            for base in stride(from: 0, to: half, by: stage.radix * stage.span) {
                                if stage.radix == 4 {
                                    Self.butterfly4(re, im, tr, ti, at: base, stride: stage.stride, span: stage.span)
                                } else {
                                    Self.butterfly2(re, im, tr, ti, at: base, stride: stage.stride, span: stage.span)
                                }
                            }
                        }
                    }
                }
            }
        }
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

    @inline(__always)
    private static func multiply(_ aR: Int32, _ aI: Int32, _ bR: Int32, _ bI: Int32) -> (Int32, Int32) {
        (round(aR &* bR &- aI &* bI), round(aR &* bI &+ aI &* bR))
    }

    private static func butterfly4(_ re: UnsafeMutableBufferPointer<Int32>, _ im: UnsafeMutableBufferPointer<Int32>,
                                   _ tr: UnsafeBufferPointer<Int32>, _ ti: UnsafeBufferPointer<Int32>, at base: Int, stride: Int, span m: Int) {
        for k in 0..<m {
            let i0 = base + k, i1 = i0 + m, i2 = i0 + 2 * m, i3 = i0 + 3 * m
            let f0R = divide(re[i0], by: 4), f0I = divide(im[i0], by: 4)
            let f1R = divide(re[i1], by: 4), f1I = divide(im[i1], by: 4)
            let f2R = divide(re[i2], by: 4), f2I = divide(im[i2], by: 4)
            let f3R = divide(re[i3], by: 4), f3I = divide(im[i3], by: 4)
            let s0 = multiply(f1R, f1I, tr[k * stride], ti[k * stride])
            let s1 = multiply(f2R, f2I, tr[2 * k * stride], ti[2 * k * stride])
            let s2 = multiply(f3R, f3I, tr[3 * k * stride], ti[3 * k * stride])
            let s5R = wrap(f0R &- s1.0), s5I = wrap(f0I &- s1.1)
            let g0R = wrap(f0R &+ s1.0), g0I = wrap(f0I &+ s1.1)
            let s3R = wrap(s0.0 &+ s2.0), s3I = wrap(s0.1 &+ s2.1)
            let s4R = wrap(s0.0 &- s2.0), s4I = wrap(s0.1 &- s2.1)
            re[i2] = wrap(g0R &- s3R); im[i2] = wrap(g0I &- s3I)
            re[i0] = wrap(g0R &+ s3R); im[i0] = wrap(g0I &+ s3I)
            re[i1] = wrap(s5R &+ s4I); im[i1] = wrap(s5I &- s4R)
            re[i3] = wrap(s5R &- s4I); im[i3] = wrap(s5I &+ s4R)
        }
    }

    private static func butterfly2(_ re: UnsafeMutableBufferPointer<Int32>, _ im: UnsafeMutableBufferPointer<Int32>,
                                   _ tr: UnsafeBufferPointer<Int32>, _ ti: UnsafeBufferPointer<Int32>, at base: Int, stride: Int, span m: Int) {
        for k in 0..<m {
            let aR = divide(re[base + k], by: 2), aI = divide(im[base + k], by: 2)
            let bR = divide(re[base + k + m], by: 2), bI = divide(im[base + k + m], by: 2)
            let t = multiply(bR, bI, tr[k * stride], ti[k * stride])
            re[base + k + m] = wrap(aR &- t.0); im[base + k + m] = wrap(aI &- t.1)
            re[base + k] = wrap(aR &+ t.0); im[base + k] = wrap(aI &+ t.1)
        }
    }
}
