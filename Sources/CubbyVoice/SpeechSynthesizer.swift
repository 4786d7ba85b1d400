import CubbyCore

/// Synthesized audio, mono 16-bit.
public struct SynthesizedSpeech: Sendable {
    public var samples: [Int16]
    public var sampleRate: Int

    public init(samples: [Int16], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }
}

/// Turns one sentence into audio. Implementations may be local (espeak-ng) or remote (a cloud voice).
public protocol SpeechSynthesizer: Sendable {
    func synthesize(_ text: String, voice: VoiceSettings) async throws(CubbyError) -> SynthesizedSpeech
}
