// A port of KISS FFT's fixed-point real FFT (BSD 3-Clause, Copyright (c) 2003-2010 Mark Borgerding; see NOTICE).
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
    /// Each stage, deepest first: its radix, its span (`m`), and its twiddles laid out contiguously, k by
    /// k (for radix 4, the three products' twiddles one after another), so the butterflies of a group run
    /// as a loop over contiguous 16-bit values the compiler vectorises.
    private let stages: [Stage]
    /// The complex work buffer: every value C keeps as int16 is kept as int16.
    private var real: [Int16], imaginary: [Int16]

    struct Stage {
        var radix: Int
        var span: Int
        var twiddleReal: [Int16]
        var twiddleImaginary: [Int16]
    }

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
        var walked: [(radix: Int, span: Int, stride: Int)] = []
        // kf_work's recursion, walked once to record where each input goes and the stages in order.
        func walk(output: Int, input: Int, stride: Int, factor: Int) {
            let radix = factors[factor], span = factors[factor + 1]
            if span == 1 {
                for k in 0..<radix { scatter[output + k] = input + k * stride }
            } else {
                for k in 0..<radix { walk(output: output + k * span, input: input + k * stride, stride: stride * radix, factor: factor + 2) }
            }
            if output == 0 { walked.append((radix, span, stride)) }
        }
        walk(output: 0, input: 0, stride: 1, factor: 0)
        self.scatter = scatter
        stages = walked.map { stage in
            let products = stage.radix - 1
            var real: [Int16] = [], imaginary: [Int16] = []
            for product in 1...products {
                for k in 0..<stage.span {
                    real.append(twiddles[product * k * stage.stride].0)
                    imaginary.append(twiddles[product * k * stage.stride].1)
                }
            }
            return Stage(radix: stage.radix, span: stage.span, twiddleReal: real, twiddleImaginary: imaginary)
        }
        real = Array(repeating: 0, count: half)
        imaginary = Array(repeating: 0, count: half)
    }

    /// A sum stored as C stores it in an int16.
    @inline(__always) static func wrap(_ x: Int32) -> Int32 { Int32(Int16(truncatingIfNeeded: x)) }

    /// The spectrum of `samples` (`size` int16 values): `size / 2 + 1` bins of (real, imaginary).
    mutating func transform(_ samples: [Int16], real outReal: inout [Int32], imaginary outImaginary: inout [Int32]) {
        let half = size / 2
        let (scatter, stages) = (scatter, stages)
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                samples.withUnsafeBufferPointer { input in
                    for index in 0..<half {
                        re[index] = input[2 * scatter[index]]
                        im[index] = input[2 * scatter[index] + 1]
                    }
                }
                for stage in stages {
                    stage.twiddleReal.withUnsafeBufferPointer { tr in
                        stage.twiddleImaginary.withUnsafeBufferPointer { ti in
                            for base in stride(from: 0, to: half, by: stage.radix * stage.span) {
                                if stage.radix == 4 {
                                    Self.butterfly4(re.baseAddress! + base, im.baseAddress! + base, tr.baseAddress!, ti.baseAddress!, span: stage.span)
                                } else {
                                    Self.butterfly2(re.baseAddress! + base, im.baseAddress! + base, tr.baseAddress!, ti.baseAddress!, span: stage.span)
                                }
                            }
                        }
                    }
                }
            }
        }
        let dcReal = Int32(Self.divide16(real[0], by: 2)), dcImaginary = Int32(Self.divide16(imaginary[0], by: 2))
        outReal[0] = Self.wrap(dcReal &+ dcImaginary)
        outImaginary[0] = 0
        outReal[half] = Self.wrap(dcReal &- dcImaginary)
        outImaginary[half] = 0
        for k in 1...(half / 2) {
            let fpkR = Int32(Self.divide16(real[k], by: 2)), fpkI = Int32(Self.divide16(imaginary[k], by: 2))
            let fpnkR = Int32(Self.divide16(real[half - k], by: 2)), fpnkI = Int32(Self.divide16(0 &- imaginary[half - k], by: 2))
            let f1kR = Self.wrap(fpkR &+ fpnkR), f1kI = Self.wrap(fpkI &+ fpnkI)
            let f2kR = Self.wrap(fpkR &- fpnkR), f2kI = Self.wrap(fpkI &- fpnkI)
            let twR = Int32(Self.round16(f2kR &* superReal[k - 1] &- f2kI &* superImaginary[k - 1]))
            let twI = Int32(Self.round16(f2kR &* superImaginary[k - 1] &+ f2kI &* superReal[k - 1]))
            outReal[k] = Self.wrap((f1kR &+ twR) >> 1)
            outImaginary[k] = Self.wrap((f1kI &+ twI) >> 1)
            outReal[half - k] = Self.wrap((f1kR &- twR) >> 1)
            outImaginary[half - k] = Self.wrap((twI &- f1kI) >> 1)
        }
    }

    /// `sround`: a Q30 product of two int16 values back to Q15, stored as int16.
    @inline(__always) static func round16(_ x: Int32) -> Int16 { Int16(truncatingIfNeeded: (x &+ (1 << 14)) >> 15) }
    /// `C_FIXDIV`: scaled by 1/`divisor` as kiss_fft does, through a Q15 multiply.
    @inline(__always) static func divide16(_ x: Int16, by divisor: Int32) -> Int16 { round16(Int32(x) &* (32_767 / divisor)) }

    /// One group's radix-4 butterflies: `m` of them, over contiguous values and twiddles.
    private static func butterfly4(_ re: UnsafeMutablePointer<Int16>, _ im: UnsafeMutablePointer<Int16>,
                                   _ tr: UnsafePointer<Int16>, _ ti: UnsafePointer<Int16>, span m: Int) {
        for k in 0..<m {
            let f0R = divide16(re[k], by: 4), f0I = divide16(im[k], by: 4)
            let f1R = Int32(divide16(re[k + m], by: 4)), f1I = Int32(divide16(im[k + m], by: 4))
            let f2R = Int32(divide16(re[k + 2 * m], by: 4)), f2I = Int32(divide16(im[k + 2 * m], by: 4))
            let f3R = Int32(divide16(re[k + 3 * m], by: 4)), f3I = Int32(divide16(im[k + 3 * m], by: 4))
            let w1R = Int32(tr[k]), w1I = Int32(ti[k]), w2R = Int32(tr[m + k]), w2I = Int32(ti[m + k]), w3R = Int32(tr[2 * m + k]), w3I = Int32(ti[2 * m + k])
            let s0R = round16(f1R &* w1R &- f1I &* w1I), s0I = round16(f1R &* w1I &+ f1I &* w1R)
            let s1R = round16(f2R &* w2R &- f2I &* w2I), s1I = round16(f2R &* w2I &+ f2I &* w2R)
            let s2R = round16(f3R &* w3R &- f3I &* w3I), s2I = round16(f3R &* w3I &+ f3I &* w3R)
            let s5R = f0R &- s1R, s5I = f0I &- s1I
            let g0R = f0R &+ s1R, g0I = f0I &+ s1I
            let s3R = s0R &+ s2R, s3I = s0I &+ s2I
            let s4R = s0R &- s2R, s4I = s0I &- s2I
            re[k + 2 * m] = g0R &- s3R; im[k + 2 * m] = g0I &- s3I
            re[k] = g0R &+ s3R; im[k] = g0I &+ s3I
            re[k + m] = s5R &+ s4I; im[k + m] = s5I &- s4R
            re[k + 3 * m] = s5R &- s4I; im[k + 3 * m] = s5I &+ s4R
        }
    }

    private static func butterfly2(_ re: UnsafeMutablePointer<Int16>, _ im: UnsafeMutablePointer<Int16>,
                                   _ tr: UnsafePointer<Int16>, _ ti: UnsafePointer<Int16>, span m: Int) {
        for k in 0..<m {
            let aR = divide16(re[k], by: 2), aI = divide16(im[k], by: 2)
            let bR = Int32(divide16(re[k + m], by: 2)), bI = Int32(divide16(im[k + m], by: 2))
            let wR = Int32(tr[k]), wI = Int32(ti[k])
            let tR = round16(bR &* wR &- bI &* wI), tI = round16(bR &* wI &+ bI &* wR)
            re[k + m] = aR &- tR; im[k + m] = aI &- tI
            re[k] = aR &+ tR; im[k] = aI &+ tI
        }
    }
}
