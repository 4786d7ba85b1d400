import CPocketSphinx
import CubbyCore
import Foundation

/// Keyphrase spotting with PocketSphinx: no training, any phrase whose words are pronounceable.
///
/// Sensitivity s in 0…1 maps onto the keyphrase threshold as 1e-(5 + 30 s): the shipping default 0.5 gives
/// 1e-20, where the bundled flite recordings of "hey teddy" are caught and ordinary questions are not.
/// It is known to be weak on near-miss phrases; the audio issue measures it against neural peers.
public final class PocketSphinxSpotter: WakeDetector {
    public let settings: WakeSettings
    private let decoder: OpaquePointer
    /// Samples fed since the decoder was created: PocketSphinx numbers frames from there.
    private var decoderSamples: Int64 = 0
    /// Where the current PocketSphinx utterance began, in stream samples.
    private var utteranceStart: Int64 = 0
    private let verifier: NearMissVerifier?
    /// The last seconds fed, in memory only, for the verifier to decode a detection again.
    private var recent = RecentAudio()
    /// Detections the verifier turned down, for logs and the benchmark.
    public private(set) var rejectedNearMisses = 0
    private var quietUntil: Int64 = -1
    private var inUtterance = false

    public static let modelDirectory = "/usr/share/pocketsphinx/model/en-us/en-us"

    /// The threshold PocketSphinx uses for a sensitivity.
    public static func threshold(forSensitivity sensitivity: Double) -> Double {
        pow(10, -(5 + 30 * min(max(sensitivity, 0), 1)))
    }

    /// The score of a detection, in 0…1, on the same scale as sensitivity: a detection with score x is
    /// reported at every sensitivity of at least 1 − x, so "score ≥ 1 − sensitivity" is the decision.
    ///
    /// PocketSphinx 0.8 reports a detection's probability as the margin by which the keyphrase path beat
    /// the phone loop, minus its constant `KWS_MAX` (1500), in its score units (log base 1.0001, shifted
    /// right by 10 bits). The margin is what was compared with the threshold, so it converts back through
    /// `threshold(forSensitivity:)`. Checked by bisecting the sensitivity at which a detection appears.
    public static func score(forDetectionProbability probability: Int32) -> Double {
        let margin = Double(probability) + 1500
        let log10Probability = margin * 1024 * log10(1.0001)
        let neededSensitivity = (-log10Probability - 5) / 30
        return min(1, max(0, 1 - neededSensitivity))
    }

    public init(settings: WakeSettings, modelDirectory: String = modelDirectory,
                dictionaryPath: String = PronunciationDictionary.systemDictionary) throws(CubbyError) {
        guard !settings.phrases.isEmpty else { throw CubbyError(.wake, "no wake phrase configured") }
        self.settings = settings
        let words = PronunciationDictionary.words(in: settings.phrases)
        let lines = try PronunciationDictionary.lines(for: words, extra: settings.pronunciations, dictionaryPath: dictionaryPath)

        let threshold = Self.threshold(forSensitivity: settings.sensitivity)
        let keywords = settings.phrases.map { "\($0.lowercased()) /\(String(format: "%.3e", threshold))/" }
        decoder = try PocketSphinxDecoder.withScratchFiles(named: "cubby-kws", ["phrases.dict": lines, "phrases.kws": keywords]) {
            folder throws(CubbyError) -> OpaquePointer in
            let decoder = try PocketSphinxDecoder.make(options: ["-hmm", modelDirectory, "-dict", folder + "/phrases.dict", "-kws_plp", "1e-1"],
                                                       context: modelDirectory, failure: "PocketSphinx could not load its acoustic model")
            guard ps_set_kws(decoder, "kws", folder + "/phrases.kws") == 0, ps_set_search(decoder, "kws") == 0 else {
                ps_free(decoder)
                throw CubbyError(.wake, "PocketSphinx rejected the wake phrases \(settings.phrases)", context: folder + "/phrases.kws")
            }
            return decoder
        }
        do {
            verifier = settings.verifyNearMisses
                ? try NearMissVerifier(phrases: settings.phrases, pronunciations: settings.pronunciations, modelDirectory: modelDirectory,
                                       dictionaryPath: dictionaryPath)
                : nil
        } catch {
            ps_free(decoder)
            throw error
        }
    }

    deinit { ps_free(decoder) }

    public func process(_ chunk: AudioChunk) throws(CubbyError) -> WakeDetection? {
        if !inUtterance {
            guard ps_start_utt(decoder) == 0 else { throw CubbyError(.wake, "ps_start_utt failed") }
            inUtterance = true
            utteranceStart = chunk.startSample
        }
        let result = chunk.samples.withUnsafeBufferPointer {
            ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 0)
        }
        guard result >= 0 else { throw CubbyError(.wake, "ps_process_raw failed (\(result))") }
        decoderSamples += Int64(chunk.samples.count)
        if verifier != nil { recent.remember(chunk) }
        var bestScore: Int32 = 0
        guard let hypothesis = ps_get_hyp(decoder, &bestScore), hypothesis.pointee != 0 else { return nil }
        let phrase = String(cString: hypothesis).trimmingSpaces()
        let end = chunk.endSample
        var start = end - Int64(AudioFormat.speech.samples(forMilliseconds: 700))
        var confidence = 1.0
        if let segment = ps_seg_iter(decoder) {
            var first: Int32 = 0
            var last: Int32 = 0
            ps_seg_frames(segment, &first, &last)
            var acoustic: Int32 = 0, language: Int32 = 0, backoff: Int32 = 0
            confidence = Self.score(forDetectionProbability: ps_seg_prob(segment, &acoustic, &language, &backoff))
            ps_seg_free(segment)
            // Frame numbers count from the decoder's creation, across utterances.
            // PocketSphinx 0.8 numbers frames from the decoder's creation in some states and from the
            // utterance's start in others; a phrase lasts between a tenth of a second and three seconds,
            // which tells the two apart. Otherwise the default (700 ms) stands.
            let plausible = (end - 48_000)...(end - 1_600)
            let sinceCreation = end - (decoderSamples / 160 - Int64(first)) * 160
            let sinceUtterance = utteranceStart + Int64(first) * 160
            if plausible.contains(sinceCreation) {
                start = sinceCreation
            } else if plausible.contains(sinceUtterance) {
                start = sinceUtterance
            }
        }
        // Restart the utterance so the same phrase is not reported twice.
        ps_end_utt(decoder)
        inUtterance = false
        guard end > quietUntil else { return nil }
        if let verifier {
            guard verifier.confirms(recent.phrase(from: start)) else {
                rejectedNearMisses += 1
                return nil
            }
        }
        quietUntil = end + Int64(AudioFormat.speech.samples(forMilliseconds: settings.refractoryMilliseconds))
        return WakeDetection(phrase: phrase, startSample: max(start, 0), endSample: end,
                             score: confidence)
    }

    public func reset() throws(CubbyError) {
        if inUtterance { ps_end_utt(decoder) }
        inUtterance = false
    }
}
