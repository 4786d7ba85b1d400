import ArgumentParser
import CubbyAudio
import CubbyCore
import CubbyMicroWake
import CubbyWake
import Foundation

struct Wake: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Wake-word tools.", subcommands: [Scan.self])

    /// Runs the toy's own wake engine over recordings: for makers choosing a phrase and sensitivity, and for
    /// the wake-word benchmark.
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find a wake phrase in WAV files; one JSON object per detection on stdout.",
            discussion: """
                Prints {"file": …, "start": s, "end": s, "score": 0…1} per detection (seconds from the file's start) and \
                nothing else on stdout. Reads 16-bit PCM WAV of any rate, mono or stereo. Files that cannot be read are \
                reported on stderr; the others are still scanned, and the exit code is 1.
                """)

        @Option(help: ArgumentHelp("The wake phrase to look for (with --model: the phrase the near-miss check uses; default the model's wake word).", valueName: "phrase"))
        var phrase: String?

        @Option(help: ArgumentHelp("A microWakeWord model's manifest (.json, its .tflite beside it): scan with the neural engine instead of PocketSphinx.", valueName: "manifest"))
        var model: String?

        @Option(help: ArgumentHelp("0…1; higher hears the phrase more readily. Default: the engine's shipping default (\(WakeSettings.defaultSensitivity)).", valueName: "s"))
        var sensitivity: Double?

        @Option(help: ArgumentHelp("With --model: the probability cutoff (0…1) instead of the manifest's moved by --sensitivity.", valueName: "p"))
        var cutoff: Double?

        @Flag(inversion: .prefixedNo, help: "Check each detection against the phrase's near misses (a second decode), as the toy does by default.")
        var verify = true

        @Flag(name: .customLong("front-end"), help: "Clean the audio first as the toy does (echo cancellation, noise suppression, gain).")
        var frontEnd = false

        @Argument(help: ArgumentHelp("WAV files.", valueName: "file.wav"))
        var files: [String]

        func validate() throws {
            if let sensitivity, !(0...1).contains(sensitivity) { throw ValidationError("--sensitivity must be between 0 and 1") }
            if phrase == nil && model == nil { throw ValidationError("give --phrase, --model, or both") }
            if let cutoff, model == nil || !(0..<1).contains(cutoff) { throw ValidationError("--cutoff needs --model and a value from 0 to below 1") }
            if let phrase, phrase.trimmingSpaces().isEmpty { throw ValidationError("--phrase must not be empty") }
        }

        func run() throws {
            var phrases: [String] = []
            if let phrase { phrases = [phrase.lowercased().trimmingSpaces()] }
            if phrases.isEmpty, let model {
                do { phrases = [try MicroWakeManifest.load(path: model).wakeWord.lowercased()] } catch { throw ValidationError("\(error)") }
            }
            var settings = WakeSettings(phrases: phrases, sensitivity: sensitivity ?? WakeSettings.defaultSensitivity)
            settings.verifyNearMisses = verify
            var failed = false
            for file in files {
                do {
                    for detection in try Self.scan(file, settings: settings, model: model, cutoff: cutoff, frontEnd: frontEnd) {
                        print(Self.json(file: file, detection))
                    }
                } catch {
                    failed = true
                    FileHandle.standardError.write(Data("cubby wake scan: \(error)\n".utf8))
                }
            }
            if failed { throw ExitCode(1) }
        }

        /// A fresh engine per file, fed in 20 ms chunks as the daemon feeds it from the microphone. With the
        /// front end, the echo canceller runs against a silent reference: the same work as on the toy.
        static func scan(_ file: String, settings: WakeSettings, model: String? = nil, cutoff: Double? = nil,
                         frontEnd useFrontEnd: Bool = false) throws(CubbyError) -> [WakeDetection] {
            let reader = try WAVFileReader(path: file)
            let spotter: any WakeDetector
            if let model {
                spotter = try MicroWakeDetector(manifestPath: model, settings: settings, secondStage: settings.verifyNearMisses, cutoff: cutoff)
            } else {
                spotter = try PocketSphinxSpotter(settings: settings)
            }
            let frontEnd = useFrontEnd ? try VoiceFrontEnd(settings: FrontEndSettings(), reference: EchoReference()) : nil
            var detections: [WakeDetection] = []
            var index: Int64 = 0
            while let samples = try reader.read() {
                let chunk = frontEnd?.process(AudioChunk(startSample: index, samples: samples)) ?? AudioChunk(startSample: index, samples: samples)
                if let detection = try spotter.process(chunk) { detections.append(detection) }
                index += Int64(samples.count)
            }
            return detections
        }

        static func json(file: String, _ detection: WakeDetection) -> String {
            let rate = Double(AudioFormat.speech.sampleRate)
            let object: [String: Any] = [
                "file": file,
                "start": (Double(detection.startSample) / rate * 1000).rounded() / 1000,
                "end": (Double(detection.endSample) / rate * 1000).rounded() / 1000,
                "score": (detection.score * 1000).rounded() / 1000,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
