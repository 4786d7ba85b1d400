import CubbyCore
import CubbyWake
import Foundation

/// The neural wake-word engine: microWakeWord's front end and model on the capture stream, with the
/// manifest's decision rule — the mean of the last `sliding_window_size` probabilities above
/// `probability_cutoff` — then a refractory period so one phrase wakes the toy once. Optionally a second
/// stage: PocketSphinx decodes the detected stretch against the phrase's near misses and the detection
/// stands only if the phrase wins.
public final class MicroWakeDetector: WakeDetector {
    public let model: MicroWakeModel
    public let phrase: String
    /// The cutoff in use: the manifest's, moved by the parent's sensitivity.
    public let cutoff: Double
    private let refractorySamples: Int64
    private let verifier: NearMissVerifier?
    private var frontend = MicroFrontend()
    private var probabilities: [Double] = []
    /// The stream position of the front end's first sample since the last reset.
    private var origin: Int64?
    private var frames: Int64 = 0
    /// Samples fed since the last feature frame's step (the front end's unfinished window).
    private var pendingSamples = 0
    private var quietUntil: Int64 = .min
    /// The end of the first step of the current rise (a probability above half the cutoff).
    private var riseEnd: Int64?
    /// The second stage turned this rise down: no new decision until the probability falls back.
    private var rejectedRise = false
    private var recent = RecentAudio()
    /// Detections the second stage turned down, for logs and the benchmark.
    public private(set) var rejectedNearMisses = 0

    /// `sensitivity` 0.5 keeps the manifest's cutoff; each 0.1 above lowers it by 0.02 (hears more
    /// readily), each 0.1 below raises it, within 0.5-0.99.
    public static func cutoff(manifest: Double, sensitivity: Double) -> Double {
        min(max(0.99, manifest), max(min(0.5, manifest), manifest + (0.5 - sensitivity) * 0.2))
    }

    /// `cutoff`, when given, replaces the manifest's and the sensitivity's (for makers tuning a model, and
    /// the benchmark's sweep).
    /// Why the second stage could not be built (a phrase PocketSphinx cannot say), when it was asked for:
    /// the model then listens alone.
    public let secondStageProblem: CubbyError?

    public init(manifestPath: String, settings: WakeSettings, secondStage: Bool = false, cutoff: Double? = nil) throws(CubbyError) {
        model = try MicroWakeModel(manifestPath: manifestPath)
        phrase = settings.phrases.first ?? model.manifest.wakeWord.lowercased()
        self.cutoff = cutoff ?? Self.cutoff(manifest: model.manifest.probabilityCutoff, sensitivity: settings.sensitivity)
        refractorySamples = Int64(AudioFormat.speech.samples(forMilliseconds: settings.refractoryMilliseconds))
        var problem: CubbyError?
        var verifier: NearMissVerifier?
        if secondStage {
            do { verifier = try NearMissVerifier(phrases: settings.phrases, pronunciations: settings.pronunciations) } catch { problem = error }
        }
        self.verifier = verifier
        secondStageProblem = problem
    }

    public func process(_ chunk: AudioChunk) throws(CubbyError) -> WakeDetection? {
        // A gap in the stream (audio dropped, a jump) starts the features afresh, so positions stay true.
        if let origin, origin + frames * Int64(MicroFrontend.step) + Int64(pendingSamples) != chunk.startSample { try reset() }
        if origin == nil { origin = chunk.startSample }
        // The model hears the echo-cancelled signal before noise suppression and gain (`uplink`), as it was
        // trained on natural audio: measured, suppressed audio misses more wake words (docs/wakeword.md).
        let samples = chunk.uplink ?? chunk.samples
        pendingSamples += samples.count
        if verifier != nil { recent.remember(chunk) }
        var detection: WakeDetection?
        var start = samples.startIndex
        while start < samples.endIndex {
            let (features, consumed) = frontend.process(samples[start...])
            start += consumed
            guard let features else { continue }
            frames += 1
            pendingSamples -= MicroFrontend.step
            guard let step = try model.feed(features) else { continue }
            // Frame k covers samples [160k, 160k + 480) of the stream since the reset.
            let end = (origin ?? 0) + (frames - 1) * Int64(MicroFrontend.step) + 480
            if let found = decide(step.probability, end: end), detection == nil { detection = found }
        }
        return detection
    }

    private func decide(_ probability: Double, end: Int64) -> WakeDetection? {
        if probability > cutoff / 2 {
            riseEnd = riseEnd ?? end
        } else {
            riseEnd = nil
            rejectedRise = false
        }
        probabilities.append(probability)
        if probabilities.count > model.manifest.slidingWindow { probabilities.removeFirst() }
        guard probabilities.count == model.manifest.slidingWindow, end > quietUntil, !rejectedRise else { return nil }
        let mean = probabilities.reduce(0, +) / Double(probabilities.count)
        guard mean > cutoff else { return nil }
        // The phrase began before its probabilities rose: a name is about 0.6 s.
        let start = max((riseEnd ?? end) - Int64(AudioFormat.speech.samples(forMilliseconds: 600)), origin ?? 0)
        if let verifier {
            guard verifier.confirms(recent.phrase(from: start)) else {
                // One decode per rise: the same stretch is not decoded again while the model stays high.
                rejectedNearMisses += 1
                rejectedRise = true
                return nil
            }
        }
        quietUntil = end + refractorySamples
        probabilities.removeAll()
        return WakeDetection(phrase: phrase, startSample: start, endSample: end, score: mean)
    }

    /// Forgets everything heard: the front end, the model's state, the window.
    public func reset() throws(CubbyError) {
        frontend.reset()
        model.reset()
        probabilities.removeAll()
        origin = nil
        frames = 0
        pendingSamples = 0
        riseEnd = nil
        rejectedRise = false
        recent.forget()
    }
}
