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

    public init(configurationPath: String, inputWAV: String? = nil, outputWAV: String? = nil, mode: ConversationService.Mode = .daemon,
                trapSignals: Bool = true) {
        self.trapSignals = trapSignals
        self.configurationPath = configurationPath
        self.inputWAV = inputWAV
        self.outputWAV = outputWAV
        self.mode = mode
    }
}
