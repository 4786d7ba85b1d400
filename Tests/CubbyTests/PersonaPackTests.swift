import CubbyCore
import CubbyPersona
import CubbySafety
import Foundation
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
