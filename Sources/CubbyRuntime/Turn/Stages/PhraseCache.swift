import CubbyAudio
import CubbyCore
import CubbyVoice
import Foundation
import Synchronization

/// The persona's fixed lines (offline lines, redirects, greeting) synthesized ahead of time at the
/// speaker's rate, so the line that must come fast — when the cloud is down, or a sentence was just
/// held back — costs no synthesis time. Keyed by text and voice, so a reload with a new persona or voice
/// simply misses and refills.
public final class PhraseCache: Sendable {
    private let entries = Mutex<[Key: [Int16]]>([:])
    /// Bounds memory on a 512 MB board: a few dozen sentences of a few seconds each.
    private let capacity = 48

    private struct Key: Hashable {
        var text: String
        var voice: VoiceSettings
        var rate: Int
    }

    public init() {}

    public func samples(for text: String, voice: VoiceSettings, rate: Int) -> [Int16]? {
        entries.withLock { $0[Key(text: text, voice: voice, rate: rate)] }
    }

    /// Synthesizes what is not cached yet. Runs in the background after start and after each reload.
    public func warm(_ lines: [String], voice: VoiceSettings, rate: Int, synthesizer: any SpeechSynthesizer) async {
        for text in lines where samples(for: text, voice: voice, rate: rate) == nil {
            guard !Task.isCancelled else { return }
            guard let speech = try? await synthesizer.synthesize(text, voice: voice),
                  let converted = try? Resampler.convert(speech.samples, from: speech.sampleRate, to: rate) else { continue }
            let capacity = self.capacity
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll() }
                entries[Key(text: text, voice: voice, rate: rate)] = converted
            }
        }
    }
}
