import CubbyCore
import CubbyPersona
import CubbyPersonaPack
import CubbySafety
import CubbyTestSupport
import Foundation
import Testing

/// A persona pack that carries a microWakeWord model: it validates, the model is run once, and the maker
/// is told which engine the phrase will use.
@Suite struct PackWakeTests {
    @Test func aPackWithAModelValidatesAndSaysItsEngine() async throws {
        let folder = try WakeClips.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pack = try ReferenceWake.alexaPersona(in: folder)
        let persona = try PersonaPackLoader.load(directory: pack)
        #expect(persona.wakeEngine == .microwakeword && persona.wakeModelPath == "wake/alexa.json")
        let findings = PackValidator.findings(for: persona, files: PackFolder(pack), filter: try OnDeviceFilter.builtIn())
        #expect(findings.filter { $0.severity == .error }.isEmpty, "\(findings)")

        let validated = try await ProcessRunner.run("cubby-pack", ["validate", pack])
        #expect(validated.status == 0 && validated.stdout.contains("microWakeWord model wake/alexa.json, loaded and run once"), "\(validated.stdout) \(validated.stderr)")
        let teddy = try await ProcessRunner.run("cubby-pack", ["validate", Sandbox.packageRoot + "/Personas/teddy"])
        #expect(teddy.stdout.contains("PocketSphinx keyphrase spotting: no wake model in the pack"), "\(teddy.stdout)")

        // A model that wakes on silence is caught before it ships.
        let manifest = pack + "/wake/alexa.json"
        try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "\"probability_cutoff\": 0.9", with: "\"probability_cutoff\": 0.001")
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let eager = PackValidator.findings(for: persona, files: PackFolder(pack), filter: try OnDeviceFilter.builtIn())
        #expect(eager.contains { $0.field == "trial" && $0.message.contains("would wake on nothing") }, "\(eager)")
    }

    @Test func cubbyWakeScanFindsAlexaWithTheModel() async throws {
        let manifest = try ReferenceWake.paths("alexa").manifest
        let result = try await ProcessRunner.run("cubby", ["wake", "scan", "--model", manifest, "--no-verify"] + WakeClips.real)
        let lines = result.stdout.split(separator: "\n")
        #expect(result.status == 0 && lines.count == WakeClips.real.count, "\(result.stdout) \(result.stderr)")
        #expect(lines.allSatisfy { $0.contains("\"score\"") && $0.contains("\"end\"") })
        let wrong = try await ProcessRunner.run("cubby", ["wake", "scan", "--model", "/nonexistent.json", WakeClips.real[0]])
        #expect(wrong.status != 0 && wrong.stderr.contains("/nonexistent.json"))
    }
}
