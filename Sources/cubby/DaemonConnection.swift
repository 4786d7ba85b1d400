import ArgumentParser
import CubbyConfiguration
import CubbyControl
import CubbyCore
import Foundation

/// How a command reaches the running daemon: its control socket, from the configuration or `--socket`.
/// Exit codes for every such command: 65 the toy refused (the message says why; nothing changed); 69 the
/// daemon cannot be reached or speaks another protocol version.
struct DaemonConnection: ParsableArguments {
    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The daemon's control socket (default: [control] socket of the configuration).", valueName: "path"))
    var socket: String?

    func send(_ request: ControlRequest, payload: [UInt8] = []) throws -> ControlReply {
        try exchange(request, payload: payload).reply
    }

    func exchange(_ request: ControlRequest, payload: [UInt8] = []) throws -> (reply: ControlReply, payload: [UInt8]) {
        let path = try socket ?? loadConfiguration(options).controlSocket
        let reply: ControlReply
        let answer: [UInt8]
        do { (reply, answer) = try ControlClient(socketPath: path).exchange(request, payload: payload) } catch {
            FileHandle.standardError.write(Data("cubby: \(error)\n".utf8))
            throw ExitCode(69)
        }
        guard reply.ok else {
            FileHandle.standardError.write(Data("cubby: \(reply.error?.message ?? "the toy refused")\n".utf8))
            throw ExitCode(reply.error?.code == "version" ? 69 : 65)
        }
        return (reply, answer)
    }

    func report(_ reply: ControlReply) {
        if let message = reply.message { print(message) }
        if let active = reply.activePersona { print("active persona: \(active)") }
    }
}

