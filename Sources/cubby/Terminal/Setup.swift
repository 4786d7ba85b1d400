import ArgumentParser
import CubbyControl
import Foundation

/// `cubby setup`: the first-run wizard — consent, PIN, child, persona, cloud key, quiet hours, limits,
/// who may read. Every answer goes to the daemon as it is given, so a setup stopped halfway keeps what
/// was done; run again, it offers to resume at the step where it stopped.
struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set the toy up (first run, or again): consent, PIN, child, persona, cloud, quiet hours, limits.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        var wizard = SetupWizard(connection: connection, terminal: Terminal())
        try wizard.run()
    }
}

struct SetupWizard {
    let connection: DaemonConnection
    let terminal: Terminal

    enum Step: String, CaseIterable, Codable {
        case consent, pin, child, persona, cloud, quietHours = "quiet_hours", limits, reading, done

        var title: String {
            switch self {
            case .consent: "What the toy keeps, and where it goes"
            case .pin: "Your parent PIN"
            case .child: "Your child"
            case .persona: "The toy's character"
            case .cloud: "The cloud key"
            case .quietHours: "Quiet hours"
            case .limits: "Play time"
            case .reading: "Who may read"
            case .done: "All set"
            }
        }
    }

    /// Which steps are done, kept for this user so an interrupted setup resumes.
    struct Progress: Codable {
        var done: [Step] = []
    }

