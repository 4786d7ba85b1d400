import CubbyCore
import CubbySafety

/// Who the toy is: the character a maker ships in a persona pack and a family can move to a new body.
///
/// A persona speaks one or more languages (`locales`, the first one primary). The flat accessors
/// (`name`, `greeting`, `offlineLines`, `redirect(for:)`…) answer for the primary locale;
/// `locale(for:)` picks the one that matches what the child said.
public struct Persona: Sendable, Equatable {
    public var id: String
    public var version: SemanticVersion
    /// In order of preference; never empty.
    public var locales: [PersonaLocale]
    public var ageRange: ClosedRange<Int>
    public var maker: String?
    public var wake: WakeSettings
    public var wakeEngine: WakeEngineKind
    /// A model file in the pack for the neural wake-word engine, when the pack carries one.
    public var wakeModelPath: String?
    /// Whether the neural engine's detections are checked again by PocketSphinx against the phrase's near
    /// misses (`[wake] second_stage`). Off by default: measured on the benchmark, the check removes the
    /// model's rare false alarms but, at the model's own cutoff, misses far more wake words; a maker who
    /// turns it on should lower the cutoff (docs/wakeword.md).
    public var wakeSecondStage = false
    /// The cloud text-to-speech voice id, used when the cloud speaks for the toy.
    public var cloudVoice: String?
    public var rate: Int
    public var pitch: Int
    public var expressions: ExpressionMap
    /// Topics the maker wants this character to stay away from (added to the built-in rules).
    public var blockedTopics: [String] = []
    /// The pack's own rule file (`[safety] rules`), added to the built-in rules; it cannot remove any.
    public var safetyRulesPath: String?
    /// The device tools this character may use (`set_volume`, `express`, `end_conversation`); nil: all.
    public var allowedTools: Set<String>?
    /// Where the pack was loaded from.
    public var sourcePath: String
    /// The pack's own scenes (`[scenes.<id>]`), by id; the built-in ones are Cubby's.
    public var scenes: [String: PersonaScene] = [:]

    public static let defaultCoolDownLine = "Let's take a little break from talking now. I'll be right here when you want to play later!"

    public var primary: PersonaLocale { locales[0] }
    public var name: String { primary.name }
    /// BCP-47 language of the primary locale, e.g. "en" or "zh".
    public var language: String { primary.code }
    public var personality: String { primary.prompt }
    public var greeting: String { primary.lines.greetings[0] }
    public var offlineLines: [String] { primary.lines.offline }
    public var coolDownLine: String { primary.lines.coolDown }
    public var redirects: [SafetyCategory: String] { primary.redirects }
    public var defaultRedirect: String { primary.defaultRedirect }
    /// How the primary locale sounds offline.
    public var voice: VoiceSettings { primary.voice(rate: rate, pitch: pitch) }

    public func redirect(for category: SafetyCategory) -> String { primary.redirect(for: category) }

    /// An offline line, rotating so the toy does not repeat itself word for word.
    public func offlineLine(turn: Int) -> String { primary.offlineLine(turn: turn) }

    /// The locale to answer in when the child said `text`: Chinese characters pick `zh` when the persona
    /// speaks it, anything else the primary locale.
    public func locale(for text: String) -> PersonaLocale {
        let chinese = text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
        if chinese, let zh = locales.first(where: { $0.code == "zh" }) { return zh }
        if !chinese, primary.code == "zh", let en = locales.first(where: { $0.code == "en" }), text.contains(where: \.isLetter) { return en }
        return primary
    }

    /// Every line the toy may say on its own, in every locale (for the safety check and the phrase cache).
    public var allLines: [(locale: String, field: String, text: String)] {
        locales.flatMap { locale in locale.allLines.map { (locale.code, $0.field, $0.text) } }
    }
}

/// One language of a persona: what the toy is called in it, its prompt, its lines and redirects.
public struct PersonaLocale: Sendable, Equatable {
    /// "en" or "zh".
    public var code: String
    public var name: String
    /// The espeak-ng voice for offline speech in this language ("en-us", "cmn").
    public var espeakVoice: String
    public var prompt: String
    public var lines: PersonaLines
    /// Spoken instead of a held-back sentence, one per safety category.
    public var redirects: [SafetyCategory: String]
    public var defaultRedirect: String
    /// Each scene's lines in this language (`[locale.<code>.scenes.<id>]`), built-in scenes included.
    public var sceneLines: [String: SceneLines] = [:]

    public func redirect(for category: SafetyCategory) -> String { redirects[category] ?? defaultRedirect }

    public func offlineLine(turn: Int) -> String { lines.offline[abs(turn) % lines.offline.count] }

    public func voice(rate: Int, pitch: Int) -> VoiceSettings { VoiceSettings(voice: espeakVoice, rate: rate, pitch: pitch) }

