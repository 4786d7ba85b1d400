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



