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
}
