import CubbyCore
import CubbyPersona
import CubbySafety
import Foundation
import CubbyTestSupport
import Testing

@Suite struct PersonaPackTests {
    static let teddy = Sandbox.packageRoot + "/Personas/teddy"

    /// A pack folder holding the example manifest with `edit` applied.
    static func pack(_ edit: (String) -> String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-pack-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let manifest = try String(contentsOfFile: teddy + "/persona.toml", encoding: .utf8)
        try edit(manifest).write(toFile: folder + "/persona.toml", atomically: true, encoding: .utf8)
        return folder
    }

    @Test func theExamplePersonaLoads() throws {
        let persona = try PersonaPackLoader.load(directory: Self.teddy)
        #expect(persona.id == "teddy" && persona.name == "Teddy")
        #expect(persona.wake.phrases == ["hey teddy"])
        #expect(persona.offlineLines.count >= 1 && persona.offlineLines[0].contains("thinking cloud"))
        #expect(persona.redirect(for: .dangerousActivity).contains("grown-up"))
        #expect(persona.redirect(for: .hate) == persona.defaultRedirect)
        #expect(persona.offlineLine(turn: 1) != persona.offlineLine(turn: 0))
    }

    @Test(arguments: [
        ("format = 1", "format = 2", "format", "not supported"),
        ("id = \"teddy\"", "id = \"Teddy Bear!\"", "id", "a-z"),
        ("phrases = [\"hey teddy\"]", "phrases = []", "[wake] phrases", "at least one"),
        ("phrases = [\"hey teddy\"]", "phrases = [\"hey; rm -rf\"]", "[wake] phrases", "words of letters"),
        ("offline = [", "offline_lines = [", "offline", "at least one offline line"),
        ("[redirects]", "[redirects]\nsecrets = \"shh\"", "[redirects] secrets", "unknown safety category"),
        ("rate = 150", "rate = 9000", "[voice] rate", "between 80 and 450"),
        ("engine = \"espeak-ng\"", "engine = \"festival\"", "[voice] engine", "espeak-ng"),
        ("[redirects]", "[safety]\nrules = \"../../etc/rules.json\"\n[redirects]", "[safety] rules", "inside the persona pack"),
        ("[redirects]", "[safety]\nrules = \"missing.json\"\n[redirects]", "[safety] rules", "does not exist"),
        ("[redirects]", "[safety]\nblocked_topics = [\"\"]\n[redirects]", "[safety] blocked_topics", "1-80 characters"),
        ("[redirects]", "[tools]\nallowed = [\"reboot\"]\n[redirects]", "[tools] allowed", "unknown tool"),
    ])
    func aHostilePackIsRefusedNamingTheKey(find: String, replace: String, key: String, problem: String) throws {
        let folder = try Self.pack { $0.replacingOccurrences(of: find, with: replace) }
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

    @Test func aPackAddsRulesAndTopicsButCannotLoosenTheFilter() throws {
        let folder = try Self.pack { $0.replacingOccurrences(of: "[redirects]", with: "[safety]\nrules = \"safety.json\"\nblocked_topics = [\"spiders\"]\n[redirects]") }
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
        } throws: { error in "\(error)".contains("[personality] prompt") }
    }
}
