import CPocketSphinx
import CubbyAudio
import CubbyCore
import CubbyWake
import Foundation

/// Large-vocabulary PocketSphinx with its general English language model: a stand-in for a cloud
/// speech-to-text service in `cubby-sim-cloud`, so the demo's "heard" comes from the audio actually sent,
/// not from a script. Far less accurate than a cloud model; good enough for clear, synthesized requests.
public final class PocketSphinxTranscriber: @unchecked Sendable {
    // @unchecked: the decoder is used only under `lock`.
    private let lock = NSLock()
    private let decoder: OpaquePointer

    public static let modelFolder = "/usr/share/pocketsphinx/model/en-us"

    public init(modelFolder: String = modelFolder) throws(CubbyError) {
        decoder = try PocketSphinxDecoder.make(
            options: ["-hmm", modelFolder + "/en-us", "-lm", modelFolder + "/en-us.lm.bin", "-dict", modelFolder + "/cmudict-en-us.dict"],
            code: .library, context: modelFolder, failure: "PocketSphinx could not load its models")
    }

    deinit { ps_free(decoder) }

    /// Transcribes a WAV file's bytes (any rate, mono or stereo, 16-bit).
    public func transcribe(wav: [UInt8]) throws(CubbyError) -> String {
        let audio = try WAVAudio.parse(wav, source: "uploaded audio")
        let samples = try Resampler.convert(audio.mono(), from: audio.format.sampleRate, to: AudioFormat.speech.sampleRate)
        return lock.withLock {
            guard ps_start_utt(decoder) == 0 else { return "" }
            samples.withUnsafeBufferPointer { _ = ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 1) }
            ps_end_utt(decoder)
            var score: Int32 = 0
            guard let hypothesis = ps_get_hyp(decoder, &score) else { return "" }
            return String(cString: hypothesis)
        }
    }
}
