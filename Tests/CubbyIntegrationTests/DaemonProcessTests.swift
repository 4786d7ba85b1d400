import CubbyAudio
import CubbyTesting
import Foundation
import GRDB
import CubbyTestSupport
import Testing

/// `cubbyd` as a process: exit codes, the `--once` JSON contract, signals and systemd notifications.
@Suite struct DaemonProcessTests {
    @Test(arguments: [
        ("[child]\nage = 40\n", "[child] age", "between 3 and 12"),
        ("[child]\nage = \"six\"\n", "[child] age", "integer"),
        ("[conversaton]\nend_silence_ms = 600\n", "conversaton", "unknown"),
        ("[cloud]\nbase_url = \"http://example.com\"\n", "base_url", "https"),
        ("[child\nage = 6\n", "cubbyd.toml:1:", "expected ']'"),
        ("[device]\npersona = \"/nonexistent/persona\"\n", "/nonexistent/persona", "does not exist"),
    ])
    func aBrokenConfigurationExits78NamingFileKeyAndProblem(config: String, names: String, problem: String) async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        try sandbox.write(config: config)
        let result = try await ProcessRunner.run("cubbyd", ["--config", sandbox.configPath])
        #expect(result.status == 78)
        #expect(result.stdout.isEmpty)
        let message = result.stderr.lowercased()
        #expect(message.contains(names.lowercased()), "stderr: \(result.stderr)")
        #expect(message.contains(problem.lowercased()), "stderr: \(result.stderr)")
        if !names.hasPrefix("/") { #expect(result.stderr.contains(sandbox.configPath), "stderr: \(result.stderr)") }
    }

