import ArgumentParser
import CubbyConfiguration
import CubbyControl
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
    static let configuration = CommandConfiguration(abstract: "Show the toy at a glance: persona, cloud, today's play and what is left, quiet hours, alerts, disk.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        guard let (reply, _) = try connection.tryExchange(ControlRequest(command: "status")) else { return try offline() }
        guard reply.ok, let status = reply.status else { throw connection.failure(reply) }
        if connection.json { return printJSON(status) }
        print(StatusText.lines(status).joined(separator: "\n"))
    }

    /// The daemon is not running here: what the files say.
    private func offline() throws {
        let configuration = try loadConfiguration(connection.options)
        let loaded = try ActivePersona.load(dataDirectory: configuration.dataDirectory, factoryFolder: configuration.personaFolder)
        let persona = loaded.persona
        if connection.json {
            return printJSON(["daemon": "not running", "persona": persona.id, "persona_version": "\(persona.version)"])
        }
        print("daemon:   not running (start it with: systemctl start cubbyd)")
        print("persona:  \(persona.name) (\(persona.id) \(persona.version), \(loaded.origin))")
        print("child:    age \(configuration.childAge)\(configuration.childName.map { ", \($0)" } ?? "")")
        print("cloud:    \(configuration.cloudDescription ?? "none (offline lines only)")")
        if let records = try? LocalToyRecords(configuration: configuration), let last = try records.recentTurns(limit: 1).last {
            print("last turn: \(last.startedAt.formatted(date: .abbreviated, time: .shortened)) (\(last.outcome.rawValue))")
        }
    }
}

/// `status` as text a parent reads at a glance (also the menu's first screen).
enum StatusText {
    static func lines(_ status: ControlStatus) -> [String] {
        let minutes = { (value: Double) in value == value.rounded() ? "\(Int(value)) min" : String(format: "%.1f min", value) }
        var lines = [
            "persona:  \(status.persona) \(status.personaVersion)",
            "child:    \(status.childName ?? "(no name set)"), age \(status.childAge)",
            "cloud:    " + (status.cloud.map { "\($0) — " + (status.cloudReachable == true ? "reachable" : "NOT reachable") } ?? "none (offline lines only)"),
        ]
        var play = "today:    played \(minutes(status.playedTodayMinutes))"
        if let left = status.leftTodayMinutes { play += ", \(minutes(left)) left of \(status.dailyMinutes)" } else { play += " (no daily limit)" }
        if let sitting = status.leftThisSittingMinutes, status.sittingMinutes > 0 { play += "; \(minutes(sitting)) left in this sitting" }
        lines.append(play)
        lines.append("quiet:    " + (status.quietHours.map { "\($0) tonight" + (status.inQuietHours ? " (now: asleep)" : "") } ?? "no quiet hours"))
        lines.append("volume:   cap \(status.maxVolume)\(status.muted ? ", microphone MUTED" : "")")
        lines.append("alerts:   " + (status.unseenAlerts == 0 ? "none new" : "\(status.unseenAlerts) NEW (cubby alerts)")
                     + (status.lastAlerts.isEmpty ? "" : "; latest " + status.lastAlerts[0]))
        lines.append("last turn: " + (status.lastTurnAt.map { $0.formatted(date: .abbreviated, time: .shortened) } ?? "none yet"))
        let megabytes = { (bytes: Int64) in String(format: "%.1f MB", Double(bytes) / 1_000_000) }
        lines.append("disk:     \(megabytes(status.dataBytes)) kept" + (status.diskFreeBytes.map { ", \(megabytes($0)) free" } ?? ""))
        lines.append("PIN:      " + (status.pinSet ? "set" : "NOT SET (cubby pin set)"))
        return lines
    }
}

