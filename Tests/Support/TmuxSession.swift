#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A real terminal for tests of interactive programs: a tmux session of 80×24 on a private server,
/// typed into with `send-keys` and read back with `capture-pane`, as a parent at a terminal would see it.
public struct TmuxSession: Sendable {
    public let socket: String
    public let name = "t"

    /// Starts a shell in a new detached session; `environment` is exported in it.
    public init(environment: [String: String], columns: Int = 80, rows: Int = 24) async throws {
        socket = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString.prefix(8))").path
        let exports = environment.map { "export \($0.key)='\($0.value)'" }.joined(separator: "; ")
        try await tmux(["new-session", "-d", "-s", name, "-x", "\(columns)", "-y", "\(rows)", "env -i PATH=/usr/bin:/bin TERM=xterm-256color bash --norc --noprofile"])
        try await send(text: exports + "; clear")
    }

    @discardableResult
    func tmux(_ arguments: [String]) async throws -> String {
        // posix_spawn and waitpid, not Foundation's Process: the tmux client that starts the server was
        // left a zombie that Process never reaped. Output goes through a file: the server would hold a
        // pipe open for good.
        let path = socket + ".out-\(UUID().uuidString.prefix(6))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let argv = ["/usr/bin/tmux", "-S", socket] + arguments
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
                var cArguments = argv.map { strdup($0) } + [nil]
                defer { cArguments.forEach { free($0) } }
                var pid: pid_t = 0
                let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
                posix_spawn_file_actions_destroy(&actions)
                guard spawned == 0 else { return continuation.resume(returning: -1) }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        guard status >= 0 else { throw TmuxTimeout(waitingFor: "tmux to start", screen: "") }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Types `text` and presses Enter.
    public func send(text: String) async throws {
        try await tmux(["send-keys", "-t", name, "-l", text])
        try await tmux(["send-keys", "-t", name, "Enter"])
    }

    /// Presses keys by tmux's names: "Enter", "Down", "Up", "C-c", "q".
    public func press(_ keys: String...) async throws {
        for key in keys { try await tmux(["send-keys", "-t", name, key]) }
    }

    /// What the terminal shows now.
    public func screen() async throws -> String {
        try await tmux(["capture-pane", "-p", "-t", name])
    }

    /// Waits until the screen shows `text`; returns the screen, or throws with it after `timeout`.
    @discardableResult
    public func waitFor(_ text: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            last = try await screen()
            if last.contains(text) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TmuxTimeout(waitingFor: text, screen: last)
    }

    public func kill() async {
        _ = try? await tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: socket)
    }
}

public struct TmuxTimeout: Error, CustomStringConvertible {
    public var waitingFor: String
    public var screen: String
    public var description: String { "the screen never showed \"\(waitingFor)\"; it showed:\n\(screen)" }
}
