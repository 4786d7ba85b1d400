import ArgumentParser
import CubbyConfiguration
import CubbyControl
import CubbyCore
import Foundation

/// How a command reaches the running daemon: its control socket, from the configuration or `--socket`.
/// Exit codes for every such command: 65 the toy refused (the message says why; nothing changed); 69 the
/// daemon cannot be reached or speaks another protocol version; 77 the parent PIN was missing, wrong, or
/// must wait after too many wrong ones.
struct DaemonConnection: ParsableArguments {
    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The daemon's control socket (default: [control] socket of the configuration).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Read the parent PIN from this file instead of asking (for scripts).", valueName: "file"))
    var pinFile: String?

    /// The parent PIN, from `--pin-file` or asked for on the terminal; nil when neither can give one.
    func parentPIN(prompt: String = "Parent PIN: ") throws -> String? {
        if let pinFile { return try readSecret(from: pinFile, trimming: .whitespacesAndNewlines) }
        guard isatty(STDIN_FILENO) == 1, let entered = getpass(prompt) else { return nil }
        return String(cString: entered)
    }

    func send(_ request: ControlRequest, payload: [UInt8] = []) throws -> ControlReply {
        try exchange(request, payload: payload).reply
    }

    func exchange(_ request: ControlRequest, payload: [UInt8] = []) throws -> (reply: ControlReply, payload: [UInt8]) {
        let path = try socket ?? loadConfiguration(options).controlSocket
        var request = request
        if pinFile != nil, request.arguments["pin"] == nil { request.arguments["pin"] = try parentPIN() }
        var (reply, answer) = try send(request, payload: payload, to: path)
        // Asked for the PIN: ask the parent once, and try again with it.
        if reply.error?.code == "pin_required", request.arguments["pin"] == nil, let pin = try parentPIN() {
            request.arguments["pin"] = pin
            (reply, answer) = try send(request, payload: payload, to: path)
        }
        guard reply.ok else {
            if reply.error?.code.hasPrefix("pin_") == true {
                FileHandle.standardError.write(Data("cubby: \(reply.error?.message ?? "the PIN was refused")\n".utf8))
                throw ExitCode(77)
            }
            FileHandle.standardError.write(Data("cubby: \(reply.error?.message ?? "the toy refused")\n".utf8))
            throw ExitCode(reply.error?.code == "version" ? 69 : 65)
        }
        return (reply, answer)
    }

    private func send(_ request: ControlRequest, payload: [UInt8], to path: String) throws -> (ControlReply, [UInt8]) {
        do { return try ControlClient(socketPath: path).exchange(request, payload: payload) } catch {
            FileHandle.standardError.write(Data("cubby: \(error)\n".utf8))
            throw ExitCode(69)
        }
    }

    func report(_ reply: ControlReply) {
        if let message = reply.message { print(message) }
        if let active = reply.activePersona { print("active persona: \(active)") }
    }
}


/// A PIN or passphrase kept in a file (for scripts), without the line ending an editor adds.
func readSecret(from path: String, trimming: CharacterSet) throws -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("\(path): cannot be read") }
    return text.trimmingCharacters(in: trimming)
}
