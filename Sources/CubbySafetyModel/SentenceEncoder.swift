import CBLAS
import CubbyCore
import Foundation

/// Google's multilingual Universal Sentence Encoder v3 (a token embedding, three convolutional n-gram
/// branches of orders 2, 3 and 5, a pooled mean and a small residual MLP), turning a sentence in
/// Chinese, English or both into a unit vector of 512 numbers whose direction carries its meaning:
/// "rub the red tip on the box" lands near "strike a match", which no word rule can see.
///
/// The arithmetic is the trainer's reference (`scripts/safety_model/encoder.py`, `Encoder`) step for
/// step; the matrix products go to OpenBLAS on the calling thread.
struct SentenceEncoder: Sendable {
    static let dimension = 512
    static let branchWidth = 256
    /// (n-gram order, tokens of left context) of the three convolution branches.
    static let orders = [(2, 0), (3, 1), (5, 2)]
    /// Longer texts are judged in overlapping windows of this many pieces (see `SafetyModel`).
    static let windowTokens = 96

    let tokenizer: PieceTokenizer
    private let embeddings: MappedBytes
    private let embeddingScale: [Float]
    private let embeddingLow: [Float]
    private let projection: [Float], projectionBias: [Float]
    private let projectionGain: [Float], projectionShift: [Float]
    private let convolution1: [[Float]], convolution1Bias: [[Float]]
    private let convolution2: [[Float]], convolution2Bias: [[Float]]
    private let featureGain: [Float], featureShift: [Float]
    private let pool: [Float], poolBias: [Float]
    private let d0: [Float], d1: [Float], p1: [Float], d2: [Float], p3: [Float], d3: [Float]
    private let epsilon: Float
    let pieceCount: Int

    /// Packed 6-bit embedding: four values in three bytes, so a row is 384 bytes.
    static let packedRowBytes = dimension * 6 / 8

    init(file: ModelFile) throws(CubbyError) {
        let pieces = try file.strings("piece").map { String(decoding: $0, as: UTF8.self) }
        let count = pieces.count
        let scores = try file.floats("piece_scores", shape: [count])
        let keys = try file.strings("map_keys")
        let values = try file.strings("map_values")
        guard keys.count == values.count else {
            throw CubbyError(.invalidConfiguration, "safety model: the normalisation table has \(keys.count) keys for \(values.count) values",
                             context: file.path)
        }
        tokenizer = PieceTokenizer(pieces: pieces, scores: scores, mapKeys: keys, mapValues: values)
        pieceCount = count

        let d = Self.dimension, w = Self.branchWidth
        embeddings = try file.mapped("embeddings")
        guard embeddings.count == count * Self.packedRowBytes else {
            throw CubbyError(.invalidConfiguration, "safety model: the embedding table does not match the \(count) pieces", context: file.path)
        }
        embeddingScale = try file.floats("embedding_scale", shape: [count])
        embeddingLow = try file.floats("embedding_low", shape: [count])
        var projection: [Float] = [], bias: [Float] = [], gain: [Float] = [], shift: [Float] = []
        var c1: [[Float]] = [], c1b: [[Float]] = [], c2: [[Float]] = [], c2b: [[Float]] = []
        // The three branches' input projections side by side: one product of width 768 instead of three.
        let projections = try [2, 3, 5].map { (n) throws(CubbyError) in try file.floats("proj\(n)", shape: [d, w]) }
        for row in 0..<d {
            for p in projections { projection += p[(row * w)..<((row + 1) * w)] }
        }
        for (n, _) in Self.orders {
            bias += try file.floats("proj_b\(n)", shape: [w])
            gain += try file.floats("ln_g\(n)", shape: [w])
            shift += try file.floats("ln_b\(n)", shape: [w])
            c1.append(try file.floats("w1_\(n)", shape: [n * w, w]))
            c1b.append(try file.floats("b1_\(n)", shape: [w]))
            c2.append(try file.floats("w2_\(n)", shape: [n * w, w]))
            c2b.append(try file.floats("b2_\(n)", shape: [w]))
        }
        self.projection = projection
        projectionBias = bias
        projectionGain = gain
        projectionShift = shift
        convolution1 = c1
        convolution1Bias = c1b
        convolution2 = c2
        convolution2Bias = c2b
        let features = d + 3 * w
        featureGain = try file.floats("ln_g", shape: [features])
        featureShift = try file.floats("ln_b", shape: [features])
        pool = try file.floats("cnn_W", shape: [features, d])
        poolBias = try file.floats("cnn_b", shape: [d])
        d0 = try file.floats("d0", shape: [d, 320])
        d1 = try file.floats("d1", shape: [320, 320])
        p1 = try file.floats("p1", shape: [d, 320])
        d2 = try file.floats("d2", shape: [320, d])
        p3 = try file.floats("p3", shape: [320, d])
        d3 = try file.floats("d3", shape: [d, d])
        epsilon = Float(file.header.encoder.epsilon)
    }

