import CubbyAudio
import CubbyCore
import CubbyMicroWake
import CubbyTinyML
import CubbyPersona
import CubbySafety
import CubbyWake
import Foundation

/// Checks a pack the way a maker needs before shipping it, beyond what loading checks: every file of the
/// right format, every line passing the toy's own outbound safety check in its language, and every wake
/// phrase word known to the wake engine. Each finding names the file and the field.
public enum PackValidator {
    public struct Finding: Sendable, CustomStringConvertible {
        public enum Severity: String, Sendable { case error, warning }
        public var severity: Severity
        /// The file inside the pack.
        public var file: String
        /// The key or entry, as written in the file (`[locale.en.lines] offline[2]`).
        public var field: String
        public var message: String

        public var description: String { "\(severity): \(file): \(field): \(message)" }
    }

    public static let soundRates: Set<Int> = [16_000, 22_050, 24_000, 44_100, 48_000]
    public static let maximumSoundSeconds = 10.0

    /// Everything wrong with the pack; errors stop a build and an install, warnings are reported.
    /// `filter` is the toy's filter (with the pack's own rules added when they are on disk).
    public static func findings(for persona: Persona, files: some PersonaPackFiles, filter: OnDeviceFilter,
                                dictionary: String? = PronunciationDictionary.systemDictionary) -> [Finding] {
        var findings: [Finding] = []
        let manifest = PersonaPackLoader.manifestName

        // Sounds: every file the expression map names, and any other WAV in the pack.
        for path in persona.expressions.soundFiles {
            guard let bytes = files.bytes(of: path) else { continue }
            do {
                let audio = try WAVAudio.parse(bytes, source: path)
                if !soundRates.contains(audio.format.sampleRate) {
                    findings.append(.init(severity: .error, file: path, field: "sample rate",
                                          message: "\(audio.format.sampleRate) Hz is not supported (use \(soundRates.sorted().map(String.init).joined(separator: ", ")) Hz)"))
                }
                if audio.durationSeconds > maximumSoundSeconds {
                    findings.append(.init(severity: .error, file: path, field: "length",
                                          message: String(format: "%.1f s; an expression sound is at most %.0f s", audio.durationSeconds, maximumSoundSeconds)))
                }
            } catch {
                findings.append(.init(severity: .error, file: path, field: "format", message: error.message))
            }
        }

        // A wake model: its manifest, and the model it names beside it, loaded and run once.
        if let manifestPath = persona.wakeModelPath {
            findings += wakeModelFindings(manifestPath, phrases: persona.wake.phrases, files: files)
        }

        // Lines: what the toy says on its own never goes through the model's gate, so it must pass here.
        let context = SafetyContext(childAge: persona.ageRange.lowerBound)
        for locale in persona.locales {
            for line in locale.allLines {
                let verdict = filter.check(line.text, direction: .outbound, context: context)
                guard verdict.decision == .flag else { continue }
                let (table, key) = split(line.field)
                findings.append(.init(severity: .error, file: manifest, field: "[locale.\(locale.code).\(table)] \(key)",
                                      message: "the toy's safety filter holds this line back (\(verdict.categories.map(\.rawValue).joined(separator: ", "))): \"\(line.text.prefix(80))\""))
            }
            if locale.code == "zh" && !locale.espeakVoice.hasPrefix("cmn") && !locale.espeakVoice.hasPrefix("zh") {
                findings.append(.init(severity: .warning, file: manifest, field: "[locale.zh] espeak_voice",
                                      message: "\"\(locale.espeakVoice)\" is not a Mandarin voice; offline Chinese lines will be mispronounced (use \"cmn\")"))
            }
        }

        // Wake phrase: the engine must know how to say every word.
        switch persona.wakeEngine {
        case .pocketsphinx:
            if let dictionary {
                do {
                    _ = try PronunciationDictionary.lines(for: PronunciationDictionary.words(in: persona.wake.phrases),
                                                          extra: persona.wake.pronunciations, dictionaryPath: dictionary)
                } catch {
                    findings.append(.init(severity: .error, file: manifest, field: "[wake] phrases", message: error.message))
                }
            }
            if persona.locales.contains(where: { $0.code == "zh" }) {
                findings.append(.init(severity: .warning, file: manifest, field: "[wake] engine",
                                      message: "PocketSphinx listens with a US-English acoustic model: it hears \(persona.wake.phrases.map { "\"\($0)\"" }.joined(separator: ", ")) only through approximate English phonemes, and how reliably it wakes for Mandarin speakers has not been measured; a neural wake-word model is the intended engine for Chinese phrases"))
            }
        case .microwakeword:
            break
        }
        return findings
    }

