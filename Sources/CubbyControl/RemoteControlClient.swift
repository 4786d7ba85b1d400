#if canImport(Glibc)
import Glibc
#endif
import CubbyCore
import Foundation

/// `cubby --host toy.local …`: the same protocol, carried by `ssh toy.local cubby bridge`, which relays
/// the request to the toy's control socket and the answer back. No listener of the daemon's own ever
/// faces the network; SSH does the authentication and the encryption.
public struct RemoteControlClient: Sendable {
    public let host: String
    /// The program that reaches the host: `ssh`, or `CUBBY_SSH` (a test's stand-in).
    public let ssh: [String]
    /// What runs on the toy (`cubby bridge` with its options).
    public let remoteCommand: [String]

    public init(host: String, ssh: [String], remoteCommand: [String]) {
        self.host = host
        self.ssh = ssh
        self.remoteCommand = remoteCommand
    }

    /// A word a POSIX shell reads back as itself.
    static func shellQuoted(_ word: String) -> String {
        guard word.contains(where: { !($0.isLetter || $0.isNumber || "-_./=:@".contains($0)) }) || word.isEmpty else { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    public func exchange(_ request: ControlRequest, payload: [UInt8] = []) throws(CubbyError) -> (reply: ControlReply, payload: [UInt8]) {
        var request = request
        request.payloadBytes = payload.count
        guard !host.hasPrefix("-"), !host.contains(where: \.isWhitespace) else {
            throw CubbyError(.invalidConfiguration, "--host must be a host name, optionally user@host", context: host)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // ssh joins the remote command into one line for the toy's shell: each word is quoted for it.
        process.arguments = ssh + [host, "--"] + remoteCommand.map(Self.shellQuoted)
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        do { try process.run() } catch {
            throw CubbyError(.io, "cannot start \(ssh.first ?? "ssh")", context: host, underlying: error)
        }
        // Written from another thread so a large answer cannot block a large request.
        let bytes = request.encodedLine() + payload
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: Data(bytes))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if answer.isEmpty {
            throw CubbyError(.io, "no answer from the toy over ssh (exit status \(process.terminationStatus); can you `ssh \(host)`, and is cubby installed there?)",
                             context: host)
        }
        return try ControlClient.decode(Array(answer), from: host)
    }
}
