/// How the persona sounds when synthesized on the device.
public struct VoiceSettings: Sendable, Hashable {
    /// An espeak-ng voice name, e.g. "en-us" or "cmn".
    public var voice: String
    /// Words per minute (espeak-ng accepts 80…450).
    public var rate: Int
    /// 0…100; a toy's voice usually sits above the default 50.
    public var pitch: Int

    public init(voice: String = "en-us", rate: Int = 160, pitch: Int = 60) {
        self.voice = voice
        self.rate = rate
        self.pitch = pitch
    }
}
