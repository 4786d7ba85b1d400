import CSpeexDSP
import CubbyCore

/// The microphone's first stop: per 10 ms frame, acoustic echo cancellation against what the toy is
/// playing (speexdsp's MDF canceller), then noise suppression, residual-echo suppression and automatic
/// gain (speexdsp's preprocessor).
///
/// The wake word and the endpointer hear the fully cleaned signal, so the toy does not wake itself and a
/// child can interrupt it. The uplink (`AudioChunk.uplink`) is the echo-cancelled signal before noise
/// suppression and gain: cloud recognisers do better on natural audio than on suppressed audio (measured
/// with PocketSphinx on the bundled samples: noise suppression turned "why is the sky blue" into "why is
/// this kindly"). Input chunks of any length are accepted; a remainder shorter
/// than a frame waits for the next chunk, so output lags input by under 10 ms. Not thread-safe: the
/// capture consumer owns it.
public final class VoiceFrontEnd {
    public static let frameSamples = AudioFormat.speech.samples(forMilliseconds: 10)

    public let settings: FrontEndSettings
    private let reference: EchoReference?
    private var echo: OpaquePointer?
    private var preprocess: OpaquePointer?
    private var pending: [Int16] = []
    private var pendingStart: Int64 = 0
    private var output: [Int16]
    private var cleaned: [Int16]

    public init(settings: FrontEndSettings, reference: EchoReference?) throws(CubbyError) {
        self.settings = settings
        self.reference = settings.echoCancellation ? reference : nil
        let frame = Int32(Self.frameSamples)
        let rate = Int32(AudioFormat.speech.sampleRate)
        output = [Int16](repeating: 0, count: Self.frameSamples)
        cleaned = output
        if self.reference != nil {
            let tail = Int32(AudioFormat.speech.samples(forMilliseconds: settings.echoTailMilliseconds))
            guard let state = speex_echo_state_init(frame, tail) else {
                throw CubbyError(.library, "speex_echo_state_init failed", context: "echo canceller")
            }
            var sampleRate = rate
            speex_echo_ctl(state, SPEEX_ECHO_SET_SAMPLING_RATE, &sampleRate)
            echo = state
        }
        guard !settings.isBypass || echo != nil else { return }
        guard let state = speex_preprocess_state_init(frame, rate) else {
            throw CubbyError(.library, "speex_preprocess_state_init failed", context: "front end")
        }
        preprocess = state
        var on: Int32 = 1, off: Int32 = 0
        var denoise = settings.noiseSuppressionDB == nil ? off : on
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &denoise)
        if var level = settings.noiseSuppressionDB.map(Int32.init) {
            speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &level)
        }
        var agc = settings.automaticGain ? on : off
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC, &agc)
        var agcLevel: Float = 8_000
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC_LEVEL, &agcLevel)
        var maxGain = Int32(settings.maximumGainDB)
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, &maxGain)
        // speexdsp's own VAD stays off (its default): it is a stub that prints a warning when touched.
        if let echo {
            speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_ECHO_STATE, UnsafeMutableRawPointer(echo))
        }
    }

    deinit {
        if let echo { speex_echo_state_destroy(echo) }
        if let preprocess { speex_preprocess_state_destroy(preprocess) }
    }

    /// Cleans a chunk; the result covers whole frames only, with its own absolute start index.
    public func process(_ chunk: AudioChunk) -> AudioChunk {
        if settings.isBypass && echo == nil { return chunk }
        if pending.isEmpty { pendingStart = chunk.startSample }
        pending += chunk.samples
        let frames = pending.count / Self.frameSamples
        var result: [Int16] = []
        var uplink: [Int16] = []
        result.reserveCapacity(frames * Self.frameSamples)
        uplink.reserveCapacity(frames * Self.frameSamples)
        for index in 0..<frames {
            let range = index * Self.frameSamples ..< (index + 1) * Self.frameSamples
            let (cleaned, echoFree) = processFrame(pending[range])
            result += cleaned
            uplink += echoFree
        }
        let start = pendingStart
        pending.removeFirst(frames * Self.frameSamples)
        pendingStart += Int64(frames * Self.frameSamples)
        return AudioChunk(startSample: start, samples: result, uplink: preprocess == nil ? nil : uplink)
    }

    /// Forgets adaptation (a new device, a long pause): the canceller relearns the echo path.
    public func reset() {
        if let echo { speex_echo_state_reset(echo) }
        pending.removeAll()
    }

    /// One frame: (fully cleaned, echo-cancelled only).
    private func processFrame(_ frame: ArraySlice<Int16>) -> ([Int16], [Int16]) {
        var input = Array(frame)
        if let echo, let reference {
            var played = reference.pull(Self.frameSamples)
            speex_echo_cancellation(echo, &input, &played, &cleaned)
            input = cleaned
        }
        let echoFree = input
        if let preprocess {
            _ = speex_preprocess_run(preprocess, &input)
        }
        return (input, echoFree)
    }
}
