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

/// The lost-device state both ends share: the open device, if any, and when to try opening it again.
/// Owned by the one thread that reads or writes.
final class DeviceReopener<Device> {
    typealias Opener = () throws(CubbyError) -> Device
    let name: String
    /// "capture" or "playback", for the log.
    let role: String
    private let open: Opener
    private let backoff: ReopenBackoff
    private let logger: Logger
    private(set) var openDevice: Device?
    private var attempts = 0
    private var nextAttempt = ContinuousClock.now
    private(set) var reopenCount = 0

    init(name: String, role: String, initial: Device, backoff: ReopenBackoff, logger: Logger, open: @escaping Opener) {
        self.name = name
        self.role = role
        openDevice = initial
        self.backoff = backoff
        self.logger = logger
        self.open = open
    }

    /// The open device; or, when it was lost and a retry is due, a freshly reopened one; else nil.
    func device() -> Device? {
        if let openDevice { return openDevice }
        guard ContinuousClock.now >= nextAttempt else { return nil }
        attempts += 1
        do {
            let reopened = try open()
            openDevice = reopened
            reopenCount += 1
            logger.notice("\(role) device back", metadata: ["device": "\(name)", "attempts": "\(attempts)"])
            return reopened
        } catch {
            nextAttempt = ContinuousClock.now + backoff.delay(attempt: attempts + 1)
            if attempts == 1 || attempts % 10 == 0 {
                logger.warning("\(role) device still missing", metadata: ["device": "\(name)", "attempts": "\(attempts)", "error": "\(error)"])
            }
            return nil
        }
    }

    /// The device failed: forget it and schedule the first retry.
    func lost(_ error: any Error) {
        logger.error("\(role) device lost; reopening", metadata: ["device": "\(name)", "error": "\(error)"])
        openDevice = nil
        attempts = 0
        nextAttempt = ContinuousClock.now + backoff.delay(attempt: 1)
    }
}

/// A microphone that survives being unplugged: when a read fails, the device is closed and reopened with
/// backoff while silence is delivered at real-time pace, so the daemon (and its watchdog) keep running
/// and the log says what happened. A toy whose USB mic was knocked loose recovers when it is pushed back.
public final class ReopeningReader: AudioReader {
    public typealias Opener = () throws(CubbyError) -> any AudioReader
    public let name: String
    private let devices: DeviceReopener<any AudioReader>
    private let silence = [Int16](repeating: 0, count: AudioFormat.speech.samples(forMilliseconds: 20))

    public init(name: String, initial: any AudioReader, backoff: ReopenBackoff = ReopenBackoff(), logger: Logger,
                open: @escaping Opener) {
        self.name = name
        devices = DeviceReopener(name: name, role: "capture", initial: initial, backoff: backoff, logger: logger, open: open)
    }

    public var isDeviceOpen: Bool { devices.openDevice != nil }
    /// How often the device was lost and came back, for tests and status.
    public var reopenCount: Int { devices.reopenCount }

    public func read() throws(CubbyError) -> [Int16]? {
        if let device = devices.device() {
            do {
                return try device.read()
            } catch {
                devices.lost(error)
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
    private let devices: DeviceReopener<any AudioWriter>

    public init(initial: any AudioWriter, backoff: ReopenBackoff = ReopenBackoff(), logger: Logger, open: @escaping Opener) {
        name = initial.name
        format = initial.format
        devices = DeviceReopener(name: initial.name, role: "playback", initial: initial, backoff: backoff, logger: logger, open: open)
    }

    public var reopenCount: Int { devices.reopenCount }

    public func write(_ samples: [Int16]) throws(CubbyError) {
        guard let device = devices.device() else { return }
        do {
            try device.write(samples)
        } catch {
            devices.lost(error)
            try? device.close()
        }
    }

    public func drain() throws(CubbyError) { try? devices.openDevice?.drain() }
    public func discard() { devices.openDevice?.discard() }
    public func close() throws(CubbyError) { try devices.openDevice?.close() }
}
