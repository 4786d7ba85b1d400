import CubbyAudio
import CubbyCore
import CubbyRuntime
import CubbyWake
import Foundation
import Testing

/// A wake engine that fires at the chunks ending at `endSamples`.
final class ScriptedWake: WakeDetector {
    let endSamples: Set<Int64>
    init(endSample: Int64) { self.endSamples = [endSample] }
    init(endSamples: Set<Int64>) { self.endSamples = endSamples }
    func process(_ chunk: AudioChunk) throws(CubbyError) -> WakeDetection? {
        guard endSamples.contains(chunk.endSample) else { return nil }
        return WakeDetection(phrase: "hey teddy", startSample: chunk.endSample - 8_000, endSample: chunk.endSample, score: 0.9)
    }
    func reset() throws(CubbyError) {}
}

/// Feeds chunks as the capture thread and the conversation loop do: into the ring, then the listener.
func feed(_ listener: Listener, _ ring: AudioRing, _ chunks: [AudioChunk]) async throws -> [ListenerEvent] {
    var events: [ListenerEvent] = []
    for chunk in chunks {
        ring.write(chunk.samples)
        events += try await listener.process(chunk)
    }
    return events
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

    @Test func aQuestionRunIntoTheNameStartsHalfASecondBeforeTheWakeEnded() async throws {
        // One second of "hey teddy", the question straight after it, then silence.
        let ring = AudioRing()
        let listener = Listener(spotter: WakeSpotter(detector: ScriptedWake(endSample: 16_000)), settings: EndpointerSettings(), ring: ring)
        let events = try await feed(listener, ring, Self.chunks([(1, true), (1, true), (1, false)]))
        #expect(events.first == .opened(.wakeWord, atSample: 16_000, phrase: "hey teddy"))
        let utterance = try #require(events.compactMap { event -> (Int64, Int64)? in
            if case .utterance(_, let start, let end) = event { return (start, end) } else { return nil }
        }.first)
        #expect(utterance.0 == 16_000 - 8_000, "starts at \(utterance.0)")
        #expect(utterance.1 >= 32_000 && utterance.1 < 32_000 + 16_000)
    }

    @Test func nothingIsCollectedWhileIdle() async throws {
        let ring = AudioRing()
        let listener = Listener(spotter: WakeSpotter(detector: ScriptedWake(endSample: -1)), settings: EndpointerSettings(), ring: ring)
        #expect(try await feed(listener, ring, Self.chunks([(3, true)])).isEmpty)
        #expect(!listener.isConversationOpen)
    }

    @Test func afterAPauseOnlyThePreRollBeforeSpeechIsKept() async throws {
        let ring = AudioRing()
        let listener = Listener(spotter: WakeSpotter(detector: ScriptedWake(endSample: 16_000)), settings: EndpointerSettings(), ring: ring)
        // Name, two seconds of silence, a question, silence.
        let events = try await feed(listener, ring, Self.chunks([(1, true), (2, false), (1, true), (1, false)]))
        let start = try #require(events.compactMap { event -> Int64? in
            if case .utterance(_, let start, _) = event { return start } else { return nil }
        }.first)
        // Speech begins at 3 s (48000); the utterance starts about half a second before it.
        #expect(start >= 48_000 - 8_000 - 3_000 && start <= 48_000 - 8_000, "starts at \(start)")
    }

    @Test func theWakePhraseWhileTheToyAnswersInterruptsAndStartsTheNextUtterance() async throws {
        let ring = AudioRing()
        // Wake at 1 s, question to 2 s, silence while the toy answers, the name again at 4 s, a new question.
        let listener = Listener(spotter: WakeSpotter(detector: ScriptedWake(endSamples: [16_000, 64_000])), settings: EndpointerSettings(), ring: ring)
        let chunks = Self.chunks([(2, true), (2, false), (1, true), (1, false)])
        var events = try await feed(listener, ring, Array(chunks.prefix(150)))  // up to 3 s: the question has ended
        #expect(listener.state == .answering)
        events = try await feed(listener, ring, Array(chunks.dropFirst(150)))
        #expect(events.first == .bargeIn(.wakeWord, atSample: 64_000, phrase: "hey teddy"))
        let next = try #require(events.compactMap { event -> Int64? in
            if case .utterance(_, let start, _) = event { return start } else { return nil }
        }.first)
        #expect(next == 64_000 - 8_000, "the new utterance starts half a second before the name ended, at \(next)")
    }

    @Test func theTalkButtonWhileTheToyAnswersIsABargeIn() async throws {
        let ring = AudioRing()
        let listener = Listener(spotter: WakeSpotter(detector: ScriptedWake(endSample: 16_000)), settings: EndpointerSettings(), ring: ring)
        _ = try await feed(listener, ring, Self.chunks([(2, true), (1, false)]))
        #expect(listener.state == .answering)
        #expect(listener.open(by: .talkButton, atSample: 48_000) == .bargeIn(.talkButton, atSample: 48_000, phrase: nil))
        #expect(listener.state == .listening)
        #expect(listener.closeNow(atSample: 48_320) == .closed(atSample: 48_320, reason: .muted))
        #expect(!listener.isConversationOpen)
    }

    @Test func theWakeEngineDecodesOnItsOwnThreadNotTheCooperativePool() async throws {
        final class ThreadRecorder: WakeDetector, @unchecked Sendable {
            // @unchecked: `names` is only touched on the wake thread, then read after it is done.
            var names: Set<String> = []
            func process(_ chunk: AudioChunk) throws(CubbyError) -> WakeDetection? {
                names.insert(WakeSpotter.currentThreadExecutor ?? "the cooperative pool")
                return nil
            }
            func reset() throws(CubbyError) {}
        }
        let recorder = ThreadRecorder()
        let ring = AudioRing()
        let listener = Listener(spotter: WakeSpotter(detector: recorder), settings: EndpointerSettings(), ring: ring)
        _ = try await feed(listener, ring, Self.chunks([(0.5, true)]))
        #expect(recorder.names == ["cubby-wake"])
    }
}
