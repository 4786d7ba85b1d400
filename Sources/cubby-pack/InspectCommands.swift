import ArgumentParser
import CubbyAudio
import CubbyCore
import CubbyPersona
import CubbyPersonaPack
import CubbyVoice
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a pack holds: the persona, its lines, its files and who signed it.",
        discussion: "The archive and every digest are checked; the signer is shown but not required to be trusted (use verify for that).")

    @Argument(help: ArgumentHelp("The .cubbypack file.", valueName: "file"))
    var file: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        do {
            let pack = try PackLoading.open(file)
            json ? print(try PackDescription.json(pack)) : print(PackDescription.text(pack))
        } catch { throw fail(error) }
    }
}

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synthesize a pack's greetings and offline lines to WAV files, as the toy says them offline.")

    @Argument(help: ArgumentHelp("The .cubbypack file.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The folder for the WAV files.", valueName: "folder"))
    var out: String

    func run() throws {
        do {
            let pack = try PackLoading.open(file)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let synthesizer = EspeakSynthesizer()
            var written = 0
            for locale in pack.persona.locales {
                let voice = locale.voice(rate: pack.persona.rate, pitch: pack.persona.pitch)
                let lines = locale.lines.greetings.enumerated().map { ("greeting-\($0.offset + 1)", $0.element) }
                    + locale.lines.offline.enumerated().map { ("offline-\($0.offset + 1)", $0.element) }
                for (name, text) in lines {
                    let speech = try synthesizer.synthesizeNow(text, voice: voice)
                    let path = "\(out)/\(locale.code)-\(name).wav"
                    let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: speech.sampleRate, channels: 1))
                    try writer.append(speech.samples)
                    try writer.close()
                    print("\(path)  \(text)")
                    written += 1
                }
            }
            say("\(written) lines synthesized with espeak-ng into \(out)")
        } catch { throw fail(error) }
    }
}

enum PackLoading {
    /// Opens a pack for reading with every structural check and digest, trusting whichever key signed it.
    static func open(_ file: String) throws(CubbyError) -> VerifiedPack {
        try PackVerifier.verify(file: file, policy: .inspection)
    }
}

enum PackDescription {
    static func text(_ pack: VerifiedPack) -> String {
        let p = pack.persona
        let phrases = p.wake.phrases.map { "\"\($0)\"" }.joined(separator: ", ")
        let model = p.wakeModelPath.map { ", model \($0)" } ?? ""
        let cloudVoice = p.cloudVoice.map { ", cloud voice \($0)" } ?? ""
        let tools = p.allowedTools.map { $0.sorted().joined(separator: ", ") } ?? "all"
        let signer = pack.signer.map { "key \($0.id), signature intact (whether a toy trusts it: cubby-pack verify --trusted)" } ?? "NO (developer mode only)"
        let locales = p.locales.map { "\($0.code) (\($0.name), espeak-ng \($0.espeakVoice))" }.joined(separator: ", ")
        let emotions = p.expressions.emotions.keys.sorted().joined(separator: ", ")
        let gestures = p.expressions.gestures.keys.sorted().joined(separator: ", ")
        var lines: [String] = []
        lines.append("\(p.name) — \(p.id) \(p.version)" + (p.maker.map { " by \($0)" } ?? ""))
        lines.append("signed:      \(signer)")
        lines.append("ages:        \(p.ageRange.lowerBound)-\(p.ageRange.upperBound)")
        lines.append("locales:     \(locales)")
        lines.append("wake:        \(phrases) with \(p.wakeEngine.rawValue), sensitivity \(p.wake.sensitivity)\(model)")
        lines.append("voice:       rate \(p.rate), pitch \(p.pitch)\(cloudVoice)")
        lines.append("tools:       \(tools)")
        lines.append("expressions: \(emotions); gestures \(gestures)")
        if !p.blockedTopics.isEmpty || p.safetyRulesPath != nil {
            lines.append("safety:      \(p.blockedTopics.count) blocked topics" + (p.safetyRulesPath != nil ? ", extra rules" : ""))
        }
        for locale in p.locales {
            lines.append("")
            lines.append("[\(locale.code)] \(locale.name)")
            lines.append("  greeting:  \(locale.lines.greetings[0])")
            lines.append("  offline:   \(locale.lines.offline[0])")
            lines.append("  lines:     \(locale.lines.all.count), redirects \(locale.redirects.count + 1)")
        }
        lines.append("")
        lines.append("files (\(pack.manifest.files.count)), digest \(pack.digest.prefix(16)):")
        for file in pack.manifest.files { lines.append("  \(file.sha256.prefix(12))  \(String(file.size).padding(toLength: 8, withPad: " ", startingAt: 0)) \(file.path)") }
        return lines.joined(separator: "\n")
    }

    /// The shape of `inspect --json`.
    struct JSONPack: Encodable {
        struct Signer: Encodable { var name: String; var key_id: String }
        struct Wake: Encodable { var engine: String; var phrases: [String]; var sensitivity: Double; var model: String? }
        struct Voice: Encodable { var rate: Int; var pitch: Int; var cloud_voice: String? }
        struct Shown: Encodable { var motion: String?; var light: String?; var sound: String? }
        struct Expressions: Encodable { var emotions: [String: Shown]; var gestures: [String: Shown] }
        struct Locale: Encodable {
            var code, name, espeak_voice: String
            var greetings, goodbyes, bedtime, morning, `break`, time_limit, story_openers, offline: [String]
            var cool_down: String
            var redirects: [String: String]
        }
        struct File: Encodable { var path: String; var size: Int; var sha256: String }
        var id, version: String
        var name: String
        var maker: String?
        var signed_by: Signer?
        var digest: String
        var age_range: [Int]
        var wake: Wake
        var voice: Voice
        var tools: [String]?
        var locales: [Locale]
        var expressions: Expressions
        var files: [File]
    }

    static func json(_ pack: VerifiedPack) throws -> String {
        let p = pack.persona
        func shown(_ map: [String: PersonaExpression]) -> [String: JSONPack.Shown] {
            map.mapValues { JSONPack.Shown(motion: $0.motion, light: $0.light, sound: $0.sound) }
        }
        let locales = p.locales.map { l in
            var redirects = Dictionary(uniqueKeysWithValues: l.redirects.map { ($0.key.rawValue, $0.value) })
            redirects["default"] = l.defaultRedirect
            return JSONPack.Locale(code: l.code, name: l.name, espeak_voice: l.espeakVoice, greetings: l.lines.greetings, goodbyes: l.lines.goodbyes,
                                   bedtime: l.lines.bedtime, morning: l.lines.morning, break: l.lines.breaks, time_limit: l.lines.timeLimit,
                                   story_openers: l.lines.storyOpeners, offline: l.lines.offline, cool_down: l.lines.coolDown, redirects: redirects)
        }
        let value = JSONPack(
            id: p.id, version: p.version.description, name: p.name, maker: p.maker,
            signed_by: pack.signer.map { .init(name: $0.name, key_id: $0.id) }, digest: pack.digest,
            age_range: [p.ageRange.lowerBound, p.ageRange.upperBound],
            wake: .init(engine: p.wakeEngine.rawValue, phrases: p.wake.phrases, sensitivity: p.wake.sensitivity, model: p.wakeModelPath),
            voice: .init(rate: p.rate, pitch: p.pitch, cloud_voice: p.cloudVoice), tools: p.allowedTools?.sorted(), locales: locales,
            expressions: .init(emotions: shown(p.expressions.emotions), gestures: shown(p.expressions.gestures)),
            files: pack.manifest.files.map { .init(path: $0.path, size: $0.size, sha256: $0.sha256) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