    public var allLines: [(field: String, text: String)] {
        var result = lines.all
        result.append(("redirects.default", defaultRedirect))
        for category in redirects.keys.sorted() { result.append(("redirects.\(category.rawValue)", redirects[category]!)) }
        for scene in sceneLines.keys.sorted() { result += sceneLines[scene]!.all.map { ("scenes.\(scene).\($0.field)", $0.text) } }
        return result
    }
}

/// The fixed lines of one locale, by the moment they are for.
public struct PersonaLines: Sendable, Equatable {
    public var greetings: [String]
    public var goodbyes: [String]
    public var bedtime: [String]
    public var morning: [String]
    /// Rest reminders during long play.
    public var breaks: [String]
    /// The daily limit is reached.
    public var timeLimit: [String]
    public var storyOpeners: [String]
    /// Said when there is no cloud or it fails: the toy never goes silent.
    public var offline: [String]
    /// Said when repeated attempts to break the rules start a cool-down.
    public var coolDown: String
    /// The minor mode's lines. Optional in a pack: the toy has its own kind ones in each language.
    public var time: TimeLines = .english

    /// What the toy says about time and about itself, in the minor mode the daemon enforces.
    public struct TimeLines: Sendable, Equatable {
        /// A limit is near; `{minutes}` is replaced by the minutes left.
        public var warning: [String]
        /// The wake phrase after today's play is used up: nothing goes to the cloud.
        public var seeYouTomorrow: [String]
        /// The toy says it is a toy with a computer brain: at first use, when asked, at the parent's interval.
        public var aboutMe: [String]
        /// A child asks the toy to change a parent's rule: kindly, nothing changes.
        public var onlyGrownUps: [String]

        public static let english = TimeLines(
            warning: ["We have about {minutes} more minutes to play, so let's make them fun!"],
            seeYouTomorrow: ["I'm all played out for today. Let's play again tomorrow! Bye for now."],
            aboutMe: ["I'm a toy with a little computer brain inside, not a person. Chatting with you is fun!"],
            onlyGrownUps: ["Only your grown-up can change my play times. You could ask them about it later."])

        public static let chinese = TimeLines(
            warning: ["我们还能再玩大约{minutes}分钟，好好玩吧！"],
            seeYouTomorrow: ["今天我们玩够啦，明天再一起玩吧！拜拜。"],
            aboutMe: ["我是一个有电脑大脑的玩具，不是真人哦。和你聊天很开心！"],
            onlyGrownUps: ["只有爸爸妈妈才能改我的玩耍时间哦。你可以去问问他们。"])

        /// The toy's own lines for a language.
        public static func builtIn(for locale: String) -> TimeLines { locale == "zh" ? .chinese : .english }

        /// A warning line with the minutes filled in.
        public func warning(minutes: Int, turn: Int = 0) -> String {
            warning[turn % warning.count].replacingOccurrences(of: "{minutes}", with: "\(minutes)")
        }
    }

    /// Field name (as in persona.toml) and line, for every line.
    public var all: [(field: String, text: String)] {
        let lists: [(String, [String])] = [
            ("greetings", greetings), ("goodbyes", goodbyes), ("bedtime", bedtime), ("morning", morning),
            ("break", breaks), ("time_limit", timeLimit), ("story_openers", storyOpeners), ("offline", offline),
            ("time_warning", time.warning), ("see_you_tomorrow", time.seeYouTomorrow), ("about_me", time.aboutMe),
            ("only_grown_ups", time.onlyGrownUps),
        ]
        var result = lists.flatMap { name, lines in lines.enumerated().map { ("lines.\(name)[\($0.offset)]", $0.element) } }
        result.append(("lines.cool_down", coolDown))
        return result
    }
}

/// Which wake-word engine listens for the persona's phrase.
public enum WakeEngineKind: String, Sendable, CaseIterable {
    case pocketsphinx
    /// The neural engine; needs a model file in the pack.
    case microwakeword
}

/// How the character shows a feeling or answers a touch: a motion, a light pattern and a sound, each
/// optional. Names are the hardware layer's; sounds are files in the pack.
public struct PersonaExpression: Sendable, Equatable {
    public var motion: String?
    public var light: String?
    /// A path inside the pack.
    public var sound: String?

    public init(motion: String? = nil, light: String? = nil, sound: String? = nil) {
        self.motion = motion
        self.light = light
        self.sound = sound
    }
}

public struct ExpressionMap: Sendable, Equatable {
    public static let requiredEmotions = ["happy", "sad", "surprised", "sleepy", "curious", "calm"]
    public static let requiredGestures = ["pat", "hug", "shake", "pick_up"]
    public static let knownGestures = requiredGestures + ["put_down", "fall"]

    public var emotions: [String: PersonaExpression]
    public var gestures: [String: PersonaExpression]

    public init(emotions: [String: PersonaExpression] = [:], gestures: [String: PersonaExpression] = [:]) {
        self.emotions = emotions
        self.gestures = gestures
    }

    /// Every sound file the map names.
    public var soundFiles: [String] {
        Array(Set((Array(emotions.values) + Array(gestures.values)).compactMap(\.sound))).sorted()
    }
}
