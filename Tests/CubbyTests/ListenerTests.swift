import CubbyAudio
import CubbyCore
import CubbyRuntime
import CubbyWake
import Foundation
import Testing

/// A wake engine that fires once, at the chunk ending at `endSample`.
final class ScriptedWake: WakeDetector {
    let endSample: Int64
    private var fired = false
    init(endSample: Int64) { self.endSample = endSample }
    func process(_ chunk: AudioChunk) throws(CubbyError) -> WakeDetection? {
        guard !fired, chunk.endSample == endSample else { return nil }
        fired = true
        return WakeDetection(phrase: "hey teddy", startSample: endSample - 8_000, endSample: endSample, score: 0.9)
    }
    func reset() throws(CubbyError) {}
}

@Suite struct ListenerTests {
    /// 20 ms chunks of `seconds` of a loud tone (speech) or silence.
    static func chunks(_ parts: [(seconds: Double, loud: Bool)]) -> [AudioChunk] {
        var samples: [Int16] = []
        for part in parts {
            let count = Int(part.seconds * 16_000)
            samples += (0..<count).map { part.loud ? Int16(8_000 * sin(Double($0) * 0.3)) : 0 }
        }
        return stride(from: 0, to: samples.count, by: 320).map {
            AudioChunk(startSample: Int64($0), samples: Array(samples[$0..<min($0 + 320, samples.count)]))
        }
    }

    @Test func aQuestionRunIntoTheNameStartsHalfASecondBeforeTheWakeEnded() throws {
        // One second of "hey teddy", the question straight after it, then silence.
        let listener = Listener(detector: ScriptedWake(endSample: 16_000), settings: EndpointerSettings())
        var events: [ListenerEvent] = []
        for chunk in Self.chunks([(1, true), (1, true), (1, false)]) { events += try listener.process(chunk) }
        #expect(events.first == .opened(.wakeWord, atSample: 16_000, phrase: "hey teddy"))
        let utterance = try #require(events.compactMap { event -> (Int64, Int64)? in
            if case .utterance(_, let start, let end) = event { return (start, end) } else { return nil }
        }.first)
        #expect(utterance.0 == 16_000 - 8_000, "starts at \(utterance.0)")
        #expect(utterance.1 >= 32_000 && utterance.1 < 32_000 + 16_000)
    }

    @Test func nothingIsCollectedWhileIdle() throws {
        let listener = Listener(detector: ScriptedWake(endSample: -1), settings: EndpointerSettings())
        for chunk in Self.chunks([(3, true)]) { #expect(try listener.process(chunk).isEmpty) }
        #expect(!listener.isConversationOpen)
    }

    @Test func afterAPauseOnlyThePreRollBeforeSpeechIsKept() throws {
        let listener = Listener(detector: ScriptedWake(endSample: 16_000), settings: EndpointerSettings())
        var events: [ListenerEvent] = []
        // Name, two seconds of silence, a question, silence.
        for chunk in Self.chunks([(1, true), (2, false), (1, true), (1, false)]) { events += try listener.process(chunk) }
        let start = try #require(events.compactMap { event -> Int64? in
            if case .utterance(_, let start, _) = event { return start } else { return nil }
        }.first)
        // Speech begins at 3 s (48000); the utterance starts about half a second before it.
        #expect(start >= 48_000 - 8_000 - 3_000 && start <= 48_000 - 8_000, "starts at \(start)")
    }
}
