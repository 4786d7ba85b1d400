import ArgumentParser
import CubbyConfiguration
import CubbyControl
import CubbyCore
import Foundation

/// `cubby persona …`: every change goes through the running daemon over its control socket, which
/// verifies, installs and applies it; `cubby` never writes the toy's data behind its back.
struct PersonaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persona",
        abstract: "See, install and switch the toy's persona packs.",
        discussion: """
            Changes go through the running daemon (its control socket, [control] socket in cubbyd.toml). \
            Exit codes: 0 done; 65 the toy refused (the message says why; nothing changed); 69 the daemon cannot be reached.
            """,
        subcommands: [List.self, Install.self, Switch.self, Remove.self, Rollback.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List installed personas, the active one first.")
        @OptionGroup var connection: DaemonConnection

        func run() throws {
            let reply = try connection.send(ControlRequest(command: "persona.list"))
            let personas = reply.personas ?? []
            if connection.json {
                return printJSON(personas)
            }
            if personas.isEmpty { print("no persona packs installed; the toy is \(reply.activePersona ?? "?") (its factory persona)") }
            for persona in personas {
                print("\(persona.active ? "*" : " ") \(persona.id.padding(toLength: 14, withPad: " ", startingAt: 0)) \(persona.version.padding(toLength: 10, withPad: " ", startingAt: 0)) "
                    + "\((persona.name ?? "?").padding(toLength: 12, withPad: " ", startingAt: 0)) \(persona.locales.joined(separator: "+"))"
                    + (persona.previous.map { "  (rollback to \($0))" } ?? ""))
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install a .cubbypack on the toy and make it the active persona.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: ArgumentHelp("The pack file.", valueName: "file")) var file: String
        @Flag(help: "Install even if it is older than the installed version.") var allowDowngrade = false

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("cubby: \(file): cannot be read\n".utf8))
                throw ExitCode(66)
            }
            guard data.count <= ControlProtocol.maximumPayloadBytes else {
                FileHandle.standardError.write(Data("cubby: \(file): is \(data.count) bytes; a pack is at most \(ControlProtocol.maximumPayloadBytes)\n".utf8))
                throw ExitCode(65)
            }
            var arguments = ["name": (file as NSString).lastPathComponent]
            if allowDowngrade { arguments["allow_downgrade"] = "true" }
            connection.report(try connection.send(ControlRequest(command: "persona.install", arguments: arguments), payload: [UInt8](data)))
        }
    }

    struct Switch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an installed persona the active one. The child's memories stay.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: ArgumentHelp("The persona's id.", valueName: "id")) var id: String

        func run() throws { connection.report(try connection.send(ControlRequest(command: "persona.switch", arguments: ["id": id]))) }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an installed persona (not the active one).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: ArgumentHelp("The persona's id.", valueName: "id")) var id: String

        func run() throws { connection.report(try connection.send(ControlRequest(command: "persona.remove", arguments: ["id": id]))) }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Go back to the active persona's previous version (again: forward).")
        @OptionGroup var connection: DaemonConnection

        func run() throws { connection.report(try connection.send(ControlRequest(command: "persona.rollback"))) }
    }
}
