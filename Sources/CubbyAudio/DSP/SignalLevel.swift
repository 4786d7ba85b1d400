#if canImport(Glibc)
import Glibc
#endif

/// Loudness measures over 16-bit samples.
public enum SignalLevel {
    /// Root mean square amplitude in dBFS (0 is a full-scale square wave; silence is -96 or lower).
    public static func rmsDBFS<C: Collection>(_ samples: C) -> Double where C.Element == Int16 {
        guard !samples.isEmpty else { return -120 }
        var sum = 0.0
        for s in samples { let v = Double(s); sum += v * v }
        let rms = (sum / Double(samples.count)).squareRoot()
        return rms < 1 ? -120 : 20 * log10(rms / 32768)
    }

    /// How much of a recording is sound rather than silence: the 20 ms blocks louder than `threshold`,
    /// in seconds. Compares what was spoken with what should have been, whatever the pauses around it.
    public static func voicedSeconds(_ samples: [Int16], sampleRate: Int, threshold: Double = -40) -> Double {
        let block = max(1, sampleRate / 50)
        var voiced = 0
        var start = 0
        while start + block <= samples.count {
            if rmsDBFS(samples[start..<(start + block)]) > threshold { voiced += 1 }
            start += block
        }
        return Double(voiced * block) / Double(sampleRate)
    }
}
