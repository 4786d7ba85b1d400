import CubbyCore

/// Retries for steps that are safe to repeat (a transcription; a chat request before its first token),
/// with full jitter so that many toys do not come back to a recovering server in step. Kept short: the
/// toy must say its offline line within a second of a failing cloud.
public struct RetryPolicy: Sendable, Equatable {
    /// Tries after the first.
    public var retries: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration

    public init(retries: Int = 1, baseDelay: Duration = .milliseconds(100), maximumDelay: Duration = .milliseconds(300)) {
        self.retries = retries
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// The wait before retry `attempt` (1-based): uniformly random up to base × 2^(attempt-1), capped.
    public func delay(before attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let ceiling = min(maximumDelay, baseDelay * (1 << min(attempt - 1, 16)))
        return ceiling * random
    }

    /// Runs `operation`, again after a jittered pause when it fails with an error `shouldRetry` accepts
    /// (by default a transient one).
    public func run<T: Sendable>(_ operation: () async throws(CubbyError) -> T,
                                 shouldRetry: (CubbyError) -> Bool = { $0.isTransient },
                                 onRetry: (CubbyError, Int) -> Void = { _, _ in }) async throws(CubbyError) -> T {
        var attempt = 0
        while true {
            do {
                return try await operation()
            } catch {
                attempt += 1
                guard shouldRetry(error), attempt <= retries, !Task.isCancelled else { throw error }
                onRetry(error, attempt)
                try? await Task.sleep(for: delay(before: attempt))
            }
        }
    }
}
