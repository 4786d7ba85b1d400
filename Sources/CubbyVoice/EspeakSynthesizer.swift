import CEspeakNG
import CubbyCore
import Foundation

/// Local synthesis with espeak-ng: always available, so the toy can speak its offline lines and redirects
/// with no network at all.
///
/// espeak-ng keeps its state in process-wide globals and is not reentrant, so every call goes through one
/// process-wide lock, and the library is initialized once. Synthesis of a short sentence takes a few
/// milliseconds, which keeps the lock uncontended in practice.
public struct EspeakSynthesizer: SpeechSynthesizer {
    public init() {}

    /// Synthesizes on the engine's own thread: the library call blocks (and waits for the one lock), which
    /// must not hold a thread of Swift's small cooperative pool that every other task needs.
    public func synthesize(_ text: String, voice: VoiceSettings) async throws(CubbyError) -> SynthesizedSpeech {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<SynthesizedSpeech, CubbyError>, Never>) in
            EspeakEngine.queue.async {
                continuation.resume(returning: Result { () throws(CubbyError) in try EspeakEngine.shared.synthesize(text, voice: voice) })
            }
        }
        return try result.get()
    }

    /// Synthesizes without suspending, for callers on a thread of their own.
    public func synthesizeNow(_ text: String, voice: VoiceSettings) throws(CubbyError) -> SynthesizedSpeech {
        try EspeakEngine.shared.synthesize(text, voice: voice)
    }
}

/// Collects the samples espeak-ng hands its callback during one `espeak_Synth` call.
private final class SampleCollector {
    var samples: [Int16] = []
}

/// The process's one espeak-ng instance (the C library has exactly one).
final class EspeakEngine: @unchecked Sendable {
    // @unchecked: every access to the library and `sampleRate` happens under `lock`.
    static let shared = EspeakEngine()
    /// Where async callers' synthesis runs (one at a time, as the library allows).
    static let queue = DispatchQueue(label: "cubby.espeak")

    private let lock = NSLock()
    private var sampleRate: Int32 = 0
    private var currentVoice: VoiceSettings?

    func synthesize(_ text: String, voice: VoiceSettings) throws(CubbyError) -> SynthesizedSpeech {
        lock.lock()
        defer { lock.unlock() }
        if sampleRate <= 0 {
            sampleRate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, 0)
            guard sampleRate > 0 else {
                throw CubbyError(.synthesis, "espeak-ng could not initialize (is espeak-ng-data installed?)")
            }
            espeak_SetSynthCallback { wav, count, events in
                guard let wav, count > 0, let events, let user = events.pointee.user_data else { return 0 }
                let collector = Unmanaged<SampleCollector>.fromOpaque(user).takeUnretainedValue()
                collector.samples.append(contentsOf: UnsafeBufferPointer(start: wav, count: Int(count)))
                return 0
            }
        }
        if currentVoice != voice {
            guard espeak_SetVoiceByName(voice.voice) == EE_OK else {
                throw CubbyError(.synthesis, "espeak-ng has no voice named \"\(voice.voice)\"")
            }
            espeak_SetParameter(espeakRATE, Int32(voice.rate), 0)
            espeak_SetParameter(espeakPITCH, Int32(voice.pitch), 0)
            currentVoice = voice
        }
        let collector = SampleCollector()
        let user = Unmanaged.passRetained(collector)
        defer { user.release() }
        let status = text.withCString { pointer in
            espeak_Synth(pointer, strlen(pointer) + 1, 0, POS_CHARACTER, 0,
                         UInt32(espeakCHARS_UTF8), nil, user.toOpaque())
        }
        guard status == EE_OK else { throw CubbyError(.synthesis, "espeak_Synth failed (\(status.rawValue))") }
        espeak_Synchronize()
        return SynthesizedSpeech(samples: collector.samples, sampleRate: Int(sampleRate))
    }
}
