import ArgumentParser
import CubbyConfiguration
import CubbyControl
import Foundation

/// `cubby settings get|set|unset`: any setting a parent may change, by its name in cubbyd.toml. Changes
/// need the PIN (or `cubby unlock`), apply at once, and are written to the configuration; a value the
/// daemon would not accept is refused with the same message as `cubbyd --check-config`.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Read or change the toy's settings (limits, volume, child, topics...).",
        subcommands: [Get.self, Change.self, Unset.self])

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one setting, or all a parent can change.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "A setting such as limits.daily_minutes; all when left out.") var key: String?

        func run() throws {
            var arguments: [String: String] = [:]
            if let key { arguments["key"] = key }
            let reply = try connection.send(ControlRequest(command: "settings.get", arguments: arguments))
            if connection.json { return printJSON(reply.settings ?? [:]) }
            for (name, value) in (reply.settings ?? [:]).sorted(by: { $0.key < $1.key }) { print("\(name) = \(value)") }
        }
    }

    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change settings: cubby settings set limits.daily_minutes 45 [key value]...",
            discussion: "Values are written as TOML: numbers and true/false as they are, anything else as text.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "Pairs of setting and value.") var pairs: [String]

        func validate() throws {
            guard !pairs.isEmpty, pairs.count.isMultiple(of: 2) else { throw ValidationError("give a value for each setting: KEY VALUE [KEY VALUE]...") }
        }

        func run() throws {
            let keys = pairs.enumerated().filter { $0.offset.isMultiple(of: 2) }.map { "set." + $0.element }
            let values = pairs.enumerated().filter { !$0.offset.isMultiple(of: 2) }.map(\.element)
            let arguments = Dictionary(zip(keys, values), uniquingKeysWith: { _, last in last })
            connection.report(try connection.send(ControlRequest(command: "settings.set", arguments: arguments)))
        }
    }

    struct Unset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put settings back to their defaults.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "Settings to remove from the configuration.") var keys: [String]

        func run() throws {
            let arguments = Dictionary(uniqueKeysWithValues: keys.map { ("unset." + $0, "") })
            connection.report(try connection.send(ControlRequest(command: "settings.set", arguments: arguments)))
        }
    }
}

/// `cubby limits`: the minor mode in one place.
struct Limits: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or set play limits: minutes a day and per sitting, breaks, quiet hours, reminders.",
        discussion: "With no options, shows the limits. --day mon..sun sets that weekday's own daily minutes or quiet hours.")
    @OptionGroup var connection: DaemonConnection
    @Option(help: "Minutes of play a day (0: no limit).") var daily: Int?
    @Option(help: "Minutes of play in one sitting (0: no limit).") var sitting: Int?
    @Option(name: .customLong("break"), help: "Minutes of pause that end a sitting.") var breakMinutes: Int?
    @Option(help: "Minutes before a limit for the warning (0: none).") var warning: Int?
    @Option(help: "Minutes of continuous play before a rest reminder (0: off).") var rest: Int?
    @Option(help: "Minutes between reminders that the toy is a toy with a computer brain (0: first use and when asked).") var aiReminder: Int?
    @Option(help: ArgumentHelp("Quiet hours, e.g. 20:00-07:00, or off.", valueName: "range")) var quiet: String?
    @Option(help: ArgumentHelp("What the wake phrase gets in quiet hours: bedtime_line or ignore.", valueName: "action")) var quietAction: String?
    @Option(help: ArgumentHelp("Apply --daily and --quiet to this weekday only (mon..sun).", valueName: "day")) var day: String?

    func validate() throws {
        if let day, Weekday(rawValue: day) == nil { throw ValidationError("--day must be one of mon, tue, wed, thu, fri, sat, sun") }
        if let quiet, quiet != "off", QuietHours(quiet) == nil { throw ValidationError("--quiet must be a range like 20:00-07:00, or off") }
    }

    func run() throws {
        let prefix = day.map { "limits.\($0)." } ?? "limits."
        var changes: [String: String] = [:]
        if let daily { changes[prefix + "daily_minutes"] = "\(daily)" }
        if let quiet { changes[prefix + "quiet_hours"] = quiet == "off" ? "" : quiet }
        if let sitting { changes["limits.sitting_minutes"] = "\(sitting)" }
        if let breakMinutes { changes["limits.break_minutes"] = "\(breakMinutes)" }
        if let warning { changes["limits.warning_minutes"] = "\(warning)" }
        if let rest { changes["limits.rest_reminder_minutes"] = "\(rest)" }
        if let aiReminder { changes["limits.ai_reminder_minutes"] = "\(aiReminder)" }
        if let quietAction { changes["limits.quiet_hours_action"] = quietAction }
        if !changes.isEmpty {
            let arguments = Dictionary(uniqueKeysWithValues: changes.map { ("set." + $0.key, $0.value) })
            return connection.report(try connection.send(ControlRequest(command: "settings.set", arguments: arguments)))
        }
        let settings = try connection.send(ControlRequest(command: "settings.get")).settings ?? [:]
        let limits = settings.filter { $0.key.hasPrefix("limits.") }
        if connection.json { return printJSON(limits) }
        for (name, value) in limits.sorted(by: { $0.key < $1.key }) { print("\(name.dropFirst(7)) = \(value)") }
    }
}

