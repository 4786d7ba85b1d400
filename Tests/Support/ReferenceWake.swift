import CubbyAudio
import Foundation
import Testing

/// The reference microWakeWord (pymicro-features and pymicro-wakeword, installed from PyPI into
/// `.build/wake-reference` on first use by `scripts/wake-reference/run`), run on a WAV: its features, and
/// each inference's int8 input and raw uint8 output.
public struct ReferenceWake: Decodable {
    public var features: [[UInt16]]
    public var steps: [Step]
    public var input_scale: Double
    public var input_zero_point: Int
    public var cutoff: Double
    public var window: Int

    public struct Step: Decodable {
        public var input: [Int8]
        public var output: UInt8
    }

    public struct Paths: Decodable {
        public var model: String
        public var manifest: String
    }

    public static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Sandbox.packageRoot + "/scripts/wake-reference/run")
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReferenceError(message: "the reference failed (\(process.terminationStatus)): " + String(decoding: problems, as: UTF8.self))
        }
        return data
    }

    public static func of(_ wav: String, model: String) throws -> ReferenceWake {
        try JSONDecoder().decode(ReferenceWake.self, from: try run([wav, model]))
    }

    /// Where the reference package keeps a built-in model: tests take the models from it, not the repository.
    public static func paths(_ model: String) throws -> Paths {
        try JSONDecoder().decode(Paths.self, from: try run(["--model-path", model]))
    }

    public struct ReferenceError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

/// The audio the engine is compared with the reference on: real speakers, synthesized speech, and hard
/// signals (silence, full-scale noise, a clipped tone, a burst after silence).
public enum WakeClips {
    public static let fixtures = Sandbox.packageRoot + "/Tests/CubbyMicroWakeTests/Fixtures"
    public static let real = ["alexa-7", "alexa-150", "alexa-301"].map { fixtures + "/\($0).wav" }

    public static func folder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wake-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    public static func write(_ samples: [Int16], to path: String) throws {
        let writer = try WAVFileWriter(path: path, sampleRate: 16_000)
        try writer.write(samples)
        try writer.close()
    }

    /// espeak-ng saying `text`, at 16 kHz.
    public static func spoken(_ text: String, in folder: String, name: String) throws -> String {
        let raw = folder + "/\(name)-22k.wav", path = folder + "/\(name).wav"
        for (tool, arguments) in [("/usr/bin/espeak-ng", ["-w", raw, text]), ("/usr/bin/sox", [raw, "-r", "16000", "-c", "1", "-b", "16", path])] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ReferenceWake.ReferenceError(message: "\(tool) failed") }
        }
        return path
    }

    /// Signals that push the fixed-point arithmetic to its edges.
    public static func hard(in folder: String) throws -> [String] {
        var generator = SystemRandomNumberGenerator()
        var noise = [Int16](repeating: 0, count: 16_000)
        for index in noise.indices { noise[index] = Int16.random(in: .min ... .max, using: &generator) }
        let clipped = (0..<16_000).map { index in Int16(max(-32_768, min(32_767, 60_000 * sin(Double(index) * 2 * .pi * 440 / 16_000)))) }
        let burst = [Int16](repeating: 0, count: 8_000) + (0..<8_000).map { index in Int16(12_000 * sin(Double(index) * 2 * .pi * 1_000 / 16_000)) }
        let extremes = (0..<8_000).map { $0 % 2 == 0 ? Int16.max : Int16.min }
        var paths: [String] = []
        for (name, samples) in [("silence", [Int16](repeating: 0, count: 8_000)), ("noise", noise), ("clipped", clipped), ("burst", burst), ("extremes", extremes)] {
            try write(samples, to: folder + "/\(name).wav")
            paths.append(folder + "/\(name).wav")
        }
        return paths
    }
}

extension ReferenceWake {
    /// teddy, answering to "alexa" with the reference package's microWakeWord model in its pack
    /// (`wake/alexa.json` and `wake/alexa.tflite`), copied into `folder`/persona.
    public static func alexaPersona(in folder: String) throws -> String {
        let persona = folder + "/persona"
        try FileManager.default.copyItem(atPath: Sandbox.packageRoot + "/Personas/teddy", toPath: persona)
        try FileManager.default.createDirectory(atPath: persona + "/wake", withIntermediateDirectories: true)
        let paths = try paths("alexa")
        try FileManager.default.copyItem(atPath: paths.manifest, toPath: persona + "/wake/alexa.json")
        try FileManager.default.copyItem(atPath: paths.model, toPath: persona + "/wake/alexa.tflite")
        let manifest = persona + "/persona.toml"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
            .replacingOccurrences(of: "engine = \"pocketsphinx\"\nphrases = [\"hey teddy\"]", with: "engine = \"microwakeword\"\nphrases = [\"alexa\"]\nmodel = \"wake/alexa.json\"")
        guard text.contains("model = \"wake/alexa.json\"") else { throw ReferenceError(message: "teddy's [wake] table changed; update alexaPersona") }
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        return persona
    }
}