    var progressFile: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/tmp"
        return home + "/.config/cubby/setup-\(UnlockToken.fileName(for: connection.place)).json"
    }

    func loadProgress() -> Progress {
        guard let data = FileManager.default.contents(atPath: progressFile) else { return Progress() }
        return (try? JSONDecoder().decode(Progress.self, from: data)) ?? Progress()
    }

    func save(_ progress: Progress) {
        try? FileManager.default.createDirectory(atPath: (progressFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? writePrivately(Array((try? JSONEncoder().encode(progress)) ?? Data()), to: progressFile)
    }

    mutating func run() throws {
        var progress = loadProgress()
        let steps = Step.allCases
        if let next = steps.first(where: { !progress.done.contains($0) }), !progress.done.isEmpty, next != .consent {
            terminal.title("Cubby setup")
            if next == .done {
                terminal.say("This toy was set up before.")
            } else {
                terminal.say("Setup stopped at \"\(next.title)\" last time.")
            }
            switch terminal.choose("", [next == .done ? "Set it up again" : "Resume at \"\(next.title)\"", "Start over", "Quit"]) {
            case 0: if next == .done { progress = Progress() }
            case 1: progress = Progress()
            default: return
            }
        }
        save(progress)
        for (index, step) in steps.enumerated() where !progress.done.contains(step) {
            terminal.title("Cubby setup — step \(index + 1) of \(steps.count): \(step.title)")
            guard try perform(step) else {
                terminal.say("\nSetup stopped. Run `cubby setup` again to go on from here.")
                throw ExitCode(1)
            }
            progress.done.append(step)
            save(progress)
        }
    }

    /// Runs a step; false when the parent stopped.
    private func perform(_ step: Step) throws -> Bool {
        switch step {
        case .consent: return try consent()
        case .pin: return try pin()
        case .child: return try child()
        case .persona: return try persona()
        case .cloud: return try cloud()
        case .quietHours: return try quietHours()
        case .limits: return try limits()
        case .reading: return try reading()
        case .done:
            if let status = try? connection.send(ControlRequest(command: "status")).status {
                for line in StatusText.lines(status) { terminal.say(line) }
            }
            terminal.good("\nThe toy is ready. Each evening, `cubby history` shows what was said that day.")
            terminal.pause()
            return true
        }
    }

    /// Sends a change; on a refusal the message is shown (by the connection) and the step asks again.
    private func change(_ request: ControlRequest) -> Bool {
        do {
            let reply = try connection.send(request)
            if let message = reply.message { terminal.good(message) }
            return true
        } catch {
            return false
        }
    }

    private func settings() -> [String: String] {
        (try? connection.send(ControlRequest(command: "settings.get")).settings) ?? [:]
    }

    private func consent() throws -> Bool {
        let values = settings()
        let recipients = ((try? connection.send(ControlRequest(command: "status")).status?.recipients) ?? nil) ?? []
        let days = values["privacy.transcript_days"] ?? "30"
        terminal.say("""
            Kept on the toy only:
              • what your child said and what the toy answered, for \(days) days (`cubby history`)
              • things your child tells the toy to remember, until you delete them (`cubby memories`)
              • alerts when your child tells of harm, for you (`cubby alerts`)
              • never any recording: audio is not stored.

            Sent from the toy:
            """)
        if recipients.isEmpty {
            terminal.say("  • nothing: no cloud is configured; the toy answers with its own offline lines.")
        }
        for recipient in recipients { terminal.say("  • " + recipient) }
        terminal.say("\nThe toy says it is a toy with a computer brain, keeps to your play times and quiet hours; a child cannot change them by voice.")
        guard terminal.choose("\nDo you agree?", ["I agree", "Stop here"]) == 0 else { return false }
        return change(ControlRequest(command: "consent.record", arguments: ["providers": recipients.isEmpty ? "none" : recipients.joined(separator: "; ")]))
    }

    private func pin() throws -> Bool {
        let status = try? connection.send(ControlRequest(command: "status")).status
        if status?.pinSet == true {
            terminal.say("A parent PIN is set already. Enter it once for the rest of the setup.")
            guard let pin = terminal.askSecret("Parent PIN") else { return false }
            return unlock(with: pin)
        }
        terminal.say("Every change to the toy will need this PIN. Choose 4 to 12 digits your child does not know.")
        while true {
            guard let new = terminal.askSecret("New PIN"), let again = terminal.askSecret("Again") else { return false }
            guard new == again else { terminal.problem("The two PINs differ; try again."); continue }
            if change(ControlRequest(command: "pin.set", arguments: ["new_pin": new])) { return unlock(with: new) }
        }
    }

    private func unlock(with pin: String) -> Bool {
        do {
            let reply = try connection.send(ControlRequest(command: "unlock", arguments: ["pin": pin]))
            if let unlock = reply.unlock { try UnlockToken.save(unlock, for: connection.place) }
            return true
        } catch {
            terminal.problem("The PIN was not accepted.")
            return false
        }
    }

    private func child() throws -> Bool {
        let values = settings()
        let unquote = { (text: String?) in (text ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        while true {
            guard let name = terminal.ask("Your child's first name (the toy uses it; it never leaves the toy)", default: unquote(values["child.name"])),
                  let age = terminal.ask("Age (3-12)", default: values["child.age"] ?? "6") else { return false }
            guard let language = terminal.choose("Language", ["English", "中文 (Chinese)"], selected: unquote(values["child.language"]) == "zh" ? 1 : 0) else { return false }
            if change(ControlRequest(command: "settings.set", arguments: ["set.child.name": name, "set.child.age": age,
                                                                          "set.child.language": language == 1 ? "zh" : "en"])) { return true }
        }
    }

    private func persona() throws -> Bool {
        let personas = (try? connection.send(ControlRequest(command: "persona.list")).personas) ?? []
        guard !personas.isEmpty else {
            terminal.say("Only the toy's own character is installed.")
            terminal.pause()
            return true
        }
        let names = personas.map { "\($0.name ?? $0.id) (\($0.id) \($0.version), \($0.locales.joined(separator: "+")))\($0.active ? " — now" : "")" }
        guard let chosen = terminal.choose("Which character should the toy be?", names, selected: personas.firstIndex { $0.active } ?? 0) else { return false }
        if personas[chosen].active { return true }
        return change(ControlRequest(command: "persona.switch", arguments: ["id": personas[chosen].id]))
    }

    private func cloud() throws -> Bool {
        let values = settings()
        let address = (values["cloud.base_url"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard !address.isEmpty else {
            terminal.say("No cloud is configured, so the toy needs no key. (An administrator sets [cloud] base_url in cubbyd.toml.)")
            terminal.pause()
            return true
        }
        let hasKey = values["cloud.api_key_file"]?.contains("set") == true
        terminal.say("The toy talks to \(address)." + (hasKey ? " A key is set already." : ""))
        while true {
            guard let key = terminal.askSecret("API key (Enter to \(hasKey ? "keep the one set" : "skip"))") else { return false }
            if key.isEmpty { return true }
            if change(ControlRequest(command: "cloud.key", arguments: ["key": key])) { return true }
        }
    }

    private func quietHours() throws -> Bool {
        let current = (settings()["limits.quiet_hours"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        terminal.say("During quiet hours the wake phrase gets a soft bedtime line and nothing else.")
        while true {
            guard let range = terminal.ask("Quiet hours (HH:MM-HH:MM, or off)", default: current.isEmpty ? "20:00-07:00" : current) else { return false }
            if change(ControlRequest(command: "settings.set", arguments: ["set.limits.quiet_hours": range == "off" ? "" : range])) { return true }
        }
    }

    private func limits() throws -> Bool {
        let values = settings()
        terminal.say("Play time counts while the toy listens and talks. A warning comes two minutes before the end, then a goodbye.")
        while true {
            guard let daily = terminal.ask("Minutes a day (0: no limit)", default: values["limits.daily_minutes"] ?? "60"),
                  let sitting = terminal.ask("Minutes in one sitting before a break (0: no limit)", default: values["limits.sitting_minutes"] ?? "30"),
                  let rest = terminal.ask("Rest reminder after this many minutes of play (0: off)", default: values["limits.rest_reminder_minutes"] ?? "20")
            else { return false }
            if change(ControlRequest(command: "settings.set", arguments: ["set.limits.daily_minutes": daily, "set.limits.sitting_minutes": sitting,
                                                                          "set.limits.rest_reminder_minutes": rest])) { return true }
        }
    }

    private func reading() throws -> Bool {
        terminal.say("Changes always need your PIN. Reading history, alerts and status can be open to everyone in the toy's `cubby` group.")
        guard let choice = terminal.choose("Reading:", ["Open to the cubby group (no PIN to read)", "Needs the PIN too"]) else { return false }
        return change(ControlRequest(command: "settings.set", arguments: ["set.parents.read_without_pin": choice == 0 ? "true" : "false"]))
    }
}