struct Transcripts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show what the child said and what the toy answered, oldest first.",
        aliases: ["transcripts"])
    @OptionGroup var connection: DaemonConnection

    @Option(help: "How many of the most recent turns to show.")
    var limit = 20

    @Flag(help: "Only turns where the safety filter did something (held back, redacted, alerted).")
    var flagged = false

    @Option(help: ArgumentHelp("Only turns from this day on (YYYY-MM-DD).", valueName: "date"))
    var since: String?

    func validate() throws {
        if let since, ControlProtocol.day(since) == nil { throw ValidationError("--since must be a date like 2026-12-01") }
    }

    func run() throws {
        var arguments = ["limit": "\(limit)"]
        if flagged { arguments["flagged"] = "true" }
        if let since { arguments["since"] = since }
        var turns: [TurnRecord]
        if let (reply, payload) = try connection.tryExchange(ControlRequest(command: "history", arguments: arguments)) {
            guard reply.ok else { throw connection.failure(reply) }
            turns = decodeLines(payload)
        } else {
            // The daemon is not running on this machine: read its records directly.
            let records = try LocalToyRecords(configuration: try loadConfiguration(connection.options))
            turns = try records.database.conversations.history(limit: limit, since: since.flatMap(ControlProtocol.day), flagged: flagged)
        }
        if connection.json { return try printJSONLines(turns) }
        print(Self.text(turns).joined(separator: "\n"))
    }

    static func text(_ turns: [TurnRecord]) -> [String] {
        if turns.isEmpty { return ["No turns yet."] }
        var lines: [String] = []
        for turn in turns {
            lines.append("\(turn.startedAt.formatted(date: .abbreviated, time: .standard))  [\(turn.outcome.rawValue)]")
            lines.append("  child: \(turn.childText.isEmpty ? "(nothing heard)" : turn.childText)")
            if let action = turn.inboundAction, action != "pass" {
                let why = turn.inboundCategories.isEmpty ? "" : " (\(turn.inboundCategories.joined(separator: ", ")))"
                let sent = turn.sentText.map { " → sent: \($0)" } ?? " → nothing sent"
                lines.append("  safety: \(action)\(why)\(sent)")
            }
            for sentence in turn.sentences {
                if let category = sentence.blockedCategory {
                    lines.append("  held back (\(category)): \(sentence.text)")
                } else if sentence.spoken {
                    lines.append("  toy:   \(sentence.text)")
                }
            }
        }
        return lines
    }
}

/// What the toy heard that a parent must know about: a child telling of harm, bullying or wanting to
/// hurt themselves. The toy has already answered with warmth and pointed to a trusted grown-up.
struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show alerts: things the child said that a parent should hear about, newest first.")
    @OptionGroup var connection: DaemonConnection

    @Option(help: "How many of the most recent alerts to show.")
    var limit = 20

    @Flag(name: [.customLong("ack"), .customLong("mark-seen")], help: "Mark the alerts shown as seen.")
    var acknowledge = false

    func run() throws {
        var alerts: [AlertRecord]
        let remote = try connection.tryExchange(ControlRequest(command: "alerts.list", arguments: ["limit": "\(limit)"]))
        if let (reply, payload) = remote {
            guard reply.ok else { throw connection.failure(reply) }
            alerts = decodeLines(payload)
        } else {
            alerts = try LocalToyRecords(configuration: try loadConfiguration(connection.options)).recentAlerts(limit: limit)
        }
        if connection.json {
            try printJSONLines(alerts)
        } else {
            print(Self.text(alerts).joined(separator: "\n"))
        }
        guard acknowledge else { return }
        let ids = alerts.filter { $0.seenAt == nil }.compactMap(\.id)
        guard !ids.isEmpty else { return }
        if remote != nil {
            let reply = try connection.send(ControlRequest(command: "alerts.ack", arguments: ["ids": ids.map(String.init).joined(separator: ",")]))
            if !connection.json, let message = reply.message { print(message) }
        } else {
            try LocalToyRecords(configuration: try loadConfiguration(connection.options)).markAlertsSeen(ids)
        }
    }

    static func text(_ alerts: [AlertRecord]) -> [String] {
        if alerts.isEmpty { return ["No alerts."] }
        return alerts.flatMap { alert in
            ["\(alert.raisedAt.formatted(date: .abbreviated, time: .standard))  [\(alert.seenAt == nil ? "NEW" : "seen")] \(alert.category)",
             "  child said: \(alert.excerpt)"]
        }
    }
}

/// One JSON object per line (sorted keys, ISO 8601 dates): the `--json` form of the read commands.
func printJSONLines<T: Encodable>(_ values: [T]) throws {
    for value in values { printJSON(value) }
}
