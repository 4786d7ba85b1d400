import ArgumentParser
import CubbyCore

/// The parents' terminal app: what the toy did, and (as later issues land) what it may do.
@main
struct Cubby: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cubby",
        abstract: "See and set what your Cubby toy does: transcripts, limits, quiet hours, persona, memories, alerts.",
        discussion: "Reads the same configuration as the daemon (--config, default /etc/cubby/cubbyd.toml).",
        version: "cubby \(CubbyVersion.string)",
        subcommands: [
            Status.self, Transcripts.self,
            Limits.self, QuietHours.self, Age.self, PersonaCommand.self, Memories.self, Alerts.self, DataCommand.self, SoulCommand.self, PinCommand.self,
            Wake.self, Safety.self,
        ])
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's configuration file.", valueName: "path"))
    var config: String = "/etc/cubby/cubbyd.toml"
}
