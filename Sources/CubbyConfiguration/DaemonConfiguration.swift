import CubbyAudio
import CubbyCore
import Logging

/// Everything `cubbyd.toml` says, validated. The reference with every key and default is
/// `docs/configuration.md`; a test keeps the two in step.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Where the file came from (nil: built-in defaults).
    public var sourcePath: String?

    // [device]
    public var boardFolder: String
    public var personaFolder: String
    public var dataDirectory: String
    /// The parent muted the microphone: nothing is captured until it is unmuted.
    public var muted = false
    /// The loudest the toy may play (0–100); the model's `set_volume` is held under it.
    public var maxVolume = 80

    // [personas]
    public var personaPacks = PersonaPackSettings(dataDirectory: "/var/lib/cubby")

    // [privacy]
    /// Conversation transcripts older than this many days are deleted; memories stay until deleted.
    public var transcriptDays = 30

    // [limits]
    /// The minor mode the daemon enforces: time budgets, quiet hours, rest and AI reminders.
    public var limits = PlayLimits()

    // [parents]
    public var parents = ParentSettings()
    // [scenes]
    public var scenes = SceneSettings()

    // [control]
    /// The local control channel's Unix socket (`cubby` talks to it).
    public var controlSocket = "/var/lib/cubby/control.sock"

    // [child]
    public var childAge: Int
    public var childName: String?
    /// The language the child speaks ("en", "zh"); nil: whichever the persona speaks first.
    public var childLanguage: String?

    // [wake]
    /// Overrides the persona's sensitivity when set.
    public var wakeSensitivity: Double?
    /// The wake phrase (or the talk button) interrupts the toy while it speaks.
    public var bargeIn = true
    /// Each wake detection is decoded again against the phrase's near misses.
    public var verifyNearMisses = true

    // [conversation]
    public var endpointer: EndpointerSettings
    /// Earlier turns of the conversation sent along with each request.
    public var historyTurns: Int
    /// The most the prompt may take (estimated tokens): earlier turns are dropped, oldest first, to fit.
    public var promptTokenBudget = 3_000
    /// After answering, keep listening for a follow-up without the wake phrase.
    public var followUp: Bool

    // [speech]
    /// A cloud voice for the model's sentences (nil: espeak-ng, on the device). Fixed lines (redirects,
    /// offline lines) are always spoken on the device.
    public var speech: CloudSpeechSettings?

    // [safety]
    public var safety = SafetySettings()

    // [cloud]
    /// nil when no cloud is configured: the toy answers with its offline lines.
    public var cloud: CloudSettings?
    /// Set instead of `cloud` when `[cloud] provider = "xiaozhi"`: an existing xiaozhi-esp32-server does
    /// recognition, the model and speech; the toy still checks every sentence before it is played.
    public var xiaozhi: XiaozhiSettings?

    // [log]
    public var logLevel: Logger.Level

    public static let defaultPath = "/etc/cubby/cubbyd.toml"

    /// The cloud in use, for logs and `--check-config`, without keys; nil when there is none.
    public var cloudDescription: String? {
        xiaozhi.map { "xiaozhi \($0)" } ?? cloud.map { "\($0)" }
    }
}

extension CloudSettings: CustomStringConvertible {
    /// Never shows the key.
    public var description: String {
        "\(baseURL) (chat \(chatModel), transcription \(transcriptionModel), key \(apiKey == nil ? "none" : "set"))"
    }
}
