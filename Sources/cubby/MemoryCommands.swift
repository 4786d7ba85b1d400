import ArgumentParser
import CubbyControl
import CubbyCore
import Foundation

/// `cubby memories …`: what the toy remembers about the child, through the running daemon.
struct Memories: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "See, search and delete what the toy remembers about the child.",
        subcommands: [List.self, Search.self, Delete.self])

    static func show(_ reply: ControlReply, json: Bool) throws {
        let memories = reply.memories ?? []
        if json {
            return printJSON(memories)
        }
        if memories.isEmpty { print("The toy remembers nothing (yet).") }
        for memory in memories {
            print("\(String(memory.id).padding(toLength: 6, withPad: " ", startingAt: 0)) \(memory.createdAt.formatted(date: .abbreviated, time: .omitted))  "
                + "[\(memory.kind)] \(memory.text)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything the toy remembers, newest first.")
        @OptionGroup var connection: DaemonConnection
        @Option(help: "At most this many.") var limit = 1_000

        func run() throws {
            try Memories.show(try connection.send(ControlRequest(command: "memory.list", arguments: ["limit": String(limit)])), json: connection.json)
        }
    }

    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What the toy remembers about something (English or Chinese).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: ArgumentHelp("What to look for.", valueName: "text")) var text: String

        func run() throws {
            try Memories.show(try connection.send(ControlRequest(command: "memory.search", arguments: ["text": text])), json: connection.json)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one memory by its id, or all of them with --all.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: ArgumentHelp("The memory's id (from list).", valueName: "id")) var id: Int64?
        @Flag(help: "Delete every memory.") var all = false

        func validate() throws {
            guard (id == nil) == all else { throw ValidationError("give a memory id, or --all") }
        }

        func run() throws {
            let arguments = all ? ["all": "true"] : ["id": String(id!)]
            connection.report(try connection.send(ControlRequest(command: "memory.delete", arguments: arguments)))
        }
    }
}

/// `cubby data …`: everything kept about the child.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Export or erase everything the toy keeps about the child.",
        subcommands: [Export.self, Erase.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write everything kept about the child (profile, memories, transcripts, alerts, audit log) as JSON.")
        @OptionGroup var connection: DaemonConnection
        @Option(help: ArgumentHelp("The JSON file to write.", valueName: "file")) var out: String

        func run() throws {
            let (reply, bytes) = try connection.exchange(ControlRequest(command: "data.export"))
            try writePrivately(bytes, to: out)
            print("\(out): \(reply.message ?? "exported")")
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erase everything kept about the child: transcripts, alerts, memories, the profile.")
        @OptionGroup var connection: DaemonConnection
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() throws {
            if !yes {
                print("This erases every transcript, alert and memory the toy keeps about the child. Type \"erase\" to go on: ", terminator: "")
                guard readLine()?.trimmingCharacters(in: .whitespaces) == "erase" else {
                    print("Nothing was erased.")
                    throw ExitCode(1)
                }
            }
            connection.report(try connection.send(ControlRequest(command: "data.erase", arguments: ["confirm": "erase"])))
        }
    }
}

/// `cubby soul …`: the child's profile, memories and the relationship, sealed with a passphrase, to move
/// to a new toy.
struct SoulCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soul", abstract: "Move the child's memories and the toy's relationship with them to a new toy.",
        discussion: "The file is encrypted with a key derived from your passphrase (scrypt, AES-256-GCM); without the passphrase it cannot be read.",
        subcommands: [Export.self, Import.self])

    struct Passphrase: ParsableArguments {
        @Option(help: ArgumentHelp("Read the passphrase from this file instead of asking.", valueName: "file")) var passphraseFile: String?

        func read(confirm: Bool) throws -> String {
            if let passphraseFile { return try readSecret(from: passphraseFile, trimming: .newlines) }
            guard isatty(STDIN_FILENO) == 1 else {
                return readLine(strippingNewline: true) ?? ""
            }
            let first = String(cString: getpass("Passphrase (8 characters or more): "))
            if confirm {
                guard String(cString: getpass("Again: ")) == first else { throw ValidationError("the passphrases differ") }
            }
            return first
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Seal the child's soul into a file.")
        @OptionGroup var connection: DaemonConnection
        @OptionGroup var passphrase: Passphrase
        @Option(help: ArgumentHelp("The soul file to write.", valueName: "file")) var out: String

        func run() throws {
            let secret = try passphrase.read(confirm: true)
            let (reply, bytes) = try connection.exchange(ControlRequest(command: "soul.export", arguments: ["passphrase": secret]))
            try writePrivately(bytes, to: out)
            print("\(out): \(reply.message ?? "sealed")")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restore a soul on this toy; nothing changes if the passphrase is wrong or the file was changed.")
        @OptionGroup var connection: DaemonConnection
        @OptionGroup var passphrase: Passphrase
        @Argument(help: ArgumentHelp("The soul file.", valueName: "file")) var file: String

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("\(file): cannot be read") }
            let secret = try passphrase.read(confirm: false)
            connection.report(try connection.send(ControlRequest(command: "soul.import", arguments: ["passphrase": secret, "name": (file as NSString).lastPathComponent]),
                                                  payload: [UInt8](data)))
        }
    }
}

/// Everything about a child is for the family only: the file is the user's alone (0600), written whole.
func writePrivately(_ bytes: [UInt8], to path: String) throws {
    do { try FileBytes.writeAtomically(bytes, to: path, mode: 0o600) } catch {
        FileHandle.standardError.write(Data("cubby: \(error)\n".utf8))
        throw ExitCode(73)
    }
}
