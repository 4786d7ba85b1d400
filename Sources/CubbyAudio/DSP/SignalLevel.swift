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
}

#if canImport(Glibc)
import Glibc
#endif
