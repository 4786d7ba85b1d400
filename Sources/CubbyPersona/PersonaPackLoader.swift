import CubbyCore
import CubbySafety
import Foundation

/// Reads `persona.toml` (format 2, `docs/persona-format.md`) from a pack's files.
///
/// Packs come from makers and, later, from anywhere a family copies them, so everything is bounded and
/// checked: file size, text lengths, list lengths, category and emotion names, paths that must stay inside
/// the pack. Unknown keys are errors. Errors name the file and the key.
public enum PersonaPackLoader {
    public static let manifestName = "persona.toml"
    public static let currentFormat = 2
    static let maximumManifestBytes = 256 * 1024
    static let maximumLineLength = 500
    static let maximumPromptLength = 8_000
    static let maximumLinesPerList = 50
    public static let supportedLocales = ["en", "zh"]
    public static let knownTools = ["end_conversation", "express", "forget", "remember", "set_volume"]

    /// Loads the pack in `directory`.
    public static func load(directory: String) throws(CubbyError) -> Persona {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CubbyError(.persona, "persona pack folder does not exist", context: directory)
        }
        return try load(PackFolder(directory))
    }

    public static func load(_ files: some PersonaPackFiles) throws(CubbyError) -> Persona {
        let path = files.location + "/" + manifestName
        guard let bytes = files.bytes(of: manifestName) else {
            throw CubbyError(.persona, "\(manifestName) is missing", context: files.location)
        }
        guard bytes.count <= maximumManifestBytes else {
            throw CubbyError(.persona, "\(manifestName) is \(bytes.count) bytes; the limit is \(maximumManifestBytes)", context: path)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CubbyError(.persona, "\(manifestName) is not UTF-8 text", context: path)
        }
        let root = try TOMLSection.parse(text, file: path)
        return try decode(root, files: files)
    }

    static func decode(_ root: TOMLSection, files: some PersonaPackFiles) throws(CubbyError) -> Persona {
        let format = try root.integer("format", default: 0, in: 0...Int.max)
        if format == 1 {
            throw root.error("format", "1 is the old single-language layout and is no longer loaded; move the pack to format 2 "
                + "(version, locales, age_range, and [locale.<code>] tables for name, prompt, lines and redirects) as docs/persona-format.md shows")
        }
        guard format == currentFormat else {
            throw root.error("format", format == 0 ? "is required (use \(currentFormat))" : "\(format) is not supported (expected \(currentFormat))")
        }
        let id = try root.requiredString("id")
        guard id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw root.error("id", "\"\(id.prefix(64))\" must be 1-64 characters of a-z, 0-9 and -")
        }
        let versionText = try root.requiredString("version")
        guard let version = SemanticVersion(versionText) else {
            throw root.error("version", "\"\(versionText.prefix(64))\" is not a semantic version like 1.2.0")
        }
        guard let localeCodes = try root.strings("locales"), !localeCodes.isEmpty else {
            throw root.error("locales", "at least one locale is required (\(supportedLocales.joined(separator: ", ")))")
        }
        for code in localeCodes where !supportedLocales.contains(code) {
            throw root.error("locales", "\"\(code.prefix(16))\" is not supported (supported: \(supportedLocales.joined(separator: ", ")))")
        }
        guard Set(localeCodes).count == localeCodes.count else { throw root.error("locales", "lists a locale twice") }
        let ageRange = try ages(root)
        let maker = try root.string("maker")
        if let maker, maker.isEmpty || maker.count > 100 { throw root.error("maker", "must be 1-100 characters") }

        let (wake, engine, model, wakeSecondStage) = try wake(root, files: files)

        let voiceTable = try root.section("voice")
        let cloudVoice = try voiceTable.string("cloud_voice")
        if let cloudVoice, cloudVoice.isEmpty || cloudVoice.count > 64 { throw voiceTable.error("cloud_voice", "must be 1-64 characters") }
        let rate = try voiceTable.integer("rate", default: 160, in: 80...450)
        let pitch = try voiceTable.integer("pitch", default: 60, in: 0...100)

        let scenes = try scenes(try root.section("scenes"))
        let localeTable = try root.section("locale")
        var locales: [PersonaLocale] = []
        for code in localeCodes {
            guard localeTable.contains(code) else { throw localeTable.error(code, "is missing: every locale in `locales` needs its table") }
            locales.append(try locale(code, try localeTable.section(code), scenes: Set(scenes.keys).union(PersonaScene.builtInSceneIDs)))
        }
        for key in localeTable.values.keys.sorted() where !localeCodes.contains(key) {
            throw localeTable.error(key, "is not listed in `locales`")
        }

        let expressions = try expressions(try root.section("expressions"), files: files)

        let toolsTable = try root.section("tools")
        var allowedTools: Set<String>?
        if let allowed = try toolsTable.strings("allowed") {
            for name in allowed where !knownTools.contains(name) {
                throw toolsTable.error("allowed", "unknown tool \"\(name.prefix(32))\" (known: \(knownTools.joined(separator: ", ")))")
            }
            allowedTools = Set(allowed)
        }

        let safety = try root.section("safety")
        let blockedTopics = try safety.strings("blocked_topics") ?? []
        guard blockedTopics.count <= 200, blockedTopics.allSatisfy({ !$0.trimmingSpaces().isEmpty && $0.count <= 80 }) else {
            throw safety.error("blocked_topics", "at most 200 topics of 1-80 characters each")
        }
        var rulesPath: String?
        if let rules = try safety.string("rules") {
            // The file must be inside the pack: a pack is installed as a unit and must not reach elsewhere.
            if let problem = PackPath.problem(with: rules) { throw safety.error("rules", "\"\(rules.prefix(100))\" \(problem): it must be a path inside the persona pack") }
            guard files.contains(rules) else { throw safety.error("rules", "\(rules) does not exist in the pack") }
            rulesPath = files.diskPath(of: rules) ?? files.location + "/" + rules
        }

        try root.finish()
        var persona = Persona(
            id: id, version: version, locales: locales, ageRange: ageRange, maker: maker,
            wake: wake, wakeEngine: engine, wakeModelPath: model, cloudVoice: cloudVoice, rate: rate, pitch: pitch,
            expressions: expressions, sourcePath: files.location)
        persona.wakeSecondStage = wakeSecondStage
        persona.blockedTopics = blockedTopics
        persona.safetyRulesPath = rulesPath
        persona.allowedTools = allowedTools
        persona.scenes = scenes
        return persona
    }

    private static func ages(_ root: TOMLSection) throws(CubbyError) -> ClosedRange<Int> {
        guard let ages = try root.integers("age_range") else { throw root.error("age_range", "is required, e.g. [3, 8]") }
        guard ages.count == 2 else { throw root.error("age_range", "expected two whole numbers, youngest and oldest, e.g. [3, 8]") }
        guard (3...12).contains(ages[0]), (3...12).contains(ages[1]), ages[0] <= ages[1] else {
            throw root.error("age_range", "[\(ages[0]), \(ages[1])] must lie within 3-12, youngest first")
        }
        return ages[0]...ages[1]
    }

    private static func wake(_ root: TOMLSection, files: some PersonaPackFiles) throws(CubbyError) -> (WakeSettings, WakeEngineKind, String?, Bool) {
        let table = try root.section("wake")
        let engineName = try table.choice("engine", of: WakeEngineKind.allCases.map(\.rawValue), default: WakeEngineKind.pocketsphinx.rawValue)
        let engine = WakeEngineKind(rawValue: engineName)!
        guard let phrases = try table.strings("phrases"), !phrases.isEmpty else {
            throw table.error("phrases", "at least one wake phrase is required")
        }
        guard phrases.count <= 4 else { throw table.error("phrases", "at most 4 wake phrases, found \(phrases.count)") }
        for phrase in phrases {
            let words = phrase.split(separator: " ")
            guard (1...4).contains(words.count), phrase.count <= 40,
                  phrase.allSatisfy({ ($0.isASCII && $0.isLetter) || $0 == " " || $0 == "'" }) else {
                throw table.error("phrases", "\"\(phrase.prefix(40))\" must be 1-4 words of latin letters (write Chinese names in pinyin, e.g. \"hey tuan tuan\")")
            }
        }
        let sensitivity = try table.number("sensitivity", default: WakeSettings.defaultSensitivity, in: 0...1)
        let pronunciations = try table.stringTable("pronunciations")
        for (word, phones) in pronunciations where !phones.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == " " }) || phones.isEmpty {
            throw table.error("pronunciations", "\"\(word.prefix(32))\": phones must be ARPAbet in capitals, e.g. \"M OW M OW\"")
        }
        var model: String?
        if let path = try table.string("model") {
            if let problem = PackPath.problem(with: path) { throw table.error("model", "\"\(path.prefix(100))\" \(problem)") }
            guard files.contains(path) else { throw table.error("model", "\(path) does not exist in the pack") }
            model = path
        }
        if engine == .microwakeword && model == nil { throw table.error("model", "the microwakeword engine needs a model: its manifest (.json), with the .tflite it names beside it") }
        let secondStage = try table.boolean("second_stage", default: false)
        if secondStage && engine != .microwakeword { throw table.error("second_stage", "is for the microwakeword engine (PocketSphinx's own check is the parent's verify_near_misses)") }
        return (WakeSettings(phrases: phrases.map { $0.lowercased() }, sensitivity: sensitivity, pronunciations: pronunciations), engine, model, secondStage)
    }

    static let maximumScenes = 16

    /// The pack's own scenes. A built-in scene is Cubby's: a pack gives only its lines.
    private static func scenes(_ table: TOMLSection) throws(CubbyError) -> [String: PersonaScene] {
        var scenes: [String: PersonaScene] = [:]
        guard table.values.count <= maximumScenes else { throw table.error(table.values.keys.sorted()[0], "at most \(maximumScenes) scenes") }
        for id in table.values.keys.sorted() {
            guard NameCheck.isName(id) else {
                throw table.error(id, "scene names are 1-32 characters of a-z, 0-9 and _")
            }
            guard !PersonaScene.builtInSceneIDs.contains(id) else {
                throw table.error(id, "is a built-in scene: a pack gives only its lines, in [locale.<code>.scenes.\(id)]")
            }
            let scene = try table.section(id)
            let requests = try scene.strings("requests") ?? []
            // A phrase too short ("ok", "go") would match nearly anything a child says.
            let longEnough = { (phrase: String) -> Bool in
                let trimmed = phrase.trimmingSpaces()
                return trimmed.count <= 60 && (trimmed.allSatisfy(\.isASCII) ? trimmed.split(separator: " ").count >= 2 && trimmed.count >= 6 : trimmed.count >= 2)
            }
            guard !requests.isEmpty, requests.count <= 20, requests.allSatisfy(longEnough) else {
                throw scene.error("requests", "1-20 phrases a child says to ask for the scene: two words or more (6-60 characters), or 2 or more Chinese characters")
            }
            var tools: Set<String>?
            if let names = try scene.strings("tools") {
                for name in names where !knownTools.contains(name) {
                    throw scene.error("tools", "unknown tool \"\(name.prefix(32))\" (known: \(knownTools.joined(separator: ", ")))")
                }
                tools = Set(names)
            }
            var cues: [String: String] = [:]
            for key in ["light", "motion"] {
                guard let value = try scene.string(key) else { continue }
                guard NameCheck.isCue(value) else {
                    throw scene.error(key, "\"\(value.prefix(32))\" must be 1-32 characters of a-z, 0-9, - and _")
                }
                cues[key] = value
            }
            let turns = try scene.integer("turns", default: 0, in: 0...50)
            let listen = try scene.integer("listen_seconds", default: 0, in: 0...30)
            scenes[id] = PersonaScene(
                id: id, prompt: try text(scene, "prompt", limit: 2_000), requests: requests.map { $0.trimmingSpaces().lowercased() },
                ratePercent: try scene.integer("voice_rate", default: 100, in: 60...140),
                volumePercent: try scene.integer("volume", default: 100, in: 10...100),
                tools: tools, light: cues["light"], motion: cues["motion"], listenSeconds: listen == 0 ? nil : listen, turns: turns == 0 ? nil : turns)
        }
        return scenes
    }

    /// `[locale.<code>.scenes.<id>]`: opening, closing and offline lines, each optional.
    private static func sceneLines(_ table: TOMLSection, known: Set<String>) throws(CubbyError) -> [String: SceneLines] {
        var result: [String: SceneLines] = [:]
        for id in table.values.keys.sorted() {
            guard known.contains(id) else {
                throw table.error(id, "is not a scene (built-in: \(PersonaScene.builtInSceneIDs.joined(separator: ", ")); a pack's own needs [scenes.\(id.prefix(32))])")
            }
            let lines = try table.section(id)
            result[id] = SceneLines(opening: try optionalList(lines, "opening") ?? [], closing: try optionalList(lines, "closing") ?? [],
                                    offline: try optionalList(lines, "offline") ?? [])
        }
        return result
    }

    private static func locale(_ code: String, _ table: TOMLSection, scenes: Set<String>) throws(CubbyError) -> PersonaLocale {
        let name = try text(table, "name")
        let voice = try table.string("espeak_voice", default: code == "zh" ? "cmn" : "en-us")
        guard (1...32).contains(voice.count), voice.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "+") }) else {
            throw table.error("espeak_voice", "\"\(voice.prefix(32))\" is not an espeak-ng voice name")
        }
        let prompt = try text(table, "prompt", limit: maximumPromptLength)

        let linesTable = try table.section("lines")
        var lines = PersonaLines(
            greetings: try list(linesTable, "greetings"), goodbyes: try list(linesTable, "goodbyes"),
            bedtime: try list(linesTable, "bedtime"), morning: try list(linesTable, "morning"),
            breaks: try list(linesTable, "break"), timeLimit: try list(linesTable, "time_limit"),
            storyOpeners: try list(linesTable, "story_openers"), offline: try list(linesTable, "offline"),
            coolDown: try text(linesTable, "cool_down"))
        let builtIn = PersonaLines.TimeLines.builtIn(for: code)
        lines.time = PersonaLines.TimeLines(
            warning: try optionalList(linesTable, "time_warning") ?? builtIn.warning,
            seeYouTomorrow: try optionalList(linesTable, "see_you_tomorrow") ?? builtIn.seeYouTomorrow,
            aboutMe: try optionalList(linesTable, "about_me") ?? builtIn.aboutMe,
            onlyGrownUps: try optionalList(linesTable, "only_grown_ups") ?? builtIn.onlyGrownUps)

        let redirectTable = try table.section("redirects")
        let defaultRedirect = try text(redirectTable, "default")
        var redirects: [SafetyCategory: String] = [:]
        for key in redirectTable.values.keys.sorted() where key != "default" {
            guard let category = SafetyCategory(rawValue: key) else {
                throw redirectTable.error(key, "unknown safety category (known: \(SafetyCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            redirects[category] = try text(redirectTable, key)
        }
        let missing = SafetyCategory.allCases.filter { redirects[$0] == nil }.map(\.rawValue)
        guard missing.isEmpty else {
            throw redirectTable.error(missing[0], "is missing: a pack needs a redirect line for every safety category (missing: \(missing.joined(separator: ", ")))")
        }
        var locale = PersonaLocale(code: code, name: name, espeakVoice: voice, prompt: prompt, lines: lines, redirects: redirects, defaultRedirect: defaultRedirect)
        locale.sceneLines = try sceneLines(try table.section("scenes"), known: scenes)
        return locale
    }

    private static func expressions(_ table: TOMLSection, files: some PersonaPackFiles) throws(CubbyError) -> ExpressionMap {
        var map = ExpressionMap()
        let emotions = try table.section("emotions")
        for name in emotions.values.keys.sorted() {
            guard name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "_") }) else {
                throw emotions.error(name, "emotion names are 1-32 characters of a-z and _")
            }
            map.emotions[name] = try expression(try emotions.section(name), files: files)
        }
        for name in ExpressionMap.requiredEmotions where map.emotions[name] == nil {
            throw emotions.error(name, "is missing: a pack shows at least \(ExpressionMap.requiredEmotions.joined(separator: ", "))")
        }
        let gestures = try table.section("gestures")
        for name in gestures.values.keys.sorted() {
            guard ExpressionMap.knownGestures.contains(name) else {
                throw gestures.error(name, "unknown gesture (known: \(ExpressionMap.knownGestures.joined(separator: ", ")))")
            }
            map.gestures[name] = try expression(try gestures.section(name), files: files)
        }
        for name in ExpressionMap.requiredGestures where map.gestures[name] == nil {
            throw gestures.error(name, "is missing: a pack answers at least \(ExpressionMap.requiredGestures.joined(separator: ", "))")
        }
        return map
    }

    private static func expression(_ table: TOMLSection, files: some PersonaPackFiles) throws(CubbyError) -> PersonaExpression {
        var expression = PersonaExpression()
        for key in ["motion", "light"] {
            guard let value = try table.string(key) else { continue }
            guard NameCheck.isCue(value) else {
                throw table.error(key, "\"\(value.prefix(32))\" must be 1-32 characters of a-z, 0-9, - and _")
            }
            if key == "motion" { expression.motion = value } else { expression.light = value }
        }
        if let sound = try table.string("sound") {
            if let problem = PackPath.problem(with: sound) { throw table.error("sound", "\"\(sound.prefix(100))\" \(problem)") }
            guard sound.lowercased().hasSuffix(".wav") else { throw table.error("sound", "\(sound) must be a .wav file") }
            guard files.contains(sound) else { throw table.error("sound", "\(sound) does not exist in the pack") }
            expression.sound = sound
        }
        guard expression != PersonaExpression() else { throw table.error("motion", "an expression needs a motion, a light or a sound") }
        return expression
    }

    private static func list(_ table: TOMLSection, _ key: String) throws(CubbyError) -> [String] {
        guard let lines = try table.strings(key), !lines.isEmpty else {
            throw table.error(key, "at least one line is required" + (key == "offline" ? ": the toy must never go silent" : ""))
        }
        guard lines.count <= maximumLinesPerList else { throw table.error(key, "at most \(maximumLinesPerList) lines, found \(lines.count)") }
        for (index, line) in lines.enumerated() where line.trimmingSpaces().isEmpty || line.count > maximumLineLength {
            throw table.error(key, "line \(index + 1) must be 1-\(maximumLineLength) characters")
        }
        return lines
    }

    /// A list a pack may leave out (the toy has its own lines for it).
    private static func optionalList(_ table: TOMLSection, _ key: String) throws(CubbyError) -> [String]? {
        guard table.contains(key) else { _ = try table.strings(key); return nil }
        return try list(table, key)
    }

    private static func text(_ table: TOMLSection, _ key: String, limit: Int = maximumLineLength) throws(CubbyError) -> String {
        let value = try table.requiredString(key)
        guard !value.trimmingSpaces().isEmpty, value.count <= limit else {
            throw table.error(key, "must be 1-\(limit) characters (found \(value.count))")
        }
        return value
    }
}
