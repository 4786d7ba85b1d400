import CubbyAudio
import CubbyCore
@testable import CubbyRuntime
import Foundation
import Logging
import CubbyTestSupport
import Testing

/// The persona's sounds on the real speaker queue: an emotion's giggle between the reply's sentences, but
/// not one on every sentence; a touch reaction's purr only when the toy is not talking.
@Suite struct PersonaSoundsTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let giggle = Sandbox.packageRoot + "/Personas/teddy/sounds/giggle.wav"

    func speaker(_ path: String) throws -> SpeakerQueue {
        SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: 16_000))
    }

    /// Waits for `queued` (what `sounds` queued on its own tasks) and for the speaker to have played it.
    func played(_ speaker: SpeakerQueue, path: String, after queued: [Task<Void, Never>?] = []) async throws -> Int {
        for task in queued { await task?.value }
        try await speaker.waitUntilIdle()
        try speaker.close()
        return try WAVAudio.read(contentsOf: path).samples.count
    }

    @Test func anEmotionsSoundIsQueuedAfterTheSentenceAndNotAgainTooSoon() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sounds-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let speaker = try speaker(path)
        let clock = ManualClock()
        let talking = ConversationActivity()
        talking.set(true)
        let sounds = PersonaSounds(speaker: speaker, activity: talking, clock: clock, logger: Self.logger)
        let sentence = [Int16](repeating: 3_000, count: 8_000)
        try speaker.enqueue(sentence)
        let first = sounds.expression(Self.giggle)
        #expect(first != nil)
        #expect(sounds.expression(Self.giggle) == nil, "a second giggle within four seconds is left out")
        clock.advance(by: .seconds(5))
        let again = sounds.expression(Self.giggle)
        #expect(again != nil, "and allowed again after")
        let giggle = try WAVAudio.read(contentsOf: Self.giggle)
        let giggleAt16k = try Resampler.convert(giggle.mono(), from: giggle.format.sampleRate, to: 16_000).count
        let total = try await played(speaker, path: path, after: [first, again])
        #expect(total == sentence.count + 2 * giggleAt16k, "the sentence, then two giggles, whole: \(total)")
    }

    @Test func aReactionsSoundWaitsForTheToyToStopTalking() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sounds-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let speaker = try speaker(path)
        let activity = ConversationActivity()
        let sounds = PersonaSounds(speaker: speaker, activity: activity, clock: ManualClock(), logger: Self.logger)
        activity.set(true)
        #expect(sounds.reaction(Self.giggle) == nil)
        #expect(try await played(speaker, path: path) == 0, "not while a conversation is open")

        let idlePath = path + ".idle.wav"
        defer { try? FileManager.default.removeItem(atPath: idlePath) }
        let idleSpeaker = try self.speaker(idlePath)
        let purr = PersonaSounds(speaker: idleSpeaker, activity: ConversationActivity(), clock: ManualClock(), logger: Self.logger).reaction(Self.giggle)
        #expect(try await played(idleSpeaker, path: idlePath, after: [purr]) > 0, "idle, it plays")
    }

    @Test func aSoundAskedForBeforeABargeInOrAfterTheEndIsNotHeard() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sounds-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Paced as a real speaker, so the stop comes while the sentence is still playing.
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: 16_000), paced: true)
        let talking = ConversationActivity()
        talking.set(true)
        let sounds = PersonaSounds(speaker: speaker, activity: talking, clock: ManualClock(), logger: Self.logger)
        try speaker.enqueue([Int16](repeating: 3_000, count: 16_000))
        let giggle = sounds.expression(Self.giggle)
        speaker.stop()
        await giggle?.value
        // The conversation ended before the next emotion's sound was read.
        let late = PersonaSounds(speaker: speaker, activity: ConversationActivity(), clock: ManualClock(), logger: Self.logger).expression(Self.giggle)
        await late?.value
        let total = try await played(speaker, path: path)
        #expect(total < 4_000, "the child interrupted: neither the rest of the sentence nor any giggle plays (\(total) samples)")
    }
}
