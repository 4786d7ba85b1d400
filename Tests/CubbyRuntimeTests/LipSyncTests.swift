import CubbyAudio
import CubbyCore
import CubbyHardware
@testable import CubbyRuntime
import CubbyVoice
import Foundation
import Logging
import Synchronization
import Testing

/// The mouth follows the toy's voice in step with playback: open while it speaks, shut in its pauses, let
/// shut when it stops — played through the real speaker queue, with espeak-ng's speech.
@Suite struct LipSyncTests {
    /// Records each move with how many samples had been played when it was made.
    final class RecordingDriver: MotorDriver {
        let played = Mutex(0)
        let moves = Mutex<[(angle: Double?, at: Int)]>([])
        func move(_ motor: MotorSpec, to angle: Double) throws(CubbyError) {
            let at = played.withLock { $0 }
            moves.withLock { $0.append((angle, at)) }
        }
        func stop(_ motor: MotorSpec) throws(CubbyError) {
            let at = played.withLock { $0 }
            moves.withLock { $0.append((nil, at)) }
        }
    }

    @Test func theMouthOpensWithSpeechClosesInItsPausesAndLetsGoAtTheEnd() async throws {
        let speech = try EspeakSynthesizer().synthesizeNow("Hello there, little one. How are you today?", voice: VoiceSettings())
        let rate = speech.sampleRate
        let pause = [Int16](repeating: 0, count: rate / 2)
        let jaw = MotorSpec(limits: MotorLimits(name: "jaw", angles: -10...30, rest: 0, maximumRunMilliseconds: 60_000), drive: .logged)
        let driver = RecordingDriver()
        let follower = LipSync(mouth: jaw, openDegrees: 25, driver: driver, guarded: { _, angle, move in move(angle) },
                               logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lips-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: rate), onBlock: { block in
            follower.hear(block)
            if let block { driver.played.withLock { $0 += block.count } }
        })
        try speaker.enqueue(speech.samples + pause + speech.samples)
        try await speaker.waitUntilIdle()
        try speaker.close()

        let moves = driver.moves.withLock { $0 }
        let firstVoice = try #require(speech.samples.firstIndex { abs($0) > 2_000 })
        let firstOpen = try #require(moves.first { ($0.angle ?? 0) > 0 })
        #expect(firstOpen.at <= firstVoice + rate / 25, "open within two blocks of the first loud sound")
        #expect(moves.allSatisfy { ($0.angle ?? 0) <= 25 && ($0.angle ?? 0) >= 0 }, "never past rest + 25°, never below rest")
        // In the pause (after its first block) the mouth is shut and stays shut.
        let pauseStart = speech.samples.count, pauseEnd = speech.samples.count + pause.count
        let inPause = moves.filter { $0.at > pauseStart + rate / 50 && $0.at < pauseEnd }
        #expect(inPause.allSatisfy { $0.angle == 0 }, "\(inPause)")
        let lastBeforePause = moves.last { $0.at <= pauseStart + rate / 50 }
        #expect(lastBeforePause?.angle == 0 || inPause.first?.angle == 0, "shut at the pause")
        #expect(moves.contains { $0.at > pauseEnd && ($0.angle ?? 0) > 0 }, "open again with the second sentence")
        // At the end the mouth shuts and holds at rest.
        #expect(moves.last?.angle == 0)
        #expect(moves.count < (2 * speech.samples.count + pause.count) / (rate / 50), "moves only when the mouth moves a step, not every block")
    }

    final class RecordingLights: LightDriver {
        let levels = Mutex<[Int]>([])
        func set(_ light: LightSpec, brightness: Int, colours: [LEDColour]?) throws(CubbyError) { levels.withLock { $0.append(brightness) } }
    }

    @Test func aMouthLightGlowsWithTheVoiceAndGoesDarkAtTheEnd() async throws {
        let speech = try EspeakSynthesizer().synthesizeNow("Good night, little star.", voice: VoiceSettings())
        let lights = RecordingLights()
        let follower = LipSyncLight(light: LightSpec(name: "cheeks", drive: .logged), driver: lights,
                                    logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("glow-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: speech.sampleRate), onBlock: { follower.hear($0) })
        try speaker.enqueue(speech.samples)
        try await speaker.waitUntilIdle()
        try speaker.close()
        let levels = lights.levels.withLock { $0 }
        #expect(levels.contains { $0 >= 50 }, "bright with the voice: \(levels)")
        #expect(levels.allSatisfy { $0 % 10 == 0 && (0...100).contains($0) })
        #expect(levels.last == 0, "dark once the toy stops speaking")
    }
}
