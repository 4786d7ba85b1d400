import ArgumentParser
import CubbyConfiguration
import CubbyControl
import CubbyCore
import Foundation

/// How a command reaches the running daemon: its control socket, from the configuration or `--socket`,
/// or through `ssh` with `--host`. Exit codes for every such command: 65 the toy refused (the message says
/// why; nothing changed); 69 the daemon cannot be reached or speaks another protocol version; 77 the
/// parent PIN was missing, wrong, or must wait after too many wrong ones.
struct DaemonConnection: ParsableArguments {
    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The daemon's control socket (default: [control] socket of the configuration; with --host, on the toy).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("A toy elsewhere: the request goes through `ssh HOST cubby bridge` (also `cubby --host HOST <command>`).", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("Read the parent PIN from this file instead of asking (for scripts).", valueName: "file"))
    var pinFile: String?

    @Flag(help: "Print the answer as JSON (for scripts).")
    var json = false

    /// The parent PIN, from `--pin-file` or asked for on the terminal; nil when neither can give one.
    func parentPIN(prompt: String = "Parent PIN: ") throws -> String? {
        if let pinFile { return try readSecret(from: pinFile, trimming: .whitespacesAndNewlines) }
        guard isatty(STDIN_FILENO) == 1, let entered = getpass(prompt) else { return nil }
        return String(cString: entered)
    }

    func send(_ request: ControlRequest, payload: [UInt8] = []) throws -> ControlReply {
        try exchange(request, payload: payload).reply
    }

    /// The request with the PIN from `--pin-file` and the unlock token, when there are.
    private func credentialed(_ request: ControlRequest) throws -> ControlRequest {
        var request = request
        if pinFile != nil, request.arguments["pin"] == nil { request.arguments["pin"] = try parentPIN() }
        if request.arguments["unlock"] == nil, let token = UnlockToken.load(for: place) { request.arguments["unlock"] = token }
        return request
    }

    func exchange(_ request: ControlRequest, payload: [UInt8] = []) throws -> (reply: ControlReply, payload: [UInt8]) {
        var request = try credentialed(request)
        var (reply, answer) = try sendReporting(request, payload: payload)
        // Asked for the PIN: ask the parent once, and try again with it.
        if reply.error?.code == "pin_required", request.arguments["pin"] == nil, let pin = try parentPIN() {
            request.arguments["pin"] = pin
            (reply, answer) = try sendReporting(request, payload: payload)
        }
        guard reply.ok else { throw failure(reply) }
        return (reply, answer)
    }

    /// Says why the toy refused, and the exit code for it.
    func failure(_ reply: ControlReply) -> ExitCode {
        if json { printJSON(reply) }
        let code = reply.error?.code ?? ""
        FileHandle.standardError.write(Data("cubby: \(reply.error?.message ?? "the toy refused")\n".utf8))
        if code.hasPrefix("pin_") { return ExitCode(77) }
        return ExitCode(["version", "unreachable"].contains(code) ? 69 : 65)
    }

    /// Sends without reporting failures to reach the daemon: for commands that can also read the toy's
    /// files directly when it is not running.
    func tryExchange(_ request: ControlRequest) throws -> (reply: ControlReply, payload: [UInt8])? {
        do {
            return try rawExchange(try credentialed(request), payload: [])
        } catch let error as CubbyError where host == nil && error.code == .io {
            return nil
        }
    }

    /// Where the requests go, for messages and the unlock token.
    var place: String { host.map { "\($0):\(socket ?? "")" } ?? (socket ?? options.config) }

    private func rawExchange(_ request: ControlRequest, payload: [UInt8]) throws -> (ControlReply, [UInt8]) {
        if let host {
            var remote = ["cubby", "bridge"]
            if let socket { remote += ["--socket", socket] } else if options.config != ConfigOption.defaultPath { remote += ["--config", options.config] }
            let ssh = ProcessInfo.processInfo.environment["CUBBY_SSH"].map { $0.split(separator: " ").map(String.init) } ?? ["ssh"]
            return try RemoteControlClient(host: host, ssh: ssh, remoteCommand: remote).exchange(request, payload: payload)
        }
        let path = try socket ?? loadConfiguration(options).controlSocket
        return try ControlClient(socketPath: path).exchange(request, payload: payload)
    }

    private func sendReporting(_ request: ControlRequest, payload: [UInt8]) throws -> (ControlReply, [UInt8]) {
        do { return try rawExchange(request, payload: payload) } catch let error as CubbyError {
            FileHandle.standardError.write(Data("cubby: \(error)\n".utf8))
            throw ExitCode(69)
        }
    }

    /// The reply for a parent: its message (or, with `--json`, the whole reply).
    func report(_ reply: ControlReply) {
        if json { return printJSON(reply) }
        if let message = reply.message { print(message) }
        if let active = reply.activePersona { print("active persona: \(active)") }
    }
}

/// One value as a line of JSON (sorted keys, ISO 8601 dates): the `--json` form of a command.
func printJSON<T: Encodable>(_ value: T) {
    if let data = try? ControlProtocol.jsonEncoder().encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

/// A PIN or passphrase kept in a file (for scripts), without the line ending an editor adds.
func readSecret(from path: String, trimming: CharacterSet) throws -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("\(path): cannot be read") }
    return text.trimmingCharacters(in: trimming)
}
