/// How `cubbyd` was asked to run, from its command line.
public struct DaemonOptions: Sendable {
    public var configurationPath: String
    /// Replaces the board's audio input with this WAV file.
    public var inputWAV: String?
    /// Replaces the board's audio output with this WAV file.
    public var outputWAV: String?
    public var mode: ConversationService.Mode

    public init(configurationPath: String, inputWAV: String? = nil, outputWAV: String? = nil, mode: ConversationService.Mode = .daemon) {
        self.configurationPath = configurationPath
        self.inputWAV = inputWAV
        self.outputWAV = outputWAV
        self.mode = mode
    }
}
