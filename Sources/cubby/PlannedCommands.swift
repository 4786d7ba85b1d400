import ArgumentParser
import CubbyCore

// Commands the parents' app will have. Each says plainly that it is not built yet and exits 2.

struct Limits: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Daily time limits. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby limits", comesWith: "the parents' app") }
}

struct QuietHours: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quiet-hours", abstract: "Hours when the toy stays asleep. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby quiet-hours", comesWith: "the parents' app") }
}

struct Age: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set the child's age; for now edit [child] age in cubbyd.toml. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby age", comesWith: "the parents' app") }
}

struct Memories: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "See and delete what the toy remembers. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby memories", comesWith: "long-term memory") }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export everything the toy stored. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby export", comesWith: "the parents' app") }
}

struct Erase: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Erase everything the toy stored. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby erase", comesWith: "the parents' app") }
}
