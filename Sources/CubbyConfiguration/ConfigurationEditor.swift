import CubbyCore
import Foundation

/// Changes single keys of `cubbyd.toml` as text, so that the parent's comments, order and layout stay as
/// they were: a key's line (with a multi-line array, all its lines) is replaced in place, a new key goes
/// at the end of its table, a new table at the end of the file.
public enum ConfigurationEditor {
    /// The settings a parent may change through the control channel (`cubby settings set`, `limits`,
    /// `volume --cap`, `topics`, the setup wizard). Paths, keys, the addresses of the services the child's
    /// words go to, and the alert command stay with whoever administers the file (a new address would need
    /// the parent's consent again; a key file path could send any file the daemon reads as a key).
    public static let parentKeys: Set<String> = {
        var keys: Set<String> = [
            "child.name", "child.age", "child.language",
            "device.muted", "device.max_volume",
            "limits.daily_minutes", "limits.sitting_minutes", "limits.break_minutes", "limits.warning_minutes",
            "limits.rest_reminder_minutes", "limits.ai_reminder_minutes", "limits.quiet_hours", "limits.quiet_hours_action",
            "safety.blocked_topics", "safety.private_names", "safety.cool_down_minutes",
            "privacy.transcript_days", "conversation.follow_up", "wake.sensitivity", "wake.barge_in",
            "parents.read_without_pin", "parents.unlock_minutes", "scenes.allowed", "scenes.sleep_minutes",
            "cloud.chat_model", "cloud.transcription_language", "speech.voice",
        ]
        for day in Weekday.allCases {
            keys.insert("limits.\(day.rawValue).daily_minutes")
            keys.insert("limits.\(day.rawValue).quiet_hours")
        }
        return keys
    }()

    /// A value as written after `key = `: kept as it is when it is already TOML (a number, a boolean, an
    /// array, a quoted string), otherwise written as a string.
    public static func literal(for value: String) -> String {
        let trimmed = value.trimmingSpaces()
        // One line holding one value: anything else is written as a string, so a value can never add a key.
        if !trimmed.contains(where: { $0 == "\n" || $0 == "\r" }),
           let parsed = try? TOMLSection.parse("v = \(trimmed)\n", file: "value"), parsed.values.count == 1, parsed.contains("v"), !trimmed.isEmpty,
           (try? parsed.string("v")) != nil || (try? parsed.number("v", in: -1e12...1e12)) != nil
            || (try? parsed.boolean("v", default: false)) != nil || (try? parsed.strings("v")) != nil {
            return trimmed
        }
        return quoted(value)
    }

    public static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `text` with `key` ("table.key" or "table.sub.key") set to `literal`, or removed when it is nil.
    public static func setting(_ key: String, to literal: String?, in text: String) -> String {
        let parts = key.split(separator: ".").map(String.init)
        let table = parts.dropLast().joined(separator: ".")
        let name = parts.last ?? key
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }

        // Where the table starts and ends.
        var tableStart: Int?
        var tableEnd = lines.count
        for (index, line) in lines.enumerated() {
            guard let header = tableName(line) else { continue }
            if tableStart != nil { tableEnd = index; break }
            if header == table { tableStart = index }
        }
        let newLine = literal.map { "\(name) = \($0)" }
        guard let start = tableStart else {
            guard let newLine else { return text }
            if let last = lines.last, !last.trimmingSpaces().isEmpty { lines.append("") }
            lines += ["[\(table)]", newLine]
            return lines.joined(separator: "\n") + "\n"
        }
        // The key's line, and the lines its value continues on (a multi-line array).
        var index = start + 1
        while index < tableEnd {
            if keyName(lines[index]) == name {
                var end = index
                var depth = bracketDepth(lines[index])
                while depth > 0 && end + 1 < tableEnd {
                    end += 1
                    depth += bracketDepth(lines[end])
                }
                let replacement = newLine.map { [$0] } ?? []
                lines.replaceSubrange(index...end, with: replacement)
                return lines.joined(separator: "\n") + "\n"
            }
            index += 1
        }
        guard let newLine else { return text }
        // After the table's last non-blank line.
        var insertAt = tableEnd
        while insertAt > start + 1 && lines[insertAt - 1].trimmingSpaces().isEmpty { insertAt -= 1 }
        lines.insert(newLine, at: insertAt)
        return lines.joined(separator: "\n") + "\n"
    }

    static func tableName(_ line: String) -> String? {
        let trimmed = line.trimmingSpaces()
        guard trimmed.hasPrefix("["), !trimmed.hasPrefix("[["), let close = trimmed.firstIndex(of: "]") else { return nil }
        return trimmed[trimmed.index(after: trimmed.startIndex)..<close].split(separator: ".").map { String($0).trimmingSpaces() }.joined(separator: ".")
    }

    static func keyName(_ line: String) -> String? {
        let trimmed = line.trimmingSpaces()
        guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { return nil }
        var name = String(trimmed[..<equals]).trimmingSpaces()
        if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
        return name
    }

    /// Opening minus closing brackets outside strings and comments.
    static func bracketDepth(_ line: String) -> Int {
        var depth = 0
        var inString: Character?
        var escaped = false
        for character in line {
            if let quote = inString {
                if escaped { escaped = false } else if character == "\\" && quote == "\"" { escaped = true } else if character == quote { inString = nil }
                continue
            }
            switch character {
            case "\"", "'": inString = character
            case "#": return depth
            case "[": depth += 1
            case "]": depth -= 1
            default: break
            }
        }
        return depth
    }

    /// Writes `text` to `path` so that a reader sees the old file or the new one, never a mix
    /// (`FileBytes.writeAtomically`); the file keeps its mode, and a new one gets `mode`.
    public static func writeAtomically(_ text: String, to path: String, mode newMode: UInt16 = 0o640) throws(CubbyError) {
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.uint16Value ?? newMode
        try FileBytes.writeAtomically(Array(text.utf8), to: path, mode: mode_t(mode))
        // The umask may have taken bits the file had.
        chmod(path, mode_t(mode))
    }
}
