/// A cloud voice over OpenAI's `/v1/audio/speech`, possibly from another vendor than the chat model.
public struct CloudSpeechSettings: Sendable, Equatable {
    public var baseURL: String
    /// Never logged.
    public var apiKey: String?
    public var model: String
    public var voice: String
    /// `[speech] voice` was set: the parent's choice wins over the persona's `cloud_voice`.
    public var voiceIsExplicit = false
    /// The longest a sentence waits for its audio before the toy says it with espeak-ng instead.
    public var timeoutMilliseconds: Int
    public var maximumResponseBytes: Int

    public init(baseURL: String, apiKey: String? = nil, model: String = "gpt-4o-mini-tts", voice: String = "alloy",
                timeoutMilliseconds: Int = 3_000, maximumResponseBytes: Int = 8 << 20) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.voice = voice
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maximumResponseBytes = maximumResponseBytes
    }

    /// The settings with the persona's cloud voice, unless the configuration named one itself.
    public func speaking(as personaVoice: String?) -> CloudSpeechSettings {
        guard !voiceIsExplicit, let personaVoice else { return self }
        var settings = self
        settings.voice = personaVoice
        return settings
    }

    /// OpenAI's `pcm` format: 24 kHz, 16-bit little-endian, mono.
    public static let pcmSampleRate = 24_000
}

extension CloudSpeechSettings: CustomStringConvertible {
    /// Never shows the key.
    public var description: String { "\(baseURL) (model \(model), voice \(voice), key \(apiKey == nil ? "none" : "set"))" }
}
