import ArgumentParser
import CubbyCore
import Foundation

/// The parents' terminal app: set the toy up, see what it did, and decide what it may do. With no
/// command, a menu; `cubby --host toy.local <command>` works on a toy elsewhere, through ssh.
struct Cubby: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cubby",
        abstract: "See and set what your Cubby toy does: setup, status, history, limits, quiet hours, persona, memories, alerts.",
        discussion: """
            Run with no command for a menu. Commands reach the toy's daemon through its control socket (--config, \
            default /etc/cubby/cubbyd.toml, or --socket); `cubby --host toy.local <command>` reaches a toy elsewhere through ssh. \
            Every command has --json for scripts.
            """,
        version: "cubby \(CubbyVersion.string)",
        subcommands: [
            Setup.self, Menu.self, Status.self, Transcripts.self, Alerts.self, Logs.self,
            Limits.self, QuietHoursCommand.self, Age.self, Volume.self, Topics.self, SettingsCommand.self,
            PersonaCommand.self, Memories.self, DataCommand.self, SoulCommand.self, PinCommand.self, Unlock.self, Lock.self,
            Routines.self, SceneCommand.self, HardwareCommand.self, Wake.self, Safety.self, Bridge.self,
        ])
}

/// `cubby` alone opens the menu; `cubby --host H cmd …` is `cubby cmd … --host H`.
@main
enum CubbyMain {
    static func main() async {
        // ssh exiting before it read the request must be an error message, not a silent death.
        signal(SIGPIPE, SIG_IGN)
        var arguments = Array(CommandLine.arguments.dropFirst())
        var moved: [String] = []
        while let first = arguments.first, ["--host", "--config", "--socket", "--pin-file"].contains(first), arguments.count >= 2 {
            moved += arguments.prefix(2)
            arguments.removeFirst(2)
        }
        if arguments.isEmpty || arguments.allSatisfy({ $0 == "--json" }) { arguments = ["menu"] + arguments }
        await Cubby.main(arguments + moved)
    }
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's configuration file.", valueName: "path"))
    var config: String = ConfigOption.defaultPath

    static let defaultPath = "/etc/cubby/cubbyd.toml"
}
