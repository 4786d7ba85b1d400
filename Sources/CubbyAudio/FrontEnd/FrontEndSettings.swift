/// How the microphone signal is cleaned before the wake word, the endpointer and the uplink hear it.
/// Board-specific (speaker–microphone coupling, mic gain), so it lives in the board file.
public struct FrontEndSettings: Sendable, Equatable {
    /// Cancel the toy's own voice using what it is playing as the reference.
    public var echoCancellation = true
    /// How long an echo path the canceller models; covers the device buffers plus the room.
    public var echoTailMilliseconds = 200
    /// Noise suppression; nil turns it off. Negative dB of attenuation for noise.
    public var noiseSuppressionDB: Int? = -15
    /// Automatic gain: quiet children and a far-away mic are brought up to a steady level.
    public var automaticGain = true
    /// Largest gain AGC may apply, in dB, so room noise is not pumped up in silence.
    public var maximumGainDB = 20

    public init() {}

    /// Everything off: the raw microphone (tests of other parts, and a board with a DSP of its own).
    public static let bypass: FrontEndSettings = {
        var settings = FrontEndSettings()
        settings.echoCancellation = false
        settings.noiseSuppressionDB = nil
        settings.automaticGain = false
        return settings
    }()

    public var isBypass: Bool { !echoCancellation && noiseSuppressionDB == nil && !automaticGain }
}
