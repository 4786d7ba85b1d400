import CubbyAudio
import CubbyCore
import CubbyMemory
import CubbyPersona
@testable import CubbyRuntime
import CubbyTesting
import Foundation
import Logging
import CubbyTestSupport
import Testing

/// The minor mode as the daemon enforces it: the real pipeline (wake, endpointer, local cloud, espeak-ng,
/// SQLite) with one injected clock, so an evening, a used-up day and the next morning take a second each.
@Suite struct PlayLimitTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static var utc: Calendar { TestTime.utc }
    /// 2026-12-04 (a Friday) at `hour`:`minute` UTC.
    static func at(_ hour: Int, _ minute: Int = 0, day: Int = 4) -> Date { TestTime.december(day, hour, minute) }

    /// One conversation from the sky question, on `clock`.
    func runOnce(_ sandbox: Sandbox, clock: ManualClock) async throws -> Daemon {
        var options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        options.clock = clock
        options.calendar = Self.utc
        let daemon = try Daemon(options: options, environment: [:], logger: Self.logger)
        try await daemon.run()
        return daemon
    }

    /// Play already recorded today, as an earlier run of the daemon would have left it.
    func played(_ sandbox: Sandbox, from start: Date, to end: Date) throws {
        try FileManager.default.createDirectory(atPath: sandbox.folder + "/data", withIntermediateDirectories: true)
        let database = try CubbyDatabase(path: sandbox.databasePath)
        let id = try database.conversations.open(personaID: "teddy", openedBy: "wake_word", at: start)
        try database.conversations.close(id, at: end)
    }

    static let teddy = Sandbox.packageRoot + "/Personas/teddy"

    @Test func inQuietHoursTheWakePhraseGetsTheBedtimeLineAndNothingLeavesTheDevice() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "why is the sky blue", reply: ["Because!"]))
        let sandbox = try Sandbox(cloud: server.baseURL, extra: "[limits]\nquiet_hours = \"19:30-07:00\"")
        defer { sandbox.remove() }

        let daemon = try await runOnce(sandbox, clock: ManualClock(date: Self.at(21)))
        try await server.stop()
        #expect(server.requests.isEmpty, "no audio and no words leave the device")
        #expect(daemon.journal.turns.isEmpty)
        let said = daemon.journal.announcements
        #expect(said.map(\.kind) == ["quiet_hours"] && said[0].refused)
        let bedtime = try PersonaPackLoader.load(directory: Self.teddy).primary.lines.bedtime
        #expect(bedtime.contains(said[0].line ?? ""), "\(said)")
        #expect(try sandbox.lightStates().isEmpty, "the listening light never came on")
        #expect(try sandbox.rows("SELECT id FROM conversation").isEmpty)
        #expect(try sandbox.outputAudio().samples.count > 16_000, "the bedtime line was spoken")

        // Early next morning it is still night; at seven the toy plays again.
        let morning = try await FakeOpenAIServer(script: .fixed(heard: "why is the sky blue", reply: ["Because it is!"]))
        try sandbox.write(config: try String(contentsOfFile: sandbox.configPath, encoding: .utf8).replacingOccurrences(of: server.baseURL, with: morning.baseURL))
        let early = try await runOnce(sandbox, clock: ManualClock(date: Self.at(6, 59, day: 5)))
        #expect(early.journal.announcements.first?.kind == "quiet_hours")
        let awake = try await runOnce(sandbox, clock: ManualClock(date: Self.at(7, 0, day: 5)))
        try await morning.stop()
        #expect(awake.journal.turns.first?.said == ["Because it is!"])
        #expect(morning.requests.count == 2)
    }

    @Test func quietHoursSetToIgnoreStaySilent() async throws {
        let sandbox = try Sandbox(cloud: nil, extra: "[limits]\nquiet_hours = \"19:30-07:00\"\nquiet_hours_action = \"ignore\"")
        defer { sandbox.remove() }
        let daemon = try await runOnce(sandbox, clock: ManualClock(date: Self.at(23, 30)))
        #expect(daemon.journal.announcements == [Announcement(kind: "quiet_hours", line: nil, refused: true)])
        #expect(SignalLevel.rmsDBFS(try sandbox.outputAudio().samples) < -80, "not a sound")
    }

    @Test func aUsedUpDaySaysSeeYouTomorrowAcrossARestartAndTheNextDayPlays() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "why is the sky blue", reply: ["Because!"]))
        let sandbox = try Sandbox(cloud: server.baseURL, extra: "[limits]\ndaily_minutes = 45\nsitting_minutes = 0")
        defer { sandbox.remove() }
        try played(sandbox, from: Self.at(9), to: Self.at(9, 45))

        let refused = try await runOnce(sandbox, clock: ManualClock(date: Self.at(17)))
        #expect(server.requests.isEmpty)
        #expect(refused.journal.announcements.map(\.kind) == ["daily_limit"])
        #expect(refused.journal.announcements.first?.line == PersonaLines.TimeLines.english.seeYouTomorrow[0])
        #expect(try sandbox.lightStates().isEmpty)

        let tomorrow = try await runOnce(sandbox, clock: ManualClock(date: Self.at(9, day: 5)))
        try await server.stop()
        #expect(tomorrow.journal.turns.first?.said == ["Because!"])
        #expect(server.requests.map(\.path) == ["/v1/audio/transcriptions", "/v1/chat/completions"])
    }

    @Test func aWarningComesBeforeTheEndAndAtTheEndTheToySaysGoodbye() async throws {
        let clock = ManualClock(date: Self.at(16))
        // The answer takes a minute and a half of the child's play.
        let slow = try await FakeOpenAIServer(script: FakeOpenAIScript(transcribe: { _ in "why is the sky blue" },
                                                                      reply: { _ in clock.advance(by: .seconds(90)); return ["Because!"] }))
        let sandbox = try Sandbox(cloud: slow.baseURL, extra: "[limits]\ndaily_minutes = 30\nsitting_minutes = 0\nwarning_minutes = 2")
        defer { sandbox.remove() }
        try played(sandbox, from: Self.at(9), to: Self.at(9, 27))

        let warned = try await runOnce(sandbox, clock: clock)
        let persona = try PersonaPackLoader.load(directory: Self.teddy).primary
        #expect(warned.journal.turns.first?.said == ["Because!"])
        let warning = try #require(warned.journal.announcements.first { $0.kind == "warning" })
        #expect(!warning.refused && warning.line == persona.lines.time.warning(minutes: 2))

        // Another question with half a minute left: answered, then the goodbye, and the conversation ends.
        try played(sandbox, from: Self.at(15), to: Self.at(15, 1))
        clock.advance(by: .seconds(Self.at(17).timeIntervalSince(clock.date)))
        let ended = try await runOnce(sandbox, clock: clock)
        try await slow.stop()
        let goodbye = try #require(ended.journal.announcements.first { $0.kind == "daily_limit" })
        #expect(goodbye.refused && persona.lines.timeLimit.contains(goodbye.line ?? ""))
        #expect(ended.journal.closeReasons == ["limit: daily_limit"])
        #expect(try sandbox.lightStates().suffix(2) == ["on", "off"])
    }

    @Test func continuousPlayGetsARestReminderAndAFullSittingABreak() async throws {
        let clock = ManualClock(date: Self.at(10))
        let server = try await FakeOpenAIServer(script: FakeOpenAIScript(transcribe: { _ in "why is the sky blue" },
                                                                        reply: { _ in clock.advance(by: .seconds(6 * 60)); return ["Because!"] }))
        let sandbox = try Sandbox(cloud: server.baseURL, extra: "[limits]\nsitting_minutes = 20\nrest_reminder_minutes = 15\nbreak_minutes = 10")
        defer { sandbox.remove() }
        try played(sandbox, from: Self.at(9, 45), to: Self.at(9, 55))   // ten minutes, five minutes ago: the same sitting

        let reminded = try await runOnce(sandbox, clock: clock)
        let persona = try PersonaPackLoader.load(directory: Self.teddy).primary
        let reminder = try #require(reminded.journal.announcements.first { $0.kind == "rest_reminder" })
        #expect(!reminder.refused && persona.lines.breaks.contains(reminder.line ?? ""))
        #expect(reminded.journal.closeReasons.allSatisfy { !$0.hasPrefix("limit") })

        // Sixteen minutes played in this sitting plus six more in the next answer: past the sitting's twenty.
        let stopped = try await runOnce(sandbox, clock: clock)
        #expect(stopped.journal.announcements.contains { $0.kind == "sitting_limit" && $0.refused })
        // Within the break the wake phrase gets the break line; after ten minutes the toy plays again.
        let during = try await runOnce(sandbox, clock: clock)
        #expect(during.journal.announcements.map(\.kind) == ["sitting_limit"] && during.journal.turns.isEmpty)
        clock.advance(by: .seconds(10 * 60))
        let after = try await runOnce(sandbox, clock: clock)
        try await server.stop()
        #expect(after.journal.turns.first?.said == ["Because!"])
    }

    @Test func theToySaysWhatItIsAtFirstUseAndAgainAfterTheParentsInterval() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "why is the sky blue", reply: ["Because!"]))
        let sandbox = try Sandbox(cloud: server.baseURL, extra: "[limits]\nai_reminder_minutes = 60")
        defer { sandbox.remove() }
        let clock = ManualClock(date: Self.at(10))
        let first = try await runOnce(sandbox, clock: clock)
        let line = try #require(first.journal.announcements.first { $0.kind == "ai_reminder" }?.line)
        #expect(line.contains("computer brain"))
        clock.advance(by: .seconds(30 * 60))
        #expect(try await runOnce(sandbox, clock: clock).journal.announcements.isEmpty)
        clock.advance(by: .seconds(31 * 60))
        let later = try await runOnce(sandbox, clock: clock)
        try await server.stop()
        #expect(later.journal.announcements.map(\.kind) == ["ai_reminder"])
    }
}
