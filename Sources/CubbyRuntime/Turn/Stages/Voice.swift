import CubbyAudio
import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyPersona
import CubbyVoice
import Foundation
import Logging
import Synchronization

/// The toy's voice: turns a line into audio on the speaker. Fixed lines come from the phrase cache; the
/// model's sentences from the cloud voice when there is one, otherwise (or when it fails before any
/// audio) from espeak-ng in the persona's voice.
struct Voice: Sendable {
    var persona: Persona
    var synthesizer: any SpeechSynthesizer
    var speaker: SpeakerQueue
    var phrases: PhraseCache?
    /// A cloud voice for the model's sentences; nil speaks everything with espeak-ng.
    var cloudVoice: CloudSpeechClient?
    var clock: any CubbyClock
    var logger: Logger
    /// The scene's speaking rate, as a percentage of the persona's (bedtime is slower).
    var ratePercent = 100
    /// The scene's loudness, 0...1 of the toy's volume (bedtime is softer); never louder than the parent's cap.
    var gain = 1.0

    /// This voice as `scene` wants it; nil keeps the persona's own.
    func inScene(_ scene: PersonaScene?) -> Voice {
        var voice = self
        voice.ratePercent = scene?.ratePercent ?? 100
        voice.gain = min(1, Double(scene?.volumePercent ?? 100) / 100)
        return voice
    }

    /// The espeak-ng settings for a line: its language's voice at the scene's rate.
    func settings(for text: String) -> VoiceSettings {
        let rate = min(450, max(80, persona.rate * ratePercent / 100))
        return persona.locale(for: text).voice(rate: rate, pitch: persona.pitch)
    }

    /// How a line went: whether any of it was heard, and when its first audio was queued.
    struct Spoken: Sendable {
        var anything = false
        var firstAudioAt: ContinuousClock.Instant?
    }

    /// Speaks a fixed line (a redirect, an offline line, the cool-down line) and records it in `turn`.
    func say(line text: String, in turn: inout TurnReport, since start: ContinuousClock.Instant) async {
        turn.sentences.append(SentenceRecord(text: text, spoken: true))
        note(await speak(text, useCloudVoice: false), in: &turn, since: start)
    }

    /// Speaks one of the model's sentences (already recorded by the outbound gate).
    func say(sentence text: String, in turn: inout TurnReport, since start: ContinuousClock.Instant) async {
        note(await speak(text, useCloudVoice: true), in: &turn, since: start)
    }

    /// Plays speech that arrived with the reply (a provider that brings its own voice).
    func play(_ samples: [Int16], in turn: inout TurnReport, since start: ContinuousClock.Instant) throws(CubbyError) {
        turn.timings.mark(.firstAudio, at: clock.now, since: start)
        try speaker.enqueue(scaled(samples))
        turn.spokeAnything = true
    }

    /// Waits until everything queued has been heard (or the turn is cancelled).
    func finish() async {
        try? await speaker.waitUntilIdle()
    }

    private func note(_ spoken: Spoken, in turn: inout TurnReport, since start: ContinuousClock.Instant) {
        if let first = spoken.firstAudioAt { turn.timings.mark(.firstAudio, at: first, since: start) }
        if spoken.anything { turn.spokeAnything = true }
    }

    private func speak(_ text: String, useCloudVoice: Bool) async -> Spoken {
        let rate = speaker.format.sampleRate
        // A bilingual persona speaks each sentence with the voice of its language.
        let voice = settings(for: text)
        do {
            if let cached = phrases?.samples(for: text, voice: voice, rate: rate) {
                return try enqueue(cached)
            }
            if useCloudVoice, let cloudVoice {
                let streamed = await stream(text, cloudVoice: cloudVoice, rate: rate)
                if streamed.anything || Task.isCancelled { return streamed }
            }
            let speech = try await synthesizer.synthesize(text, voice: voice)
            return try enqueue(try Resampler.convert(speech.samples, from: speech.sampleRate, to: rate))
        } catch {
            if !Task.isCancelled { logger.error("could not speak", metadata: ["error": "\(error)"]) }
            return Spoken()
        }
    }

    private func enqueue(_ samples: [Int16]) throws(CubbyError) -> Spoken {
        let at = clock.now
        try speaker.enqueue(scaled(samples))
        return Spoken(anything: true, firstAudioAt: at)
    }

    /// Played as it arrives. If the voice fails before any audio, the caller says the sentence in the toy's
    /// own voice rather than not at all; after some audio, the rest of that sentence is dropped.
    private func stream(_ text: String, cloudVoice: CloudSpeechClient, rate: Int) async -> Spoken {
        let first = FirstInstant(clock: clock)
        do {
            let resampler = try Resampler(from: CloudSpeechSettings.pcmSampleRate, to: rate)
            let (speaker, voice) = (self.speaker, self)
            try await cloudVoice.stream(text) { chunk in
                let converted = voice.scaled(resampler.process(chunk))
                first.markNow()
                try speaker.enqueue(converted)
            }
        } catch {
            if !Task.isCancelled {
                logger.warning("the cloud voice failed", metadata: ["error": "\(error)", "fallback": "\(first.instant == nil ? "espeak-ng" : "none")"])
            }
        }
        return Spoken(anything: first.instant != nil, firstAudioAt: first.instant)
    }
}

extension Voice {
    /// Samples at the scene's loudness.
    func scaled(_ samples: [Int16]) -> [Int16] {
        guard gain < 1 else { return samples }
        return samples.map { Int16(Double($0) * gain) }
    }
}

/// The first moment something happened, set from a streaming callback.
final class FirstInstant: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)
    private let clock: any CubbyClock
    init(clock: any CubbyClock) { self.clock = clock }
    func markNow() {
        let now = clock.now
        value.withLock { if $0 == nil { $0 = now } }
    }
    var instant: ContinuousClock.Instant? { value.withLock { $0 } }
}
