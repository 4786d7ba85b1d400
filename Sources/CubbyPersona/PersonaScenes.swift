import CubbyCore

/// A scene as a persona pack describes it: how the toy behaves for a while (story time, bedtime, a
/// pirate adventure of the maker's own). The built-in scenes (`builtInSceneIDs`) are described by Cubby
/// itself; a pack gives only their lines. A pack's own scenes (`[scenes.<id>]`) say everything.
public struct PersonaScene: Sendable, Equatable {
    public var id: String
    /// Added to the model's instructions while the scene lasts.
    public var prompt: String
    /// What a child says to ask for it, in any of the pack's languages ("let's be pirates", "海盗游戏").
    public var requests: [String]
    /// Speaking rate, as a percentage of the persona's.
    public var ratePercent: Int
    /// Loudness, as a percentage of the toy's volume (never above the parent's cap).
    public var volumePercent: Int
    /// The device tools the model may use in it (within the persona's own); nil keeps the persona's.
    public var tools: Set<String>?
    /// The light pattern and motion the scene prefers, by the hardware layer's names.
    public var light: String?
    public var motion: String?
    /// How long the toy waits for the child's answer.
    public var listenSeconds: Int?
    /// After this many answers the scene ends with its closing line and the toy rests (bedtime).
    public var turns: Int?

    public init(id: String, prompt: String, requests: [String] = [], ratePercent: Int = 100, volumePercent: Int = 100, tools: Set<String>? = nil,
                light: String? = nil, motion: String? = nil, listenSeconds: Int? = nil, turns: Int? = nil) {
        self.id = id
        self.prompt = prompt
        self.requests = requests
        self.ratePercent = ratePercent
        self.volumePercent = volumePercent
        self.tools = tools
        self.light = light
        self.motion = motion
        self.listenSeconds = listenSeconds
        self.turns = turns
    }

    /// The scenes Cubby itself defines (`CubbyScenes`); a pack may give their lines but not redefine them.
    public static let builtInSceneIDs = ["chat", "story", "bedtime", "morning", "learning_game"]
}

/// One scene's lines in one language. Empty lists fall back to the persona's matching lines (story
/// openers, bedtime, morning) and then to Cubby's own.
public struct SceneLines: Sendable, Equatable {
    /// Said when the scene starts (by a routine, a parent, or the child asking).
    public var opening: [String] = []
    /// Said when the scene ends (bedtime's goodnight).
    public var closing: [String] = []
    /// Said instead of the model's answer when there is no cloud.
    public var offline: [String] = []

    public init(opening: [String] = [], closing: [String] = [], offline: [String] = []) {
        self.opening = opening
        self.closing = closing
        self.offline = offline
    }

    var all: [(field: String, text: String)] {
        [("opening", opening), ("closing", closing), ("offline", offline)].flatMap { name, lines in
            lines.enumerated().map { ("\(name)[\($0.offset)]", $0.element) }
        }
    }
}
