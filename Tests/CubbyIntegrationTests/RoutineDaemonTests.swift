import CubbyControl
import CubbyCore
import CubbyMemory
import CubbyParents
import CubbyPersona
@testable import CubbyRuntime
import CubbyTesting
import Foundation
import GRDB
import Logging
import CubbyTestSupport
import Testing

/// Routines and timers in the running daemon, on an injected clock: a parent's reminder and bedtime at
/// their minutes with no cloud at all, a child's timer set by voice, and a power cut across routines.
@Suite struct RoutineDaemonTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static var utc: Calendar { TestTime.utc }
    static func at(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date { TestTime.december(day, hour, minute) }

    /// The daemon running on `clock` until `body` returns.
    func withDaemon(_ sandbox: Sandbox, input: String, clock: ManualClock, _ body: (Daemon, ControlClient) async throws -> Void) async throws {
        var options = DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .daemon, trapSignals: false)
        options.clock = clock
        options.calendar = Self.utc
        let daemon = try Daemon(options: options, environment: [:], logger: Self.logger)
        let running = Task { try await daemon.run() }
        let socket = sandbox.folder + "/data/control.sock"
        let deadline = ContinuousClock.now + .seconds(30)
        while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        do {
            try await body(daemon, ControlClient(socketPath: socket))
        } catch {
            running.cancel()
            _ = try? await running.value
            throw error
        }
        running.cancel()
        _ = try? await running.value
    }

    /// Moves the clock a minute at a time until `until`, giving the daemon a moment after each.
    func advance(_ clock: ManualClock, to until: Date) async throws {
        while clock.date < until {
            clock.advance(by: .seconds(min(60, max(1, until.timeIntervalSince(clock.date)))))
            try await Task.sleep(for: .milliseconds(40))
        }
    }

    /// Waits (in real time) until `condition` holds, or fails after `seconds`.
    func wait(_ what: String, seconds: Int = 20, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw CubbyError(.io, "timed out waiting: \(what)") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// A toy that ran until `checked` with these routines (each "say TEXT" or "scene NAME", at a time on days).
    func seed(_ sandbox: Sandbox, _ routines: [(what: String, at: String, days: String)], checked: Date, aiReminderAt: Date? = nil) throws {
        try FileManager.default.createDirectory(atPath: sandbox.folder + "/data", withIntermediateDirectories: true)
        let database = try CubbyDatabase(path: sandbox.databasePath)
        for routine in routines {
            let (verb, rest) = (routine.what.prefix { $0 != " " }, String(routine.what.drop { $0 != " " }.dropFirst()))
            let scene = verb == "scene"
            try database.routines.add(RoutineRecord(action: scene ? .scene : .say, text: scene ? nil : rest, scene: scene ? rest : nil, time: routine.at,
                                                    weekdays: routine.days, graceMinutes: scene ? 10 : 15, addedBy: .parent, createdAt: Self.at(1, 9)))
        }
        try database.routines.checked(through: checked, finished: [])
        if let aiReminderAt { try AIReminders(database: database).given(at: aiReminderAt) }
        try database.close()
    }

    func add(_ client: ControlClient, _ arguments: [String: String]) throws -> ControlReply {
        let reply = try client.exchange(ControlRequest(command: "routines.add", arguments: arguments)).reply
        #expect(reply.ok, "\(reply)")
        return reply
    }

    /// Events from the board's log, as (device or event, state or value).
    func boardEvents(_ sandbox: Sandbox) throws -> [(String, String)] {
        try String(contentsOfFile: sandbox.eventsPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            let name = (object["device"] ?? object["event"]) as? String ?? "?"
            let value = (object["state"] ?? object["value"]) as? String ?? "?"
            return (name, value)
        }
    }

    @Test func aParentsReminderAndBedtimeHappenAtTheirMinutesWithNoCloud() async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let input = try sandbox.compose("quiet-room.wav", [.silence(45)])
        let clock = ManualClock(date: Self.at(7, 19, 14))
        let teddy = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/teddy")
        try await withDaemon(sandbox, input: input, clock: clock) { daemon, client in
            let reminder = try add(client, ["action": "say", "text": "Time to brush your teeth!", "at": "19:15", "days": "daily"])
            #expect(reminder.message?.contains("next mon 12/7 19:15") == true, "\(reminder.message ?? "")")
            _ = try add(client, ["action": "scene", "scene": "bedtime", "at": "19:30", "days": "school-nights"])
            let (listed, lines) = try client.exchange(ControlRequest(command: "routines.list"))
            #expect(listed.message == "2 routines" && String(decoding: lines, as: UTF8.self).contains("\"weekdays\":\"sun,mon,tue,wed,thu\""))

            try await advance(clock, to: Self.at(7, 19, 15))
            try await wait("the reminder") { !daemon.journal.announcements.isEmpty }
            #expect(daemon.journal.announcements == [Announcement(kind: "routine", line: "Time to brush your teeth!", refused: false)])
            #expect(try sandbox.lightStates().isEmpty, "a reminder is said without listening: the light stays off")

            try await advance(clock, to: Self.at(7, 19, 29))
            #expect(daemon.journal.announcements.count == 1, "nothing between the two")
            try await advance(clock, to: Self.at(7, 19, 30))
            try await wait("bedtime") { daemon.journal.announcements.count == 2 }
            let bedtime = daemon.journal.announcements[1]
            #expect(bedtime.kind == "scene.bedtime" && teddy.primary.lines.bedtime.contains(bedtime.line ?? ""), "\(bedtime)")
            // Then it listens for the child, softly lit; nobody answers, so it closes after bedtime's wait.
            try await wait("bedtime listening, then closing") { try sandbox.lightStates() == ["on", "off"] }
            #expect(daemon.journal.scenes == ["bedtime"])
        }
        let events = try boardEvents(sandbox)
        let said = try #require(events.firstIndex { $0 == ("said", "scene.bedtime") })
        let lightOn = try #require(events.firstIndex { $0 == ("listening_light", "on") })
        #expect(said < lightOn, "the light comes on only once the toy has spoken and listens")
        #expect(events.contains { $0 == ("light_pattern", "dim_glow") })
        #expect(try sandbox.rows("SELECT openedBy FROM conversation").map { $0["openedBy"] as String } == ["routine"])
        #expect(try sandbox.rows("SELECT action FROM auditEntry").map { $0["action"] as String }.filter { $0.hasPrefix("routine") || $0.hasPrefix("scene") }
                == ["routines.add", "routines.add", "routine", "scene.bedtime"])
    }

    @Test func aChildsTimerSetByVoiceFiresAfterItsMinutes() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "remind me in ten minutes", reply: ["Never asked."]))
        let sandbox = try Sandbox(cloud: server.baseURL)
        defer { sandbox.remove() }
        let input = try sandbox.compose("timer.wav", [.sample(Sandbox.skyQuestion), .silence(25)])
        let clock = ManualClock(date: Self.at(8, 16))
        // Past its first use: the toy said what it is a moment ago, so only the timer speaks.
        try FileManager.default.createDirectory(atPath: sandbox.folder + "/data", withIntermediateDirectories: true)
        try AIReminders(database: try CubbyDatabase(path: sandbox.databasePath)).given(at: clock.date)
        try await withDaemon(sandbox, input: input, clock: clock) { daemon, _ in
            try await wait("the timer is set", seconds: 30) { daemon.journal.closeReasons.count == 1 }
            #expect(daemon.journal.turns.first?.said == ["Okay! I'll tell you when ten minutes are up."])
            #expect(try sandbox.rows("SELECT addedBy, onceAt FROM routine").count == 1)
            try await advance(clock, to: Self.at(8, 16, 9))
            #expect(daemon.journal.announcements.isEmpty)
            try await advance(clock, to: Self.at(8, 16, 11))
            try await wait("the timer rings") { !daemon.journal.announcements.isEmpty }
            #expect(daemon.journal.announcements == [Announcement(kind: "timer", line: "Ding ding! Your ten minutes are up!", refused: false)])
        }
        try await server.stop()
        #expect(server.requests.map(\.path) == ["/v1/audio/transcriptions"], "the model never heard of the timer")
        #expect(try sandbox.rows("SELECT id FROM routine").isEmpty, "a timer is done once it rang")
    }

    @Test func afterAPowerCutALateReminderIsSaidAndAMissedBedtimeIsNotReplayed() async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let input = try sandbox.compose("quiet.wav", [.silence(20)])
        // The toy ran until 19:00 on Monday, with two routines; then the power went.
        try seed(sandbox, [("say Time to brush your teeth!", "19:15", "sun,mon,tue,wed,thu,fri,sat"), ("scene bedtime", "19:30", "sun,mon,tue,wed,thu")],
                 checked: Self.at(7, 19))
        // Back at 19:20: the reminder is five minutes late, within its quarter of an hour.
        try await withDaemon(sandbox, input: input, clock: ManualClock(date: Self.at(7, 19, 20))) { daemon, _ in
            try await wait("the late reminder") { !daemon.journal.announcements.isEmpty }
            #expect(daemon.journal.announcements.map(\.line) == ["Time to brush your teeth!"])
        }
        // Off again from 19:20 until noon on Tuesday: bedtime is missed, noted for the parents, and not said.
        try await withDaemon(sandbox, input: input, clock: ManualClock(date: Self.at(8, 12))) { daemon, _ in
            try await wait("the missed bedtime noted") {
                try sandbox.rows("SELECT action FROM auditEntry WHERE action = 'routine.missed'").count == 1
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(daemon.journal.announcements.isEmpty)
        }
        let missed = try sandbox.rows("SELECT detail FROM auditEntry WHERE action = 'routine.missed'").map { $0["detail"] as String }
        #expect(missed.count == 1 && missed[0].contains("start bedtime"), "\(missed)")
    }

    @Test func afterTheChildsGoodnightAtBedtimeTheToyRestsAndTheWakePhraseGetsASleepyLine() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "good night teddy", reply: ["Never asked."]))
        let sandbox = try Sandbox(cloud: server.baseURL)
        defer { sandbox.remove() }
        try seed(sandbox, [("scene bedtime", "19:30", "sun,mon,tue,wed,thu")], checked: Self.at(7, 19, 29), aiReminderAt: Self.at(7, 19, 30))
        // Bedtime begins as the daemon starts; the child answers "good night", then later says the wake phrase again.
        let input = try sandbox.compose("goodnight.wav", [.silence(4), .sample(Sandbox.skyQuestion), .silence(12), .sample(Sandbox.skyQuestion), .silence(8)])
        try await withDaemon(sandbox, input: input, clock: ManualClock(date: Self.at(7, 19, 30))) { daemon, _ in
            do {
                try await wait("the sleepy line", seconds: 40) { daemon.journal.announcements.contains { $0.kind == "sleeping" } }
            } catch {
                Issue.record("\(daemon.journal.announcements) \(daemon.journal.turns.map(\.heard)) \(daemon.journal.closeReasons) \(daemon.journal.openedBy)")
                throw error
            }
        }
        try await server.stop()
        let teddy = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/teddy")
        #expect(server.requests.filter { $0.path == "/v1/audio/transcriptions" }.count == 1, "only the goodnight was heard")
        let said = try #require(try sandbox.rows("SELECT toyText FROM turn").first?["toyText"] as String?)
        #expect(teddy.primary.lines.goodbyes.contains(said), "the toy let go with its goodbye: \(said)")
        #expect(try sandbox.rows("SELECT id FROM conversation").count == 1, "the wake phrase opened no conversation while the toy rests")
    }

    @Test func inQuietHoursAReminderIsSkippedAndABedtimeOnlySaysGoodnight() async throws {
        let sandbox = try Sandbox(cloud: nil, extra: "[limits]\nquiet_hours = \"20:00-07:00\"")
        defer { sandbox.remove() }
        try seed(sandbox, [("scene bedtime", "20:30", "sun,mon,tue,wed,thu"), ("say Time to brush your teeth!", "21:00", "sun,mon,tue,wed,thu,fri,sat")],
                 checked: Self.at(7, 20, 29))
        let input = try sandbox.compose("quiet.wav", [.silence(20)])
        let clock = ManualClock(date: Self.at(7, 20, 29))
        try await withDaemon(sandbox, input: input, clock: clock) { daemon, _ in
            try await advance(clock, to: Self.at(7, 20, 31))
            try await wait("bedtime's goodnight") { !daemon.journal.announcements.isEmpty }
            try await advance(clock, to: Self.at(7, 21, 1))
            try await wait("the reminder skipped") { try sandbox.rows("SELECT id FROM auditEntry WHERE action = 'routine.skipped'").count == 1 }
            #expect(daemon.journal.announcements.map(\.kind) == ["scene.bedtime"])
            #expect(daemon.journal.announcements.first?.line == "Goodnight. Sleep tight, and I'll see you in the morning.", "Cubby's own goodnight: teddy has none of his own")
        }
        #expect(try sandbox.lightStates().isEmpty, "in quiet hours the toy never listens")
        #expect(try sandbox.rows("SELECT id FROM conversation").isEmpty)
    }
}
