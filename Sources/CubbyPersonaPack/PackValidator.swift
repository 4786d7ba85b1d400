import CubbyAudio
import CubbyCore
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

        // A wake model must at least be a TensorFlow Lite flatbuffer (its identifier is "TFL3").
        if let model = persona.wakeModelPath, let bytes = files.bytes(of: model) {
            if bytes.count < 8 || Array(bytes[4..<8]) != Array("TFL3".utf8) {
                findings.append(.init(severity: .error, file: model, field: "format", message: "is not a TensorFlow Lite model (no \"TFL3\" identifier)"))
            } else if bytes.count > 1 << 20 {
                findings.append(.init(severity: .error, file: model, field: "size", message: "\(bytes.count) bytes; a streaming wake-word model is at most 1 MiB"))
            }
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
            findings.append(.init(severity: .error, file: manifest, field: "[wake] engine",
                                  message: "the microwakeword engine is not in this release of the toy's software; use \"pocketsphinx\" (the model file can stay in the pack)"))
        }
        return findings
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
