import CubbyCore
import CubbyPersona
import CubbyPersonaPack
import CubbySafety
import CubbyTestSupport
import Foundation
import Testing

@Suite struct PackValidatorTests {
    func findings(_ edit: (String) -> String, files: [String: [UInt8]] = [:]) throws -> [PackValidator.Finding] {
        let folder = try PersonaPackTests.pack(edit)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (path, bytes) in files {
            try FileManager.default.createDirectory(atPath: (folder + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + path))
        }
        let persona = try PersonaPackLoader.load(directory: folder)
        return PackValidator.findings(for: persona, files: PackFolder(folder), filter: PackFixture.filter)
    }

    @Test func theExamplePacksHaveNoErrors() throws {
        for name in ["teddy", "tuantuan", "lumi"] {
            let folder = Sandbox.packageRoot + "/Personas/" + name
            let found = PackValidator.findings(for: try PersonaPackLoader.load(directory: folder), files: PackFolder(folder), filter: PackFixture.filter)
            #expect(found.filter { $0.severity == .error }.isEmpty, "\(name): \(found)")
        }
    }

    @Test func aWakeModelIsAManifestWithARunnableModelBesideIt() throws {
        let edit = { (text: String) in text.replacingOccurrences(of: "phrases = [\"hey teddy\"]", with: "phrases = [\"hey teddy\"]\nmodel = \"wake/hey_teddy.json\"") }
        let manifest = Array(#"{"wake_word": "Hey Teddy", "model": "hey_teddy.tflite", "micro": {"probability_cutoff": 0.9, "sliding_window_size": 5}}"#.utf8)
        let cases: [([String: [UInt8]], String, String)] = [
            (["wake/hey_teddy.json": Array("{ not json".utf8)], "wake/hey_teddy.json", "not a JSON object"),
            (["wake/hey_teddy.json": manifest], "wake/hey_teddy.json", "wake/hey_teddy.tflite is not in the pack"),
            (["wake/hey_teddy.json": manifest, "wake/hey_teddy.tflite": Array("not a model at all".utf8)], "wake/hey_teddy.tflite", "TFL3"),
            (["wake/hey_teddy.json": manifest, "wake/hey_teddy.tflite": [0x1c, 0, 0, 0] + Array("TFL3".utf8) + [UInt8](repeating: 0, count: 64)],
             "wake/hey_teddy.tflite", "TensorFlow Lite"),
            (["wake/hey_teddy.json": Array(#"{"wake_word": "Alexa", "model": "hey_teddy.tflite", "micro": {"probability_cutoff": 0.9, "sliding_window_size": 5}}"#.utf8)],
             "wake/hey_teddy.json", "not among the persona's phrases"),
        ]
        for (files, file, reason) in cases {
            let found = try findings(edit, files: files)
            #expect(found.contains { $0.severity == .error && $0.file == file && $0.message.contains(reason) }, "\(reason): \(found)")
        }
        let tflite = { (text: String) in text.replacingOccurrences(of: "phrases = [\"hey teddy\"]", with: "phrases = [\"hey teddy\"]\nmodel = \"wake/hey_teddy.tflite\"") }
        let notManifest = try findings(tflite, files: ["wake/hey_teddy.tflite": Array("TFL3".utf8)])
        #expect(notManifest.contains { $0.field == "[wake] model" && $0.message.contains("manifest (.json)") })
    }

    @Test func aChineseLineTheFilterHoldsBackIsNamedByLocaleAndField() throws {
        let folder = Sandbox.packageRoot + "/Personas/tuantuan"
        var persona = try PersonaPackLoader.load(directory: folder)
        persona.locales[0].lines.bedtime.append("先把火柴从抽屉里拿出来，然后在盒子上用力一划就着火了。")
        let found = PackValidator.findings(for: persona, files: PackFolder(folder), filter: PackFixture.filter)
        let last = persona.locales[0].lines.bedtime.count - 1
        #expect(found.contains { $0.severity == .error && $0.field == "[locale.zh.lines] bedtime[\(last)]" }, "\(found)")
    }
}
