import ArgumentParser
import CubbyControl
import Foundation

/// `cubby routines`: what the toy does by itself at set times — a bedtime on school nights, a morning
/// greeting, reminders in the parent's own words — and the timers the child set.
struct Routines: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add and remove routines: bedtime, morning greetings and reminders at set times.",
        subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the routines and the child's timers, with when each happens next.")
        @OptionGroup var connection: DaemonConnection

        func run() throws {
            let (_, payload) = try connection.exchange(ControlRequest(command: "routines.list"))
            let routines: [ControlRoutine] = decodeLines(payload)
            if connection.json { return try printJSONLines(routines) }
            print(Routines.text(routines).joined(separator: "\n"))
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a routine: a reminder the toy says, or a scene it starts (bedtime, morning, story, learning_game).",
            discussion: """
                Examples:
                  cubby routines add --scene bedtime --at 19:30 --days school-nights
                  cubby routines add "Time to brush your teeth!" --at 19:15 --days daily
                  cubby routines add "Grandma is coming today!" --at 08:00 --date 2026-12-24
                Days: mon-fri, sat,sun, daily, weekdays, weekends, school-nights (sun-thu).
                """)
        @OptionGroup var connection: DaemonConnection

        @Argument(help: "What the toy says (a reminder in your own words). Leave out with --scene.")
        var words: String?

        @Option(help: "A scene to start instead of words: bedtime, morning, story, learning_game, or the persona's own.")
        var scene: String?

        @Option(help: "The time, 24-hour clock, e.g. 19:30.")
        var at: String

        @Option(help: "Which days it repeats on, e.g. mon-fri, daily, weekends, school-nights.")
        var days: String?

        @Option(help: "One day only instead, e.g. 2026-12-24.")
        var date: String?

        @Option(help: "How many minutes late it may still happen (after a power cut, or while the child is talking).")
        var grace: Int?

        func validate() throws {
            guard (words == nil) != (scene == nil) else { throw ValidationError("give the words to say, or --scene, not both") }
            guard (days == nil) != (date == nil) else { throw ValidationError("give --days for a routine that repeats, or --date for one day") }
        }

        func run() throws {
            var arguments = ["at": at]
            if let words { (arguments["action"], arguments["text"]) = ("say", words) }
            if let scene { (arguments["action"], arguments["scene"]) = ("scene", scene) }
            if let days { arguments["days"] = days }
            if let date { arguments["date"] = date }
            if let grace { arguments["grace"] = "\(grace)" }
            connection.report(try connection.send(ControlRequest(command: "routines.add", arguments: arguments)))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a routine or a timer by its number (see cubby routines).")
        @OptionGroup var connection: DaemonConnection

        @Argument(help: "The routine's number.")
        var id: Int64

        func run() throws {
            connection.report(try connection.send(ControlRequest(command: "routines.remove", arguments: ["id": "\(id)"])))
        }
    }

    static func text(_ routines: [ControlRoutine]) -> [String] {
        if routines.isEmpty { return ["No routines. Add one with: cubby routines add --scene bedtime --at 19:30 --days school-nights"] }
        return routines.map { routine in
            let what = routine.action == "scene" ? "start \(routine.scene ?? "?")" : "say \"\(routine.text ?? "")\""
            let when = routine.time.map { "\($0) on \(routine.weekdays ?? "")" }
                ?? routine.onceAt.map { "once, \($0.formatted(date: .abbreviated, time: .shortened))" } ?? ""
            let next = routine.nextAt.map { " — next \($0.formatted(date: .abbreviated, time: .shortened))" } ?? ""
            let who = routine.addedBy == "child" ? " (the child's timer)" : ""
            return "\(String(routine.id).padding(toLength: 4, withPad: " ", startingAt: 0)) \(when): \(what)\(who)\(next)"
        }
    }
}

/// `cubby scene`: the scenes this toy knows, and starting one now.
struct SceneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scene", abstract: "List the toy's scenes, or start one now (the toy speaks first, then listens).",
        subcommands: [List.self, Start.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The scenes this toy knows, and which are allowed.")
        @OptionGroup var connection: DaemonConnection
        func run() throws { connection.report(try connection.send(ControlRequest(command: "scenes.list"))) }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a scene now, e.g. cubby scene start bedtime.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The scene: story, bedtime, morning, learning_game, or the persona's own.")
        var scene: String
        func run() throws { connection.report(try connection.send(ControlRequest(command: "scene.start", arguments: ["scene": scene]))) }
    }
}
