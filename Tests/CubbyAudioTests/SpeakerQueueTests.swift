import CubbyAudio
import CubbyCore
import Foundation
import Testing

@Suite struct SpeakerQueueTests {
    @Test func audioBeyondTheQueuesBoundIsRefusedAndStoppingFreesIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Paced like a real speaker, so nothing drains faster than it would be heard.
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: 16_000), paced: true, maximumQueuedSeconds: 1)
        let sentence = [Int16](repeating: 100, count: 6_400)
        try speaker.enqueue(sentence)
        try speaker.enqueue(sentence)
        #expect(throws: CubbyError.self) { try speaker.enqueue(sentence + sentence) }
        speaker.stop()
        try speaker.enqueue(sentence)
        speaker.stop()
        try speaker.close()
    }

    @Test func waitingUntilIdleReturnsOnceEverythingQueuedWasHeard() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("idle-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: 16_000), paced: true)
        try speaker.enqueue([Int16](repeating: 100, count: 3_200))
        try speaker.enqueue([Int16](repeating: 200, count: 1_600))
        try await speaker.waitUntilIdle()
        #expect(speaker.samplesPlayed == 4_800 && !speaker.isPlaying)
        try await speaker.waitUntilIdle()
        try speaker.close()
    }

    @Test func aStoppedTurnCannotQueueTheSentenceItStillHadInHand() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cancelled-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: 16_000))
        let turn = Task { () -> Bool in
            try? await Task.sleep(for: .seconds(60))  // synthesizing, say; the barge-in cancels it
            do {
                try speaker.enqueue([Int16](repeating: 100, count: 1_600))
                return true
            } catch {
                return false
            }
        }
        turn.cancel()
        #expect(await turn.value == false)
        try speaker.enqueue([Int16](repeating: 100, count: 160))
        try await speaker.waitUntilIdle()
        #expect(speaker.samplesPlayed == 160)
        try speaker.close()
    }
}
