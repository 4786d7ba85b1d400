import CSpeexDSP
import CubbyCore

/// Converts mono 16-bit audio between sample rates with speexdsp's resampler.
///
/// Used where rates meet: espeak-ng's 22 050 Hz voice going to the speaker's rate, a board microphone
/// that only offers 48 kHz going to the 16 kHz the wake word and the cloud want. Keeps filter state
/// between calls, so a stream resampled in pieces sounds the same as one resampled whole.
public final class Resampler {
    public let inputRate: Int
    public let outputRate: Int
    private let state: OpaquePointer

    /// `quality` is speexdsp's 0…10; 5 is its "VoIP" default and plenty for speech.
    public init(from inputRate: Int, to outputRate: Int, quality: Int32 = 5) throws(CubbyError) {
        self.inputRate = inputRate
        self.outputRate = outputRate
        var error: Int32 = 0
        guard let state = speex_resampler_init(1, UInt32(inputRate), UInt32(outputRate), quality, &error), error == 0 else {
            throw CubbyError(.library, "speex_resampler_init failed: \(String(cString: speex_resampler_strerror(error)))",
                             context: "resampler \(inputRate)->\(outputRate) Hz")
        }
        self.state = state
        speex_resampler_skip_zeros(state)
    }

    deinit { speex_resampler_destroy(state) }

    /// Resamples a run of samples; output length is about `input.count * outputRate / inputRate`.
    public func process(_ input: [Int16]) -> [Int16] {
        guard inputRate != outputRate else { return input }
        guard !input.isEmpty else { return [] }
        var output = [Int16](repeating: 0, count: input.count * outputRate / inputRate + 64)
        var consumedTotal = 0
        var producedTotal = 0
        while consumedTotal < input.count {
            var inLength = UInt32(input.count - consumedTotal)
            var outLength = UInt32(output.count - producedTotal)
            if outLength == 0 { output.append(contentsOf: [Int16](repeating: 0, count: 256)); continue }
            input.withUnsafeBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    _ = speex_resampler_process_int(
                        state, 0, inBuffer.baseAddress! + consumedTotal, &inLength,
                        outBuffer.baseAddress! + producedTotal, &outLength)
                }
            }
            consumedTotal += Int(inLength)
            producedTotal += Int(outLength)
            if inLength == 0 && outLength == 0 { break }
        }
        return Array(output.prefix(producedTotal))
    }

    /// One-shot conversion of a whole clip.
    public static func convert(_ samples: [Int16], from inputRate: Int, to outputRate: Int) throws(CubbyError) -> [Int16] {
        guard inputRate != outputRate else { return samples }
        return try Resampler(from: inputRate, to: outputRate).process(samples)
    }
}
