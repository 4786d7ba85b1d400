/// What a wake-word engine must listen for, from the persona and the parent's settings.
public struct WakeSettings: Sendable, Equatable {
    public var phrases: [String]
    /// 0 hears the phrase only when it is very clear; 1 hears it readily and risks false wakes.
    public var sensitivity: Double
    /// After a detection, further detections are ignored this long (one phrase, one wake).
    public var refractoryMilliseconds: Int
    /// Pronunciations (ARPAbet) for words the dictionary lacks, e.g. "momo": "M OW M OW".
    public var pronunciations: [String: String]
    /// Decode each detection again against the phrase's near misses ("hey daddy" for "hey teddy") and keep
    /// it only if the phrase wins.
    public var verifyNearMisses = false

    public static let defaultSensitivity = 0.5

    public init(phrases: [String], sensitivity: Double = defaultSensitivity, refractoryMilliseconds: Int = 1_500,
                pronunciations: [String: String] = [:]) {
        self.phrases = phrases
        self.sensitivity = sensitivity
        self.refractoryMilliseconds = refractoryMilliseconds
        self.pronunciations = pronunciations
    }
}