    @Test func aMissingConfigurationFileExits78() async throws {
        let result = try await ProcessRunner.run("cubbyd", ["--config", "/nonexistent/cubbyd.toml", "--check-config"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("/nonexistent/cubbyd.toml"))
    }

    /// A copy of the example persona whose wake phrase has a word no dictionary knows: an error only the
    /// wake engine finds, when it builds its grammar.
    static func sandboxWithUnpronounceableWakeWord() throws -> Sandbox {
        let sandbox = try Sandbox(cloud: nil)
        let persona = sandbox.folder + "/persona"
        try FileManager.default.copyItem(atPath: Sandbox.packageRoot + "/Personas/teddy", toPath: persona)
        let manifest = try String(contentsOfFile: persona + "/persona.toml", encoding: .utf8)
            .replacingOccurrences(of: "phrases = [\"hey teddy\"]", with: "phrases = [\"hey zorblaxt\"]")
        try manifest.write(toFile: persona + "/persona.toml", atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
            .replacingOccurrences(of: Sandbox.packageRoot + "/Personas/teddy", with: persona)
        try sandbox.write(config: config)
        return sandbox
    }

    @Test func aWakePhraseTheEngineCannotBuildExits78BeforeReadiness() async throws {
        let sandbox = try Self.sandboxWithUnpronounceableWakeWord()
        defer { sandbox.remove() }
        let notify = try NotifySocket()
        defer { notify.stop() }
        let result = try await ProcessRunner.run("cubbyd", ["--config", sandbox.configPath], environment: ["NOTIFY_SOCKET": notify.path])
        #expect(result.status == 78, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("zorblaxt"), "stderr: \(result.stderr)")
        let messages = try await notify.receiveAll(for: .milliseconds(200))
        #expect(!messages.contains { $0.contains("READY=1") }, "systemd was told the toy was ready: \(messages)")
    }

    @Test func checkConfigBuildsTheWakeEngineToo() async throws {
        let sandbox = try Self.sandboxWithUnpronounceableWakeWord()
        defer { sandbox.remove() }
        let result = try await ProcessRunner.run("cubbyd", ["--config", sandbox.configPath, "--check-config"])
        #expect(result.status == 78, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stderr.contains("zorblaxt"), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains("ok"))
    }

    @Test func theKeyNeverAppearsInOutputOrLogs() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "hello", reply: ["Hi there!"]))
        let sandbox = try Sandbox(cloud: server.baseURL)
        defer { sandbox.remove() }
        let secret = "sk-test-\(UUID().uuidString)"
        let result = try await ProcessRunner.run(
            "cubbyd", ["--config", sandbox.configPath, "--once", "--input", Sandbox.skyQuestion],
            environment: ["CUBBY_CLOUD_KEY": secret])
        try await server.stop()
        #expect(result.status == 0)
        #expect(server.requests.first?.header("Authorization") == "Bearer \(secret)")
        #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
    }

    @Test func onceprintsOneJSONObjectWithHeardSaidBlockedAndTimings() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "why is the sky blue", reply: ["Because ", "of sunlight. ", "Bye!"]))
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let output = sandbox.folder + "/reply.wav"
        let result = try await ProcessRunner.run(
            "cubbyd", ["--config", sandbox.configPath, "--once", "--wake", "--input", Sandbox.skyQuestion, "--output", output],
            environment: ["CUBBY_CLOUD_URL": server.baseURL])
        try await server.stop()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count == 1, "stdout: \(result.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(json["heard"] as? String == "why is the sky blue")
        #expect(json["said"] as? [String] == ["Because of sunlight.", "Bye!"])
        #expect((json["blocked"] as? [Any])?.isEmpty == true)
        #expect(json["output"] as? String == output)
        #expect(json["opened_by"] as? String == "wake_word")
        let timings = try #require(json["timings"] as? [String: Int])
        #expect(Set(timings.keys) == ["end_of_speech_to_request_ms", "end_of_speech_to_first_token_ms", "end_of_speech_to_first_audio_ms"])
        #expect(try WAVAudio.read(contentsOf: output).samples.count > 22_050)
    }

    @Test func sigtermDuringATurnStopsWithinTwoSecondsLeavingWholeRecords() async throws {
        // A slow model: the reply trickles in over several seconds, so SIGTERM lands mid-turn.
        let script = FakeOpenAIScript(
            transcribe: { _ in "tell me a long story" },
            reply: { _ in (1...40).map { "Sentence number \($0) of a long story. " } },
            firstTokenDelay: .milliseconds(100), interChunkDelay: .milliseconds(150))
        let server = try await FakeOpenAIServer(script: script)
        let sandbox = try Sandbox(cloud: server.baseURL)
        defer { sandbox.remove() }
        let notify = try NotifySocket()
        defer { notify.stop() }

        let (process, out, err) = try ProcessRunner.start("cubbyd", ["--config", sandbox.configPath],
                                                          environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        #expect(try await notify.receive(within: .seconds(30)).contains("READY=1"))
        // Wait until the toy is speaking its reply.
        let deadline = ContinuousClock.now + .seconds(60)
        while server.requests.count < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try #require(server.requests.count == 2, "the daemon never asked the model")
        try await Task.sleep(for: .milliseconds(800))

        let signalled = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        let result = await ProcessRunner.finish(process, out, err)
        let stopTime = ContinuousClock.now - signalled
        try await server.stop()

        #expect(stopTime < .seconds(2), "took \(stopTime); stderr: \(result.stderr.suffix(3000))")
        #expect(result.reason == .exit && result.status == 0, "stderr: \(result.stderr)")
        // The watchdog was fed (every 500 ms for a 1 s WATCHDOG_USEC; this socket is not read meanwhile, so
        // the kernel keeps only the first few), and the last word was STOPPING=1.
        let messages = try await notify.receiveAll(for: .milliseconds(300))
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(messages)")
        #expect(messages.last == "STOPPING=1", "\(messages)")

        // Nothing half-written: the turn is recorded whole as interrupted, the conversation is closed,
        // the WAL is checkpointed, the reply WAV is valid, and the light went off.
        let turns = try sandbox.rows("SELECT outcome, childText, toyText FROM turn")
        try #require(turns.count == 1)
        #expect(turns[0]["outcome"] as String == "interrupted")
        #expect(turns[0]["childText"] as String == "tell me a long story")
        #expect((turns[0]["toyText"] as String).hasPrefix("Sentence number 1 of a long story."))
        #expect(try sandbox.rows("SELECT id FROM conversation WHERE endedAt IS NULL").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: sandbox.databasePath + "-wal")
                || ((try? FileManager.default.attributesOfItem(atPath: sandbox.databasePath + "-wal")[.size] as? Int) ?? 0) == 0)
        let spoken = try sandbox.outputAudio()
        #expect(spoken.samples.count > 0)
        #expect(try sandbox.lightStates() == ["on", "off"])
    }

    @Test func sighupReloadsAndABrokenReloadKeepsTheOldConfiguration() async throws {
        let sandbox = try Sandbox(cloud: nil, input: Sandbox.skyQuestion)
        defer { sandbox.remove() }
        let notify = try NotifySocket()
        defer { notify.stop() }
        let (process, out, err) = try ProcessRunner.start("cubbyd", ["--config", sandbox.configPath],
                                                          environment: ["NOTIFY_SOCKET": notify.path])
        #expect(try await notify.receive(within: .seconds(30)).contains("READY=1"))

        let good = try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
        try sandbox.write(config: good + "\n[child]\nage = 9\n")
        kill(process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        try sandbox.write(config: good + "\n[child]\nage = 99\n")
        kill(process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        let result = await ProcessRunner.finish(process, out, err)
        #expect(result.status == 0)
        #expect(result.stderr.contains("reloaded: persona teddy 2.0.0, child age 9"))
        #expect(result.stderr.contains("reload failed; keeping the previous configuration"))
        #expect(result.stderr.contains("between 3 and 12"))
    }
}

/// A datagram socket standing in for systemd's notification socket. Like systemd it reads all the time
/// (on a thread of its own), so the kernel's small datagram queue never fills and drops messages.
final class NotifySocket: @unchecked Sendable {
    // @unchecked: `messages`, `consumed` and `closed` are only touched under `lock`; `fd` is immutable.
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [String] = []
    private var consumed = 0
    private var closed = false

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-notify-\(UUID().uuidString.prefix(8))").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let bound = withUnixSocketAddress(path) { bind(fd, $0, $1) }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !lock.withLock({ closed }) {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    let message = String(decoding: buffer[0..<count], as: UTF8.self)
                    lock.withLock { messages.append(message) }
                }
            }
            close(fd)
        }.start()
    }

    deinit { unlink(path) }

    func stop() { lock.withLock { closed = true } }

    /// Every message not yet returned, once nothing new has come for `quiet`.
    func receiveAll(for quiet: Duration) async throws -> [String] {
        var seen = lock.withLock { messages.count }
        while true {
            try await Task.sleep(for: quiet)
            let now = lock.withLock { messages.count }
            if now == seen { break }
            seen = now
        }
        return lock.withLock {
            defer { consumed = messages.count }
            return Array(messages[consumed...])
        }
    }

    /// The next message not yet returned, or "" when none arrives in time.
    func receive(within limit: Duration) async throws -> String {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let next: String? = lock.withLock {
                guard consumed < messages.count else { return nil }
                consumed += 1
                return messages[consumed - 1]
            }
            if let next { return next }
            try await Task.sleep(for: .milliseconds(10))
        }
        return ""
    }
}