    /// The largest wake model a pack may carry: the released ones are 50-80 KB.
    public static let maximumWakeModelBytes = 1 << 20

    /// Loads a microWakeWord manifest and its model from the pack and runs one second of silence through
    /// them, so a model the toy could not run is found by the maker, not by the child.
    static func wakeModelFindings(_ manifestPath: String, phrases: [String], files: some PersonaPackFiles) -> [Finding] {
        guard manifestPath.hasSuffix(".json"), let manifestBytes = files.bytes(of: manifestPath) else {
            return [.init(severity: .error, file: PersonaPackLoader.manifestName, field: "[wake] model",
                          message: "\(manifestPath) must be a microWakeWord manifest (.json) in the pack, with its .tflite beside it")]
        }
        do {
            let manifest = try MicroWakeManifest.parse(Data(manifestBytes), path: manifestPath)
            var findings: [Finding] = []
            let word = manifest.wakeWord.lowercased()
            if !phrases.contains(word) {
                return [.init(severity: .error, file: manifestPath, field: "wake_word",
                              message: "the model hears \"\(word)\", which is not among the persona's phrases \(phrases); the toy would wake on one and listen for another")]
            }
            if phrases.count > 1 {
                findings.append(.init(severity: .warning, file: PersonaPackLoader.manifestName, field: "[wake] phrases",
                                      message: "the model hears only \"\(word)\"; the other phrases do not wake the toy"))
            }
            let modelPath = manifest.modelPath.hasPrefix("./") ? String(manifest.modelPath.dropFirst(2)) : manifest.modelPath
            guard let modelBytes = files.bytes(of: modelPath) else {
                return [.init(severity: .error, file: manifestPath, field: "model", message: "\(modelPath) is not in the pack")]
            }
            guard modelBytes.count <= maximumWakeModelBytes else {
                return [.init(severity: .error, file: modelPath, field: "size", message: "\(modelBytes.count) bytes; a streaming wake-word model is at most 1 MiB")]
            }
            let model = try MicroWakeModel(manifest: manifest, model: try TFLiteModel.parse(modelBytes, source: modelPath))
            let highest = try model.trial()
            if highest > manifest.probabilityCutoff {
                return [.init(severity: .error, file: modelPath, field: "trial",
                              message: String(format: "the model gives %.2f on a second of silence, above its cutoff %.2f: it would wake on nothing", highest, manifest.probabilityCutoff))]
            }
            return findings
        } catch {
            // The model's own problems name the model; the manifest's, the manifest.
            return [.init(severity: .error, file: error.context ?? manifestPath, field: "model", message: error.message)]
        }
    }

    /// What a toy checks before it installs a verified pack: every file's format and every line through its
    /// own filter (the wake dictionary is the maker's concern). Throws naming the first error.
    public static func requireInstallable(_ pack: VerifiedPack, filter: OnDeviceFilter) throws(CubbyError) {
        let errors = findings(for: pack.persona, files: pack.files, filter: filter, dictionary: nil).filter { $0.severity == .error }
        if let first = errors.first {
            throw CubbyError(.persona, "\(first.file): \(first.field): \(first.message)" + (errors.count > 1 ? " (and \(errors.count - 1) more)" : ""),
                             context: pack.files.location)
        }
    }

    /// `lines.offline[2]` → (`lines`, `offline[2]`); `redirects.sexual` → (`redirects`, `sexual`).
    private static func split(_ field: String) -> (String, String) {
        guard let dot = field.firstIndex(of: ".") else { return ("", field) }
        return (String(field[..<dot]), String(field[field.index(after: dot)...]))
    }
}
