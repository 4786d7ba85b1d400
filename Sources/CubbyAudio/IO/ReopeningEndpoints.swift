import CubbyCore
import Foundation
import Logging

/// When to try a lost device again: quickly at first, then every few seconds, never giving up.
public struct ReopenBackoff: Sendable, Equatable {
    public var first: Duration = .milliseconds(250)
    public var maximum: Duration = .seconds(5)

    public init(first: Duration = .milliseconds(250), maximum: Duration = .seconds(5)) {
        self.first = first
        self.maximum = maximum
    }

    /// The wait before attempt `attempt` (1-based).
    public func delay(attempt: Int) -> Duration {
        var delay = first
        for _ in 1..<max(attempt, 1) where delay < maximum { delay *= 2 }
        return min(delay, maximum)
    }
}

/// A microphone that survives being unplugged: when a read fails, the device is closed and reopened with
/// backoff while silence is delivered at real-time pace, so the daemon (and its watchdog) keep running
/// and the log says what happened. A toy whose USB mic was knocked loose recovers when it is pushed back.
public final class ReopeningReader: AudioReader {
    public typealias Opener = () throws(CubbyError) -> any AudioReader
    public let name: String
    private let open: Opener
    private let backoff: ReopenBackoff
    private let logger: Logger
    private var current: (any AudioReader)?
    private var attempts = 0
    private var nextAttempt = ContinuousClock.now
    private let silence = [Int16](repeating: 0, count: AudioFormat.speech.samples(forMilliseconds: 20))
    /// How often the device was lost and came back, for tests and status.
    public private(set) var reopenCount = 0

    public init(name: String, initial: any AudioReader, backoff: ReopenBackoff = ReopenBackoff(), logger: Logger,
                open: @escaping Opener) {
        self.name = name
        self.current = initial
        self.backoff = backoff
        self.logger = logger
        self.open = open
    }

    public var isDeviceOpen: Bool { current != nil }

    public func read() throws(CubbyError) -> [Int16]? {
        if let device = current {
            do {
                return try device.read()
            } catch {
                logger.error("capture device lost; reopening", metadata: ["device": "\(name)", "error": "\(error)"])
                current = nil
                attempts = 0
                nextAttempt = ContinuousClock.now + backoff.delay(attempt: 1)
            }
        }
        if ContinuousClock.now >= nextAttempt {
            attempts += 1
            do {
                current = try open()
                reopenCount += 1
                logger.notice("capture device back", metadata: ["device": "\(name)", "attempts": "\(attempts)"])
                return try read()
            } catch {
                nextAttempt = ContinuousClock.now + backoff.delay(attempt: attempts + 1)
                if attempts == 1 || attempts % 10 == 0 {
                    logger.warning("capture device still missing", metadata: ["device": "\(name)", "attempts": "\(attempts)", "error": "\(error)"])
                }
            }
        }
        usleep(20_000)
        return silence
    }
}

/// A speaker that survives being unplugged: a failed write drops that audio, closes the device, and the
/// next writes try to reopen it with backoff. The toy goes quiet instead of the daemon stopping.
public final class ReopeningWriter: AudioWriter {
    public typealias Opener = () throws(CubbyError) -> any AudioWriter
    public let name: String
    public let format: AudioFormat
    private let open: Opener
    private let backoff: ReopenBackoff
    private let logger: Logger
    private var current: (any AudioWriter)?
    private var attempts = 0
    private var nextAttempt = ContinuousClock.now
    public private(set) var reopenCount = 0

    public init(initial: any AudioWriter, backoff: ReopenBackoff = ReopenBackoff(), logger: Logger, open: @escaping Opener) {
        name = initial.name
        format = initial.format
        current = initial
        self.backoff = backoff
        self.logger = logger
        self.open = open
    }

    public func write(_ samples: [Int16]) throws(CubbyError) {
        guard let device = device() else { return }
        do {
            try device.write(samples)
        } catch {
            logger.error("playback device lost; reopening", metadata: ["device": "\(name)", "error": "\(error)"])
            try? device.close()
            current = nil
            attempts = 0
            nextAttempt = ContinuousClock.now + backoff.delay(attempt: 1)
        }
    }

    public func drain() throws(CubbyError) { try? current?.drain() }
    public func discard() { current?.discard() }
    public func close() throws(CubbyError) { try current?.close() }

    private func device() -> (any AudioWriter)? {
        if let current { return current }
        guard ContinuousClock.now >= nextAttempt else { return nil }
        attempts += 1
        do {
            let reopened = try open()
            current = reopened
            reopenCount += 1
            logger.notice("playback device back", metadata: ["device": "\(name)", "attempts": "\(attempts)"])
            return reopened
        } catch {
            nextAttempt = ContinuousClock.now + backoff.delay(attempt: attempts + 1)
            return nil
        }
    }
}
