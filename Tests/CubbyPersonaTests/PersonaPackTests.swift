import CubbyCore
import CubbyPersona
import CubbySafety
import Foundation
import CubbyTestSupport
import Testing

@Suite struct PersonaPackTests {
    static let teddy = Sandbox.packageRoot + "/Personas/teddy"

    /// A copy of the example pack folder with `edit` applied to its persona.toml.
    static func pack(from source: String = teddy, _ edit: (String) -> String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-pack-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: source, toPath: folder)
        let manifest = try String(contentsOfFile: folder + "/persona.toml", encoding: .utf8)
        try edit(manifest).write(toFile: folder + "/persona.toml", atomically: true, encoding: .utf8)
        return folder
    }

    @Test func theExamplePersonaLoads() throws {
        let persona = try PersonaPackLoader.load(directory: Self.teddy)
        #expect(persona.id == "teddy" && persona.name == "Teddy" && persona.version == SemanticVersion("2.0.0"))
        #expect(persona.wake.phrases == ["hey teddy"] && persona.wakeEngine == .pocketsphinx)
        #expect(persona.offlineLines.count >= 1 && persona.offlineLines[0].contains("thinking cloud"))
        #expect(persona.redirect(for: .dangerousActivity).contains("grown-up"))
        #expect(SafetyCategory.allCases.allSatisfy { persona.redirects[$0] != nil }, "a redirect for every category")
        #expect(persona.offlineLine(turn: 1) != persona.offlineLine(turn: 0))
        #expect(ExpressionMap.requiredEmotions.allSatisfy { persona.expressions.emotions[$0] != nil })
        #expect(ExpressionMap.requiredGestures.allSatisfy { persona.expressions.gestures[$0] != nil })
    }

    @Test func theChineseAndBilingualExamplesLoadAndPickTheChildsLanguage() throws {
        let panda = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/tuantuan")
        #expect(panda.name == "团团" && panda.language == "zh" && panda.voice.voice == "cmn")
        let lumi = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/lumi")
        #expect(lumi.locales.map(\.code) == ["en", "zh"])
        #expect(lumi.locale(for: "我想听故事").code == "zh")
        #expect(lumi.locale(for: "tell me a story").code == "en")
        #expect(lumi.locale(for: "我想听故事").voice(rate: 150, pitch: 50).voice == "cmn")
    }

    @Test(arguments: [
        ("format = 2", "format = 3", "format", "not supported"),
        ("format = 2", "format = 1", "format", "no longer loaded"),
        ("id = \"teddy\"", "id = \"Teddy Bear!\"", "id", "a-z"),
        ("version = \"2.0.0\"", "version = \"2.0\"", "version", "not a semantic version"),
        ("version = \"2.0.0\"", "version = 2", "version", "expected a string"),
        ("locales = [\"en\"]", "locales = [\"en\", \"fr\"]", "locales", "not supported"),
        ("locales = [\"en\"]", "locales = [\"en\", \"zh\"]", "[locale] zh", "is missing"),
        ("age_range = [3, 8]", "age_range = [1, 30]", "age_range", "within 3-12"),
        ("age_range = [3, 8]", "age_range = \"3-8\"", "age_range", "array of whole numbers"),
        ("phrases = [\"hey teddy\"]", "phrases = []", "[wake] phrases", "at least one"),
        ("phrases = [\"hey teddy\"]", "phrases = [\"hey; rm -rf\"]", "[wake] phrases", "latin letters"),
        ("engine = \"pocketsphinx\"", "engine = \"microwakeword\"", "[wake] model", "needs a model"),
        ("engine = \"pocketsphinx\"", "engine = \"pocketsphinx\"\nsecond_stage = true", "[wake] second_stage", "is for the microwakeword engine"),
        ("offline = [", "offline_lines = [", "[locale.en.lines] offline", "at least one line"),
        ("[locale.en.redirects]", "[locale.en.redirects]\nsecrets = \"shh\"", "[locale.en.redirects] secrets", "unknown safety category"),
        ("rate = 150", "rate = 9000", "[voice] rate", "between 80 and 450"),
        ("rate = 150", "rate = 150\nengine = \"festival\"", "[voice] engine", "unknown key"),
        ("[locale.en.redirects]", "[safety]\nrules = \"../../etc/rules.json\"\n[locale.en.redirects]", "[safety] rules", "leaves the pack"),
        ("[locale.en.redirects]", "[safety]\nrules = \"/etc/passwd\"\n[locale.en.redirects]", "[safety] rules", "absolute path"),
        ("[locale.en.redirects]", "[safety]\nrules = \"missing.json\"\n[locale.en.redirects]", "[safety] rules", "does not exist"),
        ("[locale.en.redirects]", "[safety]\nblocked_topics = [\"\"]\n[locale.en.redirects]", "[safety] blocked_topics", "1-80 characters"),
        ("[locale.en.redirects]", "[tools]\nallowed = [\"reboot\"]\n[locale.en.redirects]", "[tools] allowed", "unknown tool"),
        ("[expressions.gestures.pat]", "[expressions.gestures.tickle]\nmotion = \"x\"\n[expressions.gestures.pat]", "[expressions.gestures] tickle", "unknown gesture"),
        ("sound = \"sounds/giggle.wav\"", "sound = \"../giggle.wav\"", "sound", "leaves the pack"),
        ("sound = \"sounds/giggle.wav\"", "sound = \"sounds/missing.wav\"", "sound", "does not exist in the pack"),
        // Scenes
        ("[scenes.picnic]", "[scenes.story]", "[scenes] story", "is a built-in scene"),
        ("[scenes.picnic]", "[scenes.Picnic]", "[scenes] Picnic", "scene names"),
        ("requests = [\"let's have a picnic\", \"picnic time\", \"pretend picnic\"]", "requests = []", "[scenes.picnic] requests", "1-20 phrases"),
        ("voice_rate = 105", "voice_rate = 300", "[scenes.picnic] voice_rate", "between 60 and 140"),
        ("turns = 6", "tools = [\"launch_rockets\"]", "[scenes.picnic] tools", "unknown tool"),
        ("[locale.en.scenes.picnic]", "[locale.en.scenes.pirates]", "[locale.en.scenes] pirates", "is not a scene"),
        ("listen_seconds = 10", "listen_seconds = 10\nvolume_boost = 3", "[scenes.picnic] volume_boost", "unknown key"),
    ])
    func aHostilePackIsRefusedNamingTheKey(find: String, replace: String, key: String, problem: String) throws {
        let folder = try Self.pack { text in
            #expect(text.contains(find), "the example pack no longer holds \(find)")
            return text.replacingOccurrences(of: find, with: replace)
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            _ = try PersonaPackLoader.load(directory: folder)
        } throws: { error in
            guard let error = error as? CubbyError else { return false }
            let text = "\(error)"
            return (error.code == .invalidConfiguration || error.code == .persona) && text.contains(key) && text.contains(problem)
                && text.contains(folder + "/persona.toml")
        }
    }

    @Test func aMissingRedirectCategoryIsNamed() throws {
        let folder = try Self.pack { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("scary =") }.joined(separator: "\n")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            _ = try PersonaPackLoader.load(directory: folder)
        } throws: { error in "\(error)".contains("[locale.en.redirects] scary: is missing") }
    }

    @Test func aPackAddsRulesAndTopicsButCannotLoosenTheFilter() throws {
        let folder = try Self.pack { $0.replacingOccurrences(of: "[locale.en.redirects]", with: "[safety]\nrules = \"safety.json\"\nblocked_topics = [\"spiders\"]\n[locale.en.redirects]") }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try #"{"format": 2, "version": "pack", "rules": [{"id": "teddy.no-candy", "category": "commercial", "directions": ["outbound"], "terms": ["candy shop"]}]}"#
            .write(toFile: folder + "/safety.json", atomically: true, encoding: .utf8)
        let persona = try PersonaPackLoader.load(directory: folder)
        #expect(persona.blockedTopics == ["spiders"])
        var filter = try OnDeviceFilter.builtIn()
        filter = try filter.adding(rulesAt: try #require(persona.safetyRulesPath))
        filter = try filter.adding(blockedTopics: persona.blockedTopics, source: "persona")
        let context = SafetyContext(childAge: 6)
        #expect(filter.check("Let's visit the candy shop", direction: .outbound, context: context).categories == [.commercial])
        #expect(filter.check("Spiders have eight legs", direction: .outbound, context: context).categories == [.blockedTopic])
        #expect(filter.check("Strike the match on the box", direction: .outbound, context: context).decision == .flag, "built-ins still apply")

        // A pack rule reusing a built-in id is refused, naming the file and the rule.
        try #"{"format": 2, "version": "pack", "rules": [{"id": "dangerous.fire.instructions", "category": "commercial", "directions": ["outbound"], "terms": ["zzzz"]}]}"#
            .write(toFile: folder + "/safety.json", atomically: true, encoding: .utf8)
        #expect {
            _ = try OnDeviceFilter.builtIn().adding(rulesAt: folder + "/safety.json")
        } throws: { error in "\(error)".contains("dangerous.fire.instructions") && "\(error)".contains(folder + "/safety.json") }
    }

    @Test func anOversizedManifestIsRefusedBeforeParsing() throws {
        let folder = try Self.pack { $0 + "\n# " + String(repeating: "x", count: 300_000) + "\n" }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            _ = try PersonaPackLoader.load(directory: folder)
        } throws: { error in "\(error)".contains("the limit is") }
    }

    @Test func aPromptLongerThanTheLimitIsRefused() throws {
        let folder = try Self.pack { $0.replacingOccurrences(of: "You are Teddy,", with: String(repeating: "very ", count: 2_000) + "You are Teddy,") }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            _ = try PersonaPackLoader.load(directory: folder)
        } throws: { error in "\(error)".contains("[locale.en] prompt") && "\(error)".contains("8000") }
    }

    @Test(arguments: [
        ("1.0.0", "1.0.1"), ("1.9.0", "1.10.0"), ("1.0.0-beta", "1.0.0"), ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.2", "1.0.0-alpha.10"), ("1.0.0-alpha.9", "1.0.0-beta"), ("0.9.9", "1.0.0"),
    ])
    func versionsOrderAsSemverSays(older: String, newer: String) throws {
        #expect(try #require(SemanticVersion(older)) < (try #require(SemanticVersion(newer))))
        #expect(!(try #require(SemanticVersion(newer)) < (try #require(SemanticVersion(older)))))
    }

    @Test(arguments: ["1.0", "01.0.0", "1.0.0-", "1.0.0-a..b", "v1.0.0", "1.0.0+", ""])
    func malformedVersionsAreRefused(text: String) {
        #expect(SemanticVersion(text) == nil)
    }
}

/// Scenes in a pack: the example's own scene and lines (the refusals are among the hostile packs above).
@Suite struct PersonaSceneTests {
    @Test func theExamplesSceneAndSceneLinesLoad() throws {
        let teddy = try PersonaPackLoader.load(directory: PersonaPackTests.teddy)
        let picnic = try #require(teddy.scenes["picnic"])
        #expect(picnic.requests.contains("let's have a picnic") && picnic.turns == 6 && picnic.ratePercent == 105 && picnic.light == "sunny")
        #expect(teddy.primary.sceneLines["picnic"]?.opening.first?.hasPrefix("Let's have a pretend picnic") == true)
        #expect(teddy.primary.sceneLines["story"]?.offline.count == 1)
        #expect(teddy.allLines.contains { $0.field == "scenes.picnic.closing[0]" }, "scene lines are checked with every other line")
        let panda = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/tuantuan")
        #expect(panda.primary.sceneLines["bedtime"]?.closing.first?.contains("晚安") == true)
    }
}
