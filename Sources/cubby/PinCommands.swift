import ArgumentParser
import CubbyControl
import Foundation

/// `cubby pin set`: the parent PIN every change to the toy needs once it is set (kept on the toy only as a
/// slow hash; wrong PINs make the toy wait longer each time, across restarts).
struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Set or change the parent PIN (4 to 12 digits).",
        subcommands: [Set.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the PIN (first time), or change it (asks for the current one).",
                                                        aliases: ["change"])
        @OptionGroup var connection: DaemonConnection
        @Option(help: ArgumentHelp("Read the new PIN from this file instead of asking.", valueName: "file")) var newPinFile: String?

        func run() throws {
            let new: String
            if let newPinFile {
                new = try readSecret(from: newPinFile, trimming: .whitespacesAndNewlines)
            } else {
                guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("give --new-pin-file, or run this in a terminal") }
                new = String(cString: getpass("New parent PIN (4-12 digits): "))
                guard String(cString: getpass("Again: ")) == new else { throw ValidationError("the PINs differ; nothing changed") }
            }
            connection.report(try connection.send(ControlRequest(command: "pin.set", arguments: ["new_pin": new])))
        }
    }
}
