#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The one funnel for POSIX calls that return -1 and set `errno`: a call interrupted by a signal (EINTR)
/// is made again, and a failure keeps its errno as a typed `Errno` (swift-system), carried as the
/// `underlying` error of the `CubbyError` that says what failed and where.
public enum SystemCall {
    /// Makes `call` until it is not interrupted; the result, or the errno it failed with.
    public static func run<T: BinaryInteger>(_ call: () -> T) -> Result<T, Errno> {
        while true {
            let result = call()
            if result != -1 { return .success(result) }
            let code = Errno(rawValue: errno)
            if code == .interrupted { continue }
            return .failure(code)
        }
    }

    /// Makes `call` as `run` does; a failure throws `failure` ("write failed", "cannot create the pipe")
    /// with the errno underneath: "path: write failed (No space left on device)".
    @discardableResult
    public static func check<T: BinaryInteger>(_ failure: String, code: CubbyError.Code = .io, context: String?,
                                              _ call: () -> T) throws(CubbyError) -> T {
        switch run(call) {
        case .success(let value): return value
        case .failure(let errno): throw CubbyError(code, failure, context: context, underlying: errno)
        }
    }

    /// The current errno as a typed error, for calls whose failure is not -1 (a null pointer, say).
    public static var lastError: Errno { Errno(rawValue: errno) }
}