    /// The sentence vector for piece ids (with <s> and </s>), unit length.
    func embed(ids: [Int32]) -> [Float] {
        finish(pool(ids: ids))
    }

    /// What the encoder sums over a text's tokens before its last layers: the normalised token features
    /// (raw embedding and the three branches), added up; and beside the sum, each branch feature's
    /// largest value in the text, which the safety head reads (a mean blurs one telling phrase in a long
    /// friendly sentence; the maximum keeps it). Two texts' pools joined are, but for the few n-gram
    /// windows that would straddle the seam, the pool of the two texts read as one, which lets a
    /// sentence be judged after its context without encoding the context again.
    struct Pooled: Sendable {
        var sum: [Float]
        var maxima: [Float]
        var tokens: Int

        static func + (a: Pooled, b: Pooled) -> Pooled {
            Pooled(sum: zip(a.sum, b.sum).map(+), maxima: zip(a.maxima, b.maxima).map { Swift.max($0, $1) }, tokens: a.tokens + b.tokens)
        }
    }

    /// Values the safety head reads for a pooled text: the sentence vector, then the branch maxima.
    static let featureCount = dimension + 3 * branchWidth

    /// The sentence vector followed by the branch maxima (`featureCount` values).
    func features(_ pooled: Pooled) -> [Float] {
        finish(pooled) + pooled.maxima
    }

    func pool(ids: [Int32]) -> Pooled {
        let n = ids.count
        let d = Self.dimension, w = Self.branchWidth
        let features = d + 3 * w
        // [raw embedding | branch 2 | branch 3 | branch 5] for every token, row by row.
        var feats = [Float](repeating: 0, count: n * features)
        embeddings.withBytes { table in
            for (t, id) in ids.enumerated() {
                let piece = Int(id) < pieceCount && id >= 0 ? Int(id) : 0
                let row = UnsafeRawBufferPointer(rebasing: table[(piece * Self.packedRowBytes)..<((piece + 1) * Self.packedRowBytes)])
                let scale = embeddingScale[piece], low = embeddingLow[piece]
                let base = t * features
                for k in 0..<(d / 4) {
                    let b0 = UInt32(row[3 * k]), b1 = UInt32(row[3 * k + 1]), b2 = UInt32(row[3 * k + 2])
                    let packed = b0 | b1 << 8 | b2 << 16
                    for j in 0..<4 { feats[base + 4 * k + j] = Float((packed >> (6 * UInt32(j))) & 63) * scale + low }
                }
            }
        }
        var x = [Float](repeating: 0, count: n * 3 * w)
        for t in 0..<n { for j in 0..<(3 * w) { x[t * 3 * w + j] = projectionBias[j] } }
        Self.multiply(feats, rows: n, inner: d, lda: features, projection, columns: 3 * w, into: &x, ldc: 3 * w, accumulate: true)
        Self.layerNorm(&x, rows: n, width: 3 * w, stride: 3 * w, offset: 0, gain: projectionGain, shift: projectionShift, epsilon: epsilon)

        for (branch, (order, left)) in Self.orders.enumerated() {
            var xs = [Float](repeating: 0, count: n * w)
            for t in 0..<n { for j in 0..<w { xs[t * w + j] = x[t * 3 * w + branch * w + j] } }
            var h = xs
            Self.convolve(xs, rows: n, order: order, left: left, weights: convolution1[branch], bias: convolution1Bias[branch], residualInto: &h)
            var c = h
            Self.convolve(h, rows: n, order: order, left: left, weights: convolution2[branch], bias: convolution2Bias[branch], residualInto: &c)
            for t in 0..<n { for j in 0..<w { feats[t * features + d + branch * w + j] = c[t * w + j] } }
        }
        Self.layerNorm(&feats, rows: n, width: features, stride: features, offset: 0, gain: featureGain, shift: featureShift, epsilon: epsilon)

        var summed = [Float](repeating: 0, count: features)
        var maxima = [Float](repeating: -.infinity, count: 3 * w)
        for t in 0..<n {
            for j in 0..<features { summed[j] += feats[t * features + j] }
            for j in 0..<(3 * w) { maxima[j] = max(maxima[j], feats[t * features + d + j]) }
        }
        return Pooled(sum: summed, maxima: maxima, tokens: n)
    }

