import CubbyAudio
import CubbyCore
import CubbyHardware
import CubbyTesting
@testable import CubbyRuntime
import Foundation
import Logging
import CubbyTestSupport
import Synchronization
import Testing

/// The body in the running daemon on the simulated board: a scripted hug during idle gets the persona's
/// hug reaction at once, and a fall stops every motor in the middle of a motion.
@Suite struct BodyDaemonTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The simulated board's own body (motors, motions), with `trace` as its sensors.
    static func board(trace: String) throws -> String {
        let sim = try String(contentsOfFile: Sandbox.packageRoot + "/Hardware/sim/board.toml", encoding: .utf8)
        let body = sim[sim.range(of: "[motors.head]")!.lowerBound...].replacingOccurrences(of: "traces/hug.jsonl", with: "")
        return String(body).replacingOccurrences(of: "trace = \"\"", with: "trace = \"\(Sandbox.packageRoot)/Hardware/sim/traces/\(trace)\"")
    }

    struct Event {
        var time: Double
        var device: String
        var state: String
    }

    func events(_ sandbox: Sandbox) throws -> [Event] {
        guard FileManager.default.fileExists(atPath: sandbox.eventsPath) else { return [] }
        return try String(contentsOfFile: sandbox.eventsPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let time = object["time"] as? Double, let device = object["device"] as? String, let state = object["state"] as? String else { return nil }
            return Event(time: time, device: device, state: state)
        }
    }

    /// Runs the daemon in a quiet room until `done` holds for the board's events.
    func run(trace: String, until done: @escaping ([Event]) -> Bool) async throws -> (Sandbox, [Event]) {
        try await run(board: try Self.board(trace: trace), until: done)
    }

    /// Runs the daemon on a board with this body until `done` holds for its events, and a while after.
    func run(board: String, until done: @escaping ([Event]) -> Bool) async throws -> (Sandbox, [Event]) {
        let sandbox = try Sandbox(cloud: nil, boardExtra: board)
        let input = try sandbox.compose("quiet.wav", [.silence(15)])
        let daemon = try Daemon(options: DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .daemon, trapSignals: false),
                                environment: [:], logger: Self.logger)
        let stopped = Mutex(false)
        let running = Task {
            defer { stopped.withLock { $0 = true } }
            try await daemon.run()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while try !done(events(sandbox)) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        // Past the trace's end (every trace here is under 4 s): the daemon goes on.
        try await Task.sleep(for: .milliseconds(2_000))
        #expect(!stopped.withLock { $0 }, "the daemon still runs after the sensor trace ended")
        running.cancel()
        _ = try? await running.value
        return (sandbox, try events(sandbox))
    }

    @Test func aScriptedHugDuringIdleGetsThePersonasHugReactionAtOnce() async throws {
        let (sandbox, events) = try await run(trace: "hug.jsonl") { $0.contains { $0.device == "sound" } }
        defer { sandbox.remove() }
        let start = try #require(events.first { $0.device == "sensors" && $0.state == "started" }).time
        let hug = try #require(events.first { $0.device == "gesture" && $0.state == "hug" })
        // The touch began 1 s into the trace; a hug is a touch held 1.5 s.
        #expect(hug.time - start >= 2.45, "not before the touch had lasted a hug's time")
        // teddy's hug: the hug-squeeze motion, a warm glow, a purr.
        let reaction = events.filter { $0.time >= hug.time }
        #expect(reaction.contains { $0.device == "light_pattern" && $0.state == "warm-glow" })
        #expect(reaction.contains { $0.device == "motion" && $0.state == "hug-squeeze" })
        #expect(reaction.contains { $0.device == "sound" && $0.state == "sounds/purr.wav" })
        let firstMove = try #require(reaction.first { $0.device == "motor.arms" })
        #expect(firstMove.state == "80.0")
        #expect(firstMove.time - (start + 2.5) < 0.2, "the reaction within 200 ms of the hug: \(firstMove.time - start - 2.5) s")
        // The warm glow on the board's cheeks, step by step.
        #expect(reaction.filter { $0.device == "light.cheeks" }.prefix(2).map(\.state) == ["40", "80"])
        #expect(!events.contains { $0.device == "listening_light" }, "a hug never lights the listening light")
        // The purr from teddy's pack was played on the speaker (the toy was idle).
        #expect(SignalLevel.rmsDBFS(try sandbox.outputAudio().samples) > -60, "the reaction's sound was heard")
        #expect(!events.contains { $0.device == "gesture" && $0.state == "pat" }, "a hug is not also a pat")
    }

    @Test func aFallStopsEveryMotorInTheMiddleOfAMotion() async throws {
        let (sandbox, events) = try await run(trace: "fall.jsonl") { $0.contains { $0.device == "gesture" && $0.state == "fall" } }
        defer { sandbox.remove() }
        let start = try #require(events.first { $0.device == "sensors" && $0.state == "started" }).time
        #expect(events.contains { $0.device == "gesture" && $0.state == "pat" } && events.contains { $0.device == "motion" && $0.state == "nuzzle" })
        let fall = try #require(events.first { $0.device == "gesture" && $0.state == "fall" })
        let stops = events.filter { $0.state == "stop" && $0.time <= fall.time }
        #expect(Set(stops.map(\.device)) == ["motor.head", "motor.arms", "motor.jaw"], "every motor stopped, before the fall is even logged")
        // Free fall began 1.2 s into the trace; 80 ms of it is a fall.
        let lastStop = try #require(stops.map(\.time).max())
        #expect(lastStop - (start + 1.28) < 0.05, "every motor stopped within 50 ms: \(lastStop - start - 1.28) s")
        #expect(!events.contains { $0.device.hasPrefix("motor.") && $0.state != "stop" && $0.time > fall.time }, "nothing moves after the fall")
    }

    @Test func aStalledMotorStopsEveryMotorAndIsNotDrivenWhileItRests() async throws {
        // The arms' supply current, as an INA219 would give it through hwmon: calm until the hug's squeeze
        // meets a child's hand.
        let current = FileManager.default.temporaryDirectory.appendingPathComponent("curr1_input-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: current) }
        try "120\n".write(toFile: current, atomically: true, encoding: .utf8)
        let board = try Self.board(trace: "hug.jsonl").replacingOccurrences(of: "rest = 10\nmax_run_ms = 4000",
                                                                           with: "rest = 10\nmax_run_ms = 4000\ncurrent = \"\(current)\"\nstall_ma = 600\nstall_ms = 100")
        #expect(board.contains("stall_ma"))
        final class Push: Sendable {
            let at = Mutex<Double?>(nil)
            let started = Mutex(false)
        }
        let push = Push()
        let (sandbox, events) = try await run(board: board) { events in
            if events.contains(where: { $0.device == "motor.arms" && $0.state == "80.0" }), push.started.withLock({ first in defer { first = true }; return !first }) {
                Task { [push] in
                    // A brief surge first (a servo starting), then held against the hand.
                    try "900\n".write(toFile: current, atomically: true, encoding: .utf8)
                    try await Task.sleep(for: .milliseconds(40))
                    try "150\n".write(toFile: current, atomically: true, encoding: .utf8)
                    try await Task.sleep(for: .milliseconds(100))
                    push.at.withLock { $0 = Date().timeIntervalSince1970 }
                    try "900\n".write(toFile: current, atomically: true, encoding: .utf8)
                }
            }
            return events.contains { $0.device == "motor.arms" && $0.state == "stall" }
        }
        defer { sandbox.remove() }
        let stall = try #require(events.first { $0.device == "motor.arms" && $0.state == "stall" })
        let held = try #require(push.at.withLock { $0 })
        #expect(stall.time - held >= 0.09, "a 40 ms surge is not a stall; 100 ms held is: \(stall.time - held) s")
        #expect(stall.time - held < 0.3, "stopped within the stall time and a poll: \(stall.time - held) s")
        let stops = events.filter { $0.state == "stop" && $0.time <= stall.time && $0.time >= held }
        #expect(Set(stops.map(\.device)) == ["motor.head", "motor.arms", "motor.jaw"], "every motor stopped before the stall was logged")
        #expect(!events.contains { $0.device == "motor.arms" && $0.state != "stop" && $0.state != "stall" && $0.time > stall.time },
                "the stalled arms are not driven again while they rest")
        #expect(try sandbox.rows("SELECT action FROM auditEntry").map { $0["action"] as String }.contains("motor.stall"), "kept for repair")
    }

    @Test func aBoardWhoseListeningLEDCannotBeDrivenDoesNotStart() throws {
        let sandbox = try Sandbox(cloud: nil, boardExtra: "[pwm]\nroot = \"/nonexistent-pwm\"\n[indicators.listening]\nkind = \"pwm\"\nchannel = 1")
        defer { sandbox.remove() }
        #expect {
            _ = try Daemon(options: DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false),
                           environment: [:], logger: Self.logger)
        } throws: { "\($0)".contains("listening_light light cannot be driven") && "\($0)".contains("/nonexistent-pwm") }
    }

    @Test func theModelsEmotionMovesTheBoardsMotorsWithinTheirLimits() async throws {
        var script = FakeOpenAIScript.fixed(heard: "why is the sky blue", reply: ["Because sunlight scatters!"])
        script.toolCalls = [.init(name: "self_express", arguments: #"{"emotion": "happy"}"#)]
        let server = try await FakeOpenAIServer(script: script)
        // The sim board's body, with a hostile twist: wiggle asks the arms for 170 degrees.
        let board = try Self.board(trace: "hug.jsonl").replacingOccurrences(of: "steps = [\"arms 40 150\", \"arms 10 150\", \"arms 40 150\"]",
                                                                           with: "steps = [\"arms 170 150\", \"arms 10 150\"]")
        let sandbox = try Sandbox(cloud: server.baseURL, boardExtra: board.replacingOccurrences(of: "[sensors]", with: "[unused]").components(separatedBy: "[unused]")[0])
            .afterFirstUse()
        defer { sandbox.remove() }
        let daemon = try Daemon(options: DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false),
                                environment: [:], logger: Self.logger)
        try await daemon.run()
        try await server.stop()
        try await Task.sleep(for: .milliseconds(500))
        let events = try events(sandbox)
        #expect(events.contains { $0.device == "expression" && $0.state == "happy" } && events.contains { $0.device == "motion" && $0.state == "wiggle" })
        let arms = events.filter { $0.device == "motor.arms" }.map(\.state)
        #expect(arms.first == "90.0", "170 degrees clamped to the arms' 90: \(arms)")
        #expect(!arms.contains("170.0"))
        // teddy giggles when happy: the pack's giggle between the reply's sentences.
        #expect(events.contains { $0.device == "sound" && $0.state == "sounds/giggle.wav" })
    }

    @Test func idleTheToyBreathesAndStirsAndInQuietHoursItSleepsStill() async throws {
        let board = """
            [motors.head]
            kind = "logged"
            angle_limits = [-40, 40]
            [motions.idle]
            steps = ["head 8 100", "head 0 100"]
            [body]
            idle_stir_minutes = 3
            """
        let sandbox = try Sandbox(cloud: nil, extra: "[limits]\nquiet_hours = \"20:00-07:00\"", boardExtra: board)
        defer { sandbox.remove() }
        let input = try sandbox.compose("quiet.wav", [.silence(20)])
        let clock = ManualClock(date: TestTime.december(7, 19, 50))
        var options = DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .daemon, trapSignals: false)
        options.clock = clock
        options.calendar = TestTime.utc
        let daemon = try Daemon(options: options, environment: [:], logger: Self.logger)
        let running = Task { try await daemon.run() }
        func advance(to date: Date) async throws {
            while clock.date < date {
                clock.advance(by: .seconds(30))
                try await Task.sleep(for: .milliseconds(40))
            }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while try !events(sandbox).contains(where: { $0.device == "light_pattern" }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(40))
        }
        try await advance(to: TestTime.december(7, 19, 54))
        try await Task.sleep(for: .milliseconds(400))
        let evening = try events(sandbox)
        try await advance(to: TestTime.december(7, 20, 15))
        try await Task.sleep(for: .milliseconds(300))
        running.cancel()
        _ = try? await running.value
        let all = try events(sandbox)

        #expect(evening.first { $0.device == "light_pattern" }?.state == "breathing")
        #expect(evening.contains { $0.device == "motion" && $0.state == "idle" }, "the idle toy stirs after three minutes")
        #expect(evening.contains { $0.device == "motor.head" && $0.state == "8.0" })
        let asleep = try #require(all.firstIndex { $0.device == "light_pattern" && $0.state == "sleep" }, "quiet hours: the sleeping light")
        // A stir that was ending may still settle to rest (0°) as the toy falls asleep; nothing else moves.
        let afterSleep = all[asleep...].filter { $0.device == "motion" || ($0.device.hasPrefix("motor.") && $0.state != "stop" && $0.state != "0.0") }
        #expect(afterSleep.isEmpty, "asleep, nothing moves: \(afterSleep.map { "\($0.device) \($0.state)" })")
        #expect(!all.contains { $0.device == "listening_light" })
    }

    @Test func aRealTouchPadsEventsAreAHugAndTwoTapsAPat() async throws {
        // The touch pad's input device: a pipe that carries the kernel's event bytes.
        let touch = FileManager.default.temporaryDirectory.appendingPathComponent("touch-\(UUID().uuidString)").path
        #expect(mkfifo(touch, 0o600) == 0)
        let board = try Self.board(trace: "hug.jsonl").replacingOccurrences(of: "trace = \"\(Sandbox.packageRoot)/Hardware/sim/traces/hug.jsonl\"",
                                                                           with: "touch = \"\(touch)\"\ntouch_code = 330")
        let sandbox = try Sandbox(cloud: nil, boardExtra: board)
        defer { sandbox.remove(); unlink(touch) }
        let input = try sandbox.compose("quiet.wav", [.silence(15)])
        let daemon = try Daemon(options: DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .daemon, trapSignals: false),
                                environment: [:], logger: Self.logger)
        let running = Task { try await daemon.run() }
        func key(_ value: Int32) -> [UInt8] { EvdevEvents.bytes(.init(milliseconds: 0, type: EvdevEvents.key, code: 330, value: value)) }
        let pad = try #require(FileHandle(forWritingAtPath: touch))
        try await Task.sleep(for: .milliseconds(500))
        pad.write(Data(key(1)))
        try await Task.sleep(for: .milliseconds(1_900))
        pad.write(Data(key(0)))
        try await Task.sleep(for: .milliseconds(400))
        for _ in 0..<2 {
            pad.write(Data(key(1)))
            try await Task.sleep(for: .milliseconds(120))
            pad.write(Data(key(0)))
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .milliseconds(500))
        try pad.close()
        running.cancel()
        _ = try? await running.value
        let gestures = try events(sandbox).filter { $0.device == "gesture" }.map(\.state)
        #expect(gestures == ["hug", "pat"], "\(gestures)")
    }

    @Test func aLowBatteryHalvesMotionAndAlertsTheParents() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The battery drops to 12 %, then the child pats the toy: teddy nuzzles at half the swing.
        try """
            {"ms": 0, "battery": 12}
            {"ms": 300, "touch": true}
            {"ms": 400, "touch": false}
            {"ms": 600, "touch": true}
            {"ms": 700, "touch": false}
            """.write(toFile: folder + "/low.jsonl", atomically: true, encoding: .utf8)
        let board = try Self.board(trace: "hug.jsonl").replacingOccurrences(of: "\(Sandbox.packageRoot)/Hardware/sim/traces/hug.jsonl", with: folder + "/low.jsonl")
        let (sandbox, events) = try await run(board: board) { $0.contains { $0.device == "motor.head" } }
        defer { sandbox.remove() }
        let head = events.filter { $0.device == "motor.head" }.map(\.state)
        #expect(head.first == "7.5", "nuzzle's 15° halved on a low battery: \(head)")
        let alerts = try sandbox.rows("SELECT category, excerpt FROM alert")
        #expect(alerts.count == 1 && alerts.first?["category"] as String? == "battery_low", "the parents are told once")
        #expect((alerts.first?["excerpt"] as String?)?.contains("12 %") == true)
    }
}
