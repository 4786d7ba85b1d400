import ArgumentParser
import CubbyControl
import CubbyMemory
import Foundation

/// `cubby` with no command: a menu for an ordinary terminal (also over `ssh -t`, or with `--host`),
/// usable at 80×24: arrow keys or numbers to choose, Enter to open, q to go back.
struct Menu: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The parents' menu (what `cubby` alone opens).")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let terminal = Terminal()
        let screens: [(String, (Terminal) throws -> Void)] = [
            ("Status", status), ("Today's history", history), ("Alerts", alerts), ("Play limits and quiet hours", limits),
            ("Routines and reminders", routines), ("Volume cap", volume), ("Character (persona)", persona), ("Memories", memories), ("What changed (log)", logs),
            ("Unlock for 10 minutes", unlock), ("Set up again", setup),
        ]
        var selected = 0
        while true {
            terminal.title("Cubby — parents' menu\(connection.host.map { " (\($0))" } ?? "")")
            guard let choice = terminal.choose("↑/↓ and Enter, or a number; q quits.", screens.map(\.0) + ["Quit"], selected: selected),
                  choice < screens.count else { return terminal.clear() }
            selected = choice
            terminal.title(screens[choice].0)
            do { try screens[choice].1(terminal) } catch let exit as ExitCode where exit.rawValue != 0 {
                // The connection has said what was wrong.
            }
            terminal.pause()
        }
    }

    private func status(_ terminal: Terminal) throws {
        let reply = try connection.send(ControlRequest(command: "status"))
        if let status = reply.status { StatusText.lines(status).forEach(terminal.say) }
    }

    private func history(_ terminal: Terminal) throws {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        let (_, payload) = try connection.exchange(ControlRequest(command: "history", arguments: ["since": formatter.string(from: Date()), "limit": "200"]))
        let lines = Transcripts.text(decodeLines(payload) as [TurnRecord])
        // The latest that fit the screen.
        lines.suffix(max(terminal.size.rows - 5, 5)).forEach(terminal.say)
    }

    private func alerts(_ terminal: Terminal) throws {
        let (_, payload) = try connection.exchange(ControlRequest(command: "alerts.list", arguments: ["limit": "8"]))
        let alerts: [AlertRecord] = decodeLines(payload)
        Alerts.text(alerts).forEach(terminal.say)
        let unseen = alerts.filter { $0.seenAt == nil }.compactMap(\.id)
        if !unseen.isEmpty, terminal.choose("\nMark these as seen?", ["Yes", "Not now"]) == 0 {
            terminal.good(try connection.send(ControlRequest(command: "alerts.ack", arguments: ["ids": unseen.map(String.init).joined(separator: ",")])).message ?? "")
        }
    }

    private func limits(_ terminal: Terminal) throws {
        let settings = try connection.send(ControlRequest(command: "settings.get")).settings ?? [:]
        let keys = ["limits.daily_minutes", "limits.sitting_minutes", "limits.break_minutes", "limits.rest_reminder_minutes",
                    "limits.quiet_hours", "limits.quiet_hours_action", "limits.ai_reminder_minutes"]
        guard let index = terminal.choose("Which one?", keys.map { "\($0.dropFirst(7)) = \(settings[$0] ?? "")" }) else { return }
        guard let value = terminal.ask("New value for \(keys[index].dropFirst(7))") else { return }
        terminal.good(try connection.send(ControlRequest(command: "settings.set", arguments: ["set." + keys[index]: value])).message ?? "")
    }

    /// The routines, then: add a reminder, add a bedtime or morning, remove one, or start a scene now.
    private func routines(_ terminal: Terminal) throws {
        let (_, payload) = try connection.exchange(ControlRequest(command: "routines.list"))
        let routines: [ControlRoutine] = decodeLines(payload)
        Routines.text(routines).forEach(terminal.say)
        let actions = ["Add a reminder in your words", "Add a bedtime", "Add a morning greeting", "Remove one", "Start a scene now"]
        guard let action = terminal.choose("\nWhat next?", actions) else { return }
        var arguments: [String: String] = [:]
        switch action {
        case 0:
            guard let words = terminal.ask("What should the toy say?") else { return }
            (arguments["action"], arguments["text"]) = ("say", words)
        case 1: (arguments["action"], arguments["scene"]) = ("scene", "bedtime")
        case 2: (arguments["action"], arguments["scene"]) = ("scene", "morning")
        case 3:
            guard !routines.isEmpty, let index = terminal.choose("Remove which?", Routines.text(routines)) else { return }
            terminal.good(try connection.send(ControlRequest(command: "routines.remove", arguments: ["id": "\(routines[index].id)"])).message ?? "")
            return
        default:
            let scenes = ["story", "bedtime", "morning", "learning_game"]
            guard let index = terminal.choose("Which scene?", scenes) else { return }
            terminal.good(try connection.send(ControlRequest(command: "scene.start", arguments: ["scene": scenes[index]])).message ?? "")
            return
        }
        guard let at = terminal.ask("At what time (24-hour, e.g. 19:30)?", default: action == 2 ? "07:00" : "19:30"),
              let days = terminal.ask("On which days (daily, weekdays, school-nights, mon-fri, sat,sun)?", default: action == 1 ? "school-nights" : "daily")
        else { return }
        (arguments["at"], arguments["days"]) = (at, days)
        terminal.good(try connection.send(ControlRequest(command: "routines.add", arguments: arguments)).message ?? "")
    }

    private func volume(_ terminal: Terminal) throws {
        let current = try connection.send(ControlRequest(command: "settings.get", arguments: ["key": "device.max_volume"])).settings?["device.max_volume"] ?? "80"
        guard let value = terminal.ask("Loudest the toy may play (0-100)", default: current) else { return }
        terminal.good(try connection.send(ControlRequest(command: "settings.set", arguments: ["set.device.max_volume": value])).message ?? "")
    }

    private func persona(_ terminal: Terminal) throws {
        let personas = try connection.send(ControlRequest(command: "persona.list")).personas ?? []
        guard let chosen = terminal.choose("Switch to:", personas.map { "\($0.name ?? $0.id) \($0.version)\($0.active ? " (now)" : "")" }),
              !personas[chosen].active else { return }
        terminal.good(try connection.send(ControlRequest(command: "persona.switch", arguments: ["id": personas[chosen].id])).message ?? "")
    }

    private func memories(_ terminal: Terminal) throws {
        let memories = try connection.send(ControlRequest(command: "memory.list", arguments: ["limit": "\(max(terminal.size.rows - 6, 5))"])).memories ?? []
        if memories.isEmpty { terminal.say("The toy remembers nothing yet.") }
        for memory in memories { terminal.say("\(memory.id)  \(memory.text)") }
    }

    private func logs(_ terminal: Terminal) throws {
        let (_, payload) = try connection.exchange(ControlRequest(command: "logs", arguments: ["limit": "\(max(terminal.size.rows - 5, 5))"]))
        let entries: [Logs.Entry] = decodeLines(payload)
        if entries.isEmpty { terminal.say("Nothing yet.") }
        for entry in entries { terminal.say("\(entry.at.formatted(date: .omitted, time: .shortened))  \(entry.action)  \(entry.detail)".prefix(terminal.size.columns).description) }
    }

    private func unlock(_ terminal: Terminal) throws {
        guard let pin = terminal.askSecret("Parent PIN") else { return }
        let reply = try connection.send(ControlRequest(command: "unlock", arguments: ["pin": pin]))
        if let unlock = reply.unlock { try UnlockToken.save(unlock, for: connection.place) }
        terminal.good(reply.message ?? "")
    }

    private func setup(_ terminal: Terminal) throws {
        var wizard = SetupWizard(connection: connection, terminal: terminal)
        try wizard.run()
    }
}
