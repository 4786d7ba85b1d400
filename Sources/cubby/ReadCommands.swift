import ArgumentParser
import CubbyConfiguration
import CubbyCore
import CubbyHardware
import CubbyMemory
import CubbyPersona
import CubbyPersonaPack
import Foundation

func loadConfiguration(_ options: ConfigOption) throws -> DaemonConfiguration {
    do {
        return try ConfigurationLoader.load(path: options.config)
    } catch {
        throw ValidationError("\(error)")
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the toy's persona, board, child settings and recent activity.")
    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try loadConfiguration(options)
        let loaded = try ActivePersona.load(dataDirectory: configuration.dataDirectory, factoryFolder: configuration.personaFolder)
        let persona = loaded.persona
        let board = try BoardDefinition.load(folder: configuration.boardFolder)
        print("persona:  \(persona.name) (\(persona.id) \(persona.version), \(loaded.origin)), wake phrase \(persona.wake.phrases.map { "\"\($0)\"" }.joined(separator: ", "))")
        print("board:    \(board.name)")
        print("child:    age \(configuration.childAge)\(configuration.childName.map { ", \($0)" } ?? "")")
        print("cloud:    \(configuration.cloudDescription ?? "none (offline lines only)")")
        if let records = try? openRecords(configuration), let last = try records.recentTurns(limit: 1).last {
            print("last turn: \(last.startedAt.formatted(date: .abbreviated, time: .shortened)) (\(last.outcome.rawValue))")
        } else {
            print("last turn: none yet")
        }
    }
}

struct Transcripts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show what the child said and what the toy answered, oldest first.",
        aliases: ["transcripts"])
    @OptionGroup var options: ConfigOption

    @Option(help: "How many of the most recent turns to show.")
    var limit = 20

    @Flag(help: "Only turns where the safety filter did something (held back, redacted, alerted).")
    var flagged = false

    @Option(help: ArgumentHelp("Only turns from this day on (YYYY-MM-DD).", valueName: "date"))
    var since: String?

    @Flag(help: "One JSON object per turn instead of text.")
    var json = false

    func validate() throws {
        if let since, Self.day(since) == nil { throw ValidationError("--since must be a date like 2026-12-01") }
    }

    static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.date(from: text)
    }

    func run() throws {
        let records = try openRecords(try loadConfiguration(options))
        var turns = try records.recentTurns(limit: flagged || since != nil ? 100_000 : limit)
        if let since, let day = Self.day(since) { turns = turns.filter { $0.startedAt >= day } }
        if flagged {
            turns = turns.filter { ($0.inboundAction.map { $0 != "pass" } ?? false) || $0.sentences.contains { $0.blockedCategory != nil } }
        }
        turns = Array(turns.suffix(limit))
        if json {
            try printJSONLines(turns)
            return
        }
        if turns.isEmpty { print("No turns yet.") }
        for turn in turns {
            print("\(turn.startedAt.formatted(date: .abbreviated, time: .standard))  [\(turn.outcome.rawValue)]")
            print("  child: \(turn.childText.isEmpty ? "(nothing heard)" : turn.childText)")
            if let action = turn.inboundAction, action != "pass" {
                let why = turn.inboundCategories.isEmpty ? "" : " (\(turn.inboundCategories.joined(separator: ", ")))"
                let sent = turn.sentText.map { " → sent: \($0)" } ?? " → nothing sent"
                print("  safety: \(action)\(why)\(sent)")
            }
            for sentence in turn.sentences {
                if let category = sentence.blockedCategory {
                    print("  held back (\(category)): \(sentence.text)")
                } else if sentence.spoken {
                    print("  toy:   \(sentence.text)")
                }
            }
        }
    }
}

/// What the toy heard that a parent must know about: a child telling of harm, bullying or wanting to
/// hurt themselves. The toy has already answered with warmth and pointed to a trusted grown-up.
struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show alerts: things the child said that a parent should hear about, newest first.")
    @OptionGroup var options: ConfigOption

    @Option(help: "How many of the most recent alerts to show.")
    var limit = 20

    @Flag(help: "One JSON object per alert instead of text.")
    var json = false

    @Flag(help: "Mark the alerts shown as seen.")
    var markSeen = false

    func run() throws {
        let records = try openRecords(try loadConfiguration(options))
        let alerts = try records.recentAlerts(limit: limit)
        if json {
            try printJSONLines(alerts)
        } else {
            if alerts.isEmpty { print("No alerts.") }
            for alert in alerts {
                let state = alert.seenAt == nil ? "NEW" : "seen"
                print("\(alert.raisedAt.formatted(date: .abbreviated, time: .standard))  [\(state)] \(alert.category)")
                print("  child said: \(alert.excerpt)")
            }
        }
        if markSeen {
            let ids = alerts.filter { $0.seenAt == nil }.compactMap(\.id)
            try records.markAlertsSeen(ids)
        }
    }
}

/// One JSON object per line (sorted keys, ISO 8601 dates): the `--json` form of the read commands.
func printJSONLines<T: Encodable>(_ values: [T]) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    for value in values { print(String(decoding: try encoder.encode(value), as: UTF8.self)) }
}
