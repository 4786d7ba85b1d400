import Foundation

/// Runs the package's own executables as a user would, for exit codes, signals and stdout.
public enum ProcessRunner {
    /// The folder holding the built executables (`swift test` builds them beside the test bundle).
    public static let binFolder: String = {
        let candidates: [String?] = [
            Bundle.main.executableURL?.deletingLastPathComponent().path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
            Sandbox.packageRoot + "/.build/debug",
        ]
        for case let folder? in candidates {
            var url = URL(fileURLWithPath: folder)
            for _ in 0..<4 {
                if FileManager.default.isExecutableFile(atPath: url.path + "/cubbyd") { return url.path }
                url.deleteLastPathComponent()
            }
        }
        return Sandbox.packageRoot + "/.build/debug"
    }()

    public struct Result: Sendable {
        public var status: Int32
        public var reason: Process.TerminationReason
        public var stdout: String
        public var stderr: String
    }

    /// Starts `name` with `arguments`; the caller waits with `finish`.
    public static func start(_ name: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binFolder + "/" + name)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CUBBY_CLOUD_URL")
        env.removeValue(forKey: "CUBBY_CLOUD_KEY")
        env.removeValue(forKey: "NOTIFY_SOCKET")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        if stdin != nil { process.standardInput = input }
        try process.run()
        if let stdin {
            try input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        return (process, out, err)
    }

    public static func finish(_ process: Process, _ out: Pipe, _ err: Pipe) async -> Result {
        // Read both pipes before waiting, so a chatty child never blocks on a full pipe. The reads block
        // until the child exits, so they run on threads of their own: on the cooperative pool (two
        // threads on a two-core machine) they starved every other test's tasks for as long as a
        // daemon ran.
        async let stdout = readToEnd(out)
        async let stderr = readToEnd(err)
        let (o, e) = await (stdout, stderr)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return Result(status: process.terminationStatus, reason: process.terminationReason,
                      stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    private static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
    }

    public static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) async throws -> Result {
        let (process, out, err) = try start(name, arguments, environment: environment, stdin: stdin)
        return await finish(process, out, err)
    }
}