    /// The encoder's last layers: the pooled sum projected, scaled by the square root of the length,
    /// then the residual MLP and the unit-length vector.
    func finish(_ pooled: Pooled) -> [Float] {
        let d = Self.dimension
        let features = d + 3 * Self.branchWidth
        let n = max(pooled.tokens, 1)
        let summed = pooled.sum
        var mean = poolBias.map { $0 * Float(n) }
        Self.multiply(summed, rows: 1, inner: features, lda: features, pool, columns: d, into: &mean, ldc: d, accumulate: true)
        let root = Float(n).squareRoot()
        for j in 0..<d { mean[j] /= root }

        var y0 = [Float](repeating: 0, count: 320)
        Self.multiply(mean, rows: 1, inner: d, lda: d, d0, columns: 320, into: &y0, ldc: 320, accumulate: false)
        Self.relu(&y0)
        var y1 = [Float](repeating: 0, count: 320)
        Self.multiply(mean, rows: 1, inner: d, lda: d, p1, columns: 320, into: &y1, ldc: 320, accumulate: false)
        Self.multiply(y0, rows: 1, inner: 320, lda: 320, d1, columns: 320, into: &y1, ldc: 320, accumulate: true)
        Self.relu(&y1)
        var y2 = [Float](repeating: 0, count: d)
        Self.multiply(y1, rows: 1, inner: 320, lda: 320, d2, columns: d, into: &y2, ldc: d, accumulate: false)
        Self.relu(&y2)
        var z = [Float](repeating: 0, count: d)
        Self.multiply(y1, rows: 1, inner: 320, lda: 320, p3, columns: d, into: &z, ldc: d, accumulate: false)
        Self.multiply(y2, rows: 1, inner: d, lda: d, d3, columns: d, into: &z, ldc: d, accumulate: true)
        var norm: Float = 0
        for j in 0..<d {
            z[j] = Float(tanh(Double(z[j])))
            norm += z[j] * z[j]
        }
        let inverse = 1 / max(norm, epsilon).squareRoot()
        return z.map { $0 * inverse }
    }

    /// out = relu(windows(input) · weights + bias) + out, where a window is `order` consecutive rows of
    /// `input` starting `left` rows before the current one, zero outside the sentence. `out` comes in
    /// holding the residual.
    private static func convolve(_ input: [Float], rows n: Int, order: Int, left: Int, weights: [Float], bias: [Float],
                                 residualInto out: inout [Float]) {
        let w = branchWidth
        var windows = [Float](repeating: 0, count: n * order * w)
        for t in 0..<n {
            for k in 0..<order {
                let source = t - left + k
                guard source >= 0, source < n else { continue }
                for j in 0..<w { windows[(t * order + k) * w + j] = input[source * w + j] }
            }
        }
        var product = [Float](repeating: 0, count: n * w)
        for t in 0..<n { for j in 0..<w { product[t * w + j] = bias[j] } }
        multiply(windows, rows: n, inner: order * w, lda: order * w, weights, columns: w, into: &product, ldc: w, accumulate: true)
        for i in 0..<(n * w) { out[i] += max(product[i], 0) }
    }

    /// OpenBLAS built without threads keeps its working buffers in a process-wide pool that is only safe
    /// from several threads at once when built with USE_LOCKING, which Debian's serial package may not be
    /// (the probe-parity test once failed, on every probe, while other suites ran the filter in
    /// parallel). One multiplication at a time costs a toy nothing: it judges one sentence at a time.
    private static let blas = NSLock()

    /// C = A · B (+ C when `accumulate`), all row-major; A is rows × inner with leading dimension lda.
    private static func multiply(_ a: [Float], rows: Int, inner: Int, lda: Int, _ b: [Float], columns: Int,
                                 into c: inout [Float], ldc: Int, accumulate: Bool) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    blas.lock()
                    defer { blas.unlock() }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(inner), 1,
                                a.baseAddress, Int32(lda), b.baseAddress, Int32(columns), accumulate ? 1 : 0, c.baseAddress, Int32(ldc))
                }
            }
        }
    }

    private static func layerNorm(_ x: inout [Float], rows: Int, width: Int, stride: Int, offset: Int, gain: [Float], shift: [Float],
                                  epsilon: Float) {
        for r in 0..<rows {
            let base = r * stride + offset
            var mean: Float = 0
            for j in 0..<width { mean += x[base + j] }
            mean /= Float(width)
            var variance: Float = 0
            for j in 0..<width {
                x[base + j] -= mean
                variance += x[base + j] * x[base + j]
            }
            let inverse = 1 / (variance / Float(width) + epsilon).squareRoot()
            for j in 0..<width { x[base + j] = x[base + j] * inverse * gain[j] + shift[j] }
        }
    }

    private static func relu(_ x: inout [Float]) {
        for i in x.indices where x[i] < 0 { x[i] = 0 }
    }
}