/// `cubby quiet-hours 20:00-07:00 [--day sat]`, `cubby quiet-hours off`.
struct QuietHoursCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quiet-hours", abstract: "Set the hours the toy sleeps (e.g. 20:00-07:00, or off).")
    @OptionGroup var connection: DaemonConnection
    @Argument(help: "A range like 20:00-07:00, or off.") var range: String
    @Option(help: ArgumentHelp("Only this weekday's night (mon..sun).", valueName: "day")) var day: String?

    func validate() throws {
        if range != "off", QuietHours(range) == nil { throw ValidationError("give a range like 20:00-07:00, or off") }
        if let day, Weekday(rawValue: day) == nil { throw ValidationError("--day must be one of mon, tue, wed, thu, fri, sat, sun") }
    }

    func run() throws {
        let key = "set.limits." + (day.map { "\($0)." } ?? "") + "quiet_hours"
        connection.report(try connection.send(ControlRequest(command: "settings.set", arguments: [key: range == "off" ? "" : range])))
    }
}

struct Age: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set the child's age (3-12).")
    @OptionGroup var connection: DaemonConnection
    @Argument var years: Int

    func run() throws {
        connection.report(try connection.send(ControlRequest(command: "settings.set", arguments: ["set.child.age": "\(years)"])))
    }
}

struct Volume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set the loudest the toy may play: cubby volume --cap 60.")
    @OptionGroup var connection: DaemonConnection
    @Option(help: "The cap, 0-100.") var cap: Int

    func run() throws {
        connection.report(try connection.send(ControlRequest(command: "settings.set", arguments: ["set.device.max_volume": "\(cap)"])))
    }
}

/// `cubby topics list|block|unblock`: topics the toy stays away from, in both directions.
struct Topics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Topics the toy stays away from: list, block TOPIC, unblock TOPIC.", subcommands: [List.self, Block.self, Unblock.self],
        defaultSubcommand: List.self)

    static func current(_ connection: DaemonConnection) throws -> [String] {
        let value = try connection.send(ControlRequest(command: "settings.get", arguments: ["key": "safety.blocked_topics"])).settings?["safety.blocked_topics"] ?? "[]"
        return (try? JSONDecoder().decode([String].self, from: Data(value.utf8))) ?? []
    }

    static func save(_ topics: [String], _ connection: DaemonConnection) throws {
        let literal = "[" + topics.map(ConfigurationEditor.quoted).joined(separator: ", ") + "]"
        connection.report(try connection.send(ControlRequest(command: "settings.set", arguments: ["set.safety.blocked_topics": literal])))
    }

    struct List: ParsableCommand {
        @OptionGroup var connection: DaemonConnection
        func run() throws {
            let topics = try Topics.current(connection)
            if connection.json { return printJSON(topics) }
            print(topics.isEmpty ? "No topics blocked." : topics.joined(separator: "\n"))
        }
    }

    struct Block: ParsableCommand {
        @OptionGroup var connection: DaemonConnection
        @Argument var topic: String
        func run() throws {
            var topics = try Topics.current(connection)
            guard !topics.contains(topic) else { return print("\(topic) is already blocked") }
            topics.append(topic)
            try Topics.save(topics, connection)
        }
    }

    struct Unblock: ParsableCommand {
        @OptionGroup var connection: DaemonConnection
        @Argument var topic: String
        func run() throws {
            let topics = try Topics.current(connection)
            guard topics.contains(topic) else { throw ValidationError("\(topic) is not blocked") }
            try Topics.save(topics.filter { $0 != topic }, connection)
        }
    }
}

/// `cubby unlock`: the PIN once, then changes without it for `[parents] unlock_minutes`.
struct Unlock: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enter the parent PIN once; changes need no PIN until the unlock expires.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let reply = try connection.send(ControlRequest(command: "unlock", arguments: ["pin": try connection.parentPIN() ?? ""]))
        if let unlock = reply.unlock { try UnlockToken.save(unlock, for: connection.place) }
        connection.report(reply)
    }
}

struct Lock: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End every unlock now: changes need the PIN again.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        UnlockToken.forget(for: connection.place)
        connection.report(try connection.send(ControlRequest(command: "lock")))
    }
}

/// `cubby logs`: what parents changed and what the limits did, oldest first.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what was changed on the toy, and what its limits did, oldest first.")
    @OptionGroup var connection: DaemonConnection
    @Option(help: "How many of the latest entries.") var limit = 50

    struct Entry: Codable {
        var at: Date
        var action: String
        var detail: String
    }

    func run() throws {
        let (_, payload) = try connection.exchange(ControlRequest(command: "logs", arguments: ["limit": "\(limit)"]))
        if connection.json { return print(String(decoding: payload, as: UTF8.self), terminator: "") }
        let entries: [Entry] = decodeLines(payload)
        if entries.isEmpty { print("Nothing yet.") }
        for entry in entries { print("\(entry.at.formatted(date: .abbreviated, time: .standard))  \(entry.action)  \(entry.detail)") }
    }
}

/// `cubby bridge` (run by `ssh` for `--host`): relays one request from standard input to the toy's
/// control socket and its answer to standard output.
struct Bridge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Relay one control request (used by cubby --host through ssh).", shouldDisplay: false)
    @OptionGroup var options: ConfigOption
    @Option var socket: String?

    func run() throws {
        let request = FileHandle.standardInput.readDataToEndOfFile()
        let path = try socket ?? loadConfiguration(options).controlSocket
        do {
            let (answer, _) = try ControlClient(socketPath: path).relay(Array(request))
            FileHandle.standardOutput.write(Data(answer))
        } catch {
            FileHandle.standardOutput.write(Data(ControlReply.failure("unreachable", "on the toy: \(error)").encodedLine()))
            throw ExitCode(69)
        }
    }
}

/// JSON lines (a reply's payload) as values; lines that do not decode are skipped.
func decodeLines<T: Decodable>(_ payload: [UInt8]) -> [T] {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return payload.split(separator: 10).compactMap { try? decoder.decode(T.self, from: Data($0)) }
}
