@preconcurrency import CALSA
import CubbyCore

/// The one funnel for libasound's return codes: negative errno values become `CubbyError`s that name the
/// device and the operation, so a log line says which PCM failed doing what.
enum ALSAResult {
    @discardableResult
    static func check(_ result: Int32, _ operation: String, device: String) throws(CubbyError) -> Int32 {
        guard result < 0 else { return result }
        throw error(result, operation, device: device)
    }

    static func error(_ result: Int32, _ operation: String, device: String) -> CubbyError {
        CubbyError(.audio, "\(operation) failed: \(String(cString: snd_strerror(result)))", context: "ALSA device \"\(device)\"")
    }
}
