import CubbyCore
import Foundation

/// How `cubbyd` was asked to run, from its command line.
public struct DaemonOptions: Sendable {
    public var configurationPath: String
    /// Replaces the board's audio input with this WAV file.
    public var inputWAV: String?
    /// Replaces the board's audio output with this WAV file.
    public var outputWAV: String?
    public var mode: ConversationService.Mode
    /// Stop gracefully on SIGTERM/SIGINT. Off only when the daemon runs inside another program (tests).
    public var trapSignals: Bool
    /// With `--once`: the input file is heard, and the toy speaks, at real-time speed, as on a board, so
    /// the toy can be interrupted. The daemon is always real-time.
    public var realtime = false
    /// Every time the daemon reads: tests inject a `ManualClock` to run a day in milliseconds.
    public var clock: any CubbyClock = SystemClock()
    /// When days start and quiet hours fall (the board's time zone).
    public var calendar: Calendar = .current

    /// Audio is paced like a microphone and a speaker.
    public var isRealtime: Bool { mode == .daemon || realtime }

    public init(configurationPath: String, inputWAV: String? = nil, outputWAV: String? = nil, mode: ConversationService.Mode = .daemon,
                trapSignals: Bool = true) {
        self.trapSignals = trapSignals
        self.configurationPath = configurationPath
        self.inputWAV = inputWAV
        self.outputWAV = outputWAV
        self.mode = mode
    }
}
