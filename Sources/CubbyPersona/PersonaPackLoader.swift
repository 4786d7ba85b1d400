import CubbyCore
import CubbySafety
import Foundation

/// Reads a persona pack: a folder holding `persona.toml` (format 1).
///
/// Packs come from makers and, later, from anywhere a family copies them, so everything is bounded and
/// checked: file size, text lengths, phrase count, category names. Errors name the file and the key.
public enum PersonaPackLoader {
    public static let manifestName = "persona.toml"
    static let maximumManifestBytes = 256 * 1024
    static let maximumLineLength = 500
    static let maximumPromptLength = 8_000

    public static func load(directory: String) throws(CubbyError) -> Persona {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CubbyError(.persona, "persona pack folder does not exist", context: directory)
        }
        let path = (directory as NSString).appendingPathComponent(manifestName)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maximumManifestBytes {
            throw CubbyError(.persona, "\(manifestName) is \(size) bytes; the limit is \(maximumManifestBytes)", context: path)
        }
        let root = try TOMLSection.load(contentsOf: path)
        return try decode(root, directory: directory)
    }

    static func decode(_ root: TOMLSection, directory: String) throws(CubbyError) -> Persona {
        let format = try root.integer("format", default: 0, in: 0...Int.max)
        guard format == 1 else { throw root.error("format", format == 0 ? "is required (use 1)" : "\(format) is not supported (expected 1)") }
        let id = try root.requiredString("id")
        guard id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw root.error("id", "\"\(id.prefix(64))\" must be 1-64 characters of a-z, 0-9 and -")
        }
        let name = try text(root, "name", required: true)
        let language = try root.string("language", default: "en")

        let wakeTable = try root.section("wake")
        guard let phrases = try wakeTable.strings("phrases"), !phrases.isEmpty else {
            throw wakeTable.error("phrases", "at least one wake phrase is required")
        }
        guard phrases.count <= 4 else { throw wakeTable.error("phrases", "at most 4 wake phrases, found \(phrases.count)") }
        for phrase in phrases {
            let words = phrase.split(separator: " ")
            guard (1...4).contains(words.count), phrase.count <= 40,
                  phrase.allSatisfy({ $0.isLetter || $0 == " " || $0 == "'" }) else {
                throw wakeTable.error("phrases", "\"\(phrase.prefix(40))\" must be 1-4 words of letters")
            }
        }
        let sensitivity = try wakeTable.number("sensitivity", default: WakeSettings.defaultSensitivity, in: 0...1)
        let pronunciations = try wakeTable.stringTable("pronunciations")
        for (word, phones) in pronunciations where !phones.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == " " }) {
            throw wakeTable.error("pronunciations", "\"\(word)\": phones must be ARPAbet in capitals, e.g. \"M OW M OW\"")
        }

        let voiceTable = try root.section("voice")
        _ = try voiceTable.choice("engine", of: ["espeak-ng"], default: "espeak-ng")
        let voice = VoiceSettings(
            voice: try voiceTable.string("voice", default: "en-us"),
            rate: try voiceTable.integer("rate", default: 160, in: 80...450),
            pitch: try voiceTable.integer("pitch", default: 60, in: 0...100))

        let personalityTable = try root.section("personality")
        let prompt = try text(personalityTable, "prompt", required: true, limit: maximumPromptLength)

        let lines = try root.section("lines")
        let greeting = try text(lines, "greeting", required: true)
        guard let offline = try lines.strings("offline"), !offline.isEmpty else {
            throw lines.error("offline", "at least one offline line is required: the toy must never go silent")
        }
        for line in offline where line.trimmingSpaces().isEmpty || line.count > maximumLineLength {
            throw lines.error("offline", "each line must be 1-\(maximumLineLength) characters")
        }

        let redirectTable = try root.section("redirects")
        let defaultRedirect = try text(redirectTable, "default", required: true)
        var redirects: [SafetyCategory: String] = [:]
        for key in redirectTable.values.keys.sorted() where key != "default" {
            guard let category = SafetyCategory(rawValue: key) else {
                throw redirectTable.error(key, "unknown safety category (known: \(SafetyCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            redirects[category] = try text(redirectTable, key, required: true)
        }

        let coolDown = try text(lines, "cool_down", required: false)

        let safety = try root.section("safety")
        let blockedTopics = try safety.strings("blocked_topics") ?? []
        guard blockedTopics.count <= 200, blockedTopics.allSatisfy({ !$0.trimmingSpaces().isEmpty && $0.count <= 80 }) else {
            throw safety.error("blocked_topics", "at most 200 topics of 1-80 characters each")
        }
        var rulesPath: String?
        if let rules = try safety.string("rules") {
            // The file must be inside the pack: a pack is flashed as a unit and must not reach elsewhere.
            let resolved = ((directory as NSString).appendingPathComponent(rules) as NSString).standardizingPath
            let packRoot = (directory as NSString).standardizingPath + "/"
            guard !rules.hasPrefix("/"), resolved.hasPrefix(packRoot) else {
                throw safety.error("rules", "\"\(rules)\" must be a path inside the persona pack")
            }
            guard FileManager.default.fileExists(atPath: resolved) else { throw safety.error("rules", "\(resolved) does not exist") }
            rulesPath = resolved
        }

        let toolsTable = try root.section("tools")
        var allowedTools: Set<String>?
        if let allowed = try toolsTable.strings("allowed") {
            let known: Set<String> = ["set_volume", "express", "end_conversation", "remember", "forget"]
            for name in allowed where !known.contains(name) {
                throw toolsTable.error("allowed", "unknown tool \"\(name)\" (known: end_conversation, express, forget, remember, set_volume)")
            }
            allowedTools = Set(allowed)
        }

        try root.finish()
        var persona = Persona(
            id: id, name: name, language: language,
            wake: WakeSettings(phrases: phrases.map { $0.lowercased() }, sensitivity: sensitivity, pronunciations: pronunciations),
            voice: voice, personality: prompt, greeting: greeting, offlineLines: offline,
            redirects: redirects, defaultRedirect: defaultRedirect, sourcePath: directory)
        if !coolDown.trimmingSpaces().isEmpty { persona.coolDownLine = coolDown }
        persona.blockedTopics = blockedTopics
        persona.safetyRulesPath = rulesPath
        persona.allowedTools = allowedTools
        return persona
    }

    private static func text(_ table: TOMLSection, _ key: String, required: Bool, limit: Int = maximumLineLength) throws(CubbyError) -> String {
        let value = required ? try table.requiredString(key) : try table.string(key, default: "")
        guard value.count <= limit else { throw table.error(key, "is \(value.count) characters; the limit is \(limit)") }
        return value
    }
}
