import CubbyAudio
@testable import CubbyMicroWake
import CubbyTestSupport
import Foundation
import Testing

/// The front end against pymicro-features, frame by frame and value by value: real speakers, synthesized
/// speech and signals at the arithmetic's edges.
@Suite(.serialized) struct FrontendTests {
    func compare(_ path: String) throws {
        let reference = try ReferenceWake.of(path, model: "alexa")
        var frontend = MicroFrontend()
        let ours = frontend.features(try WAVAudio.read(contentsOf: path).samples)
        #expect(ours.count == reference.features.count, "\(path): \(ours.count) frames against \(reference.features.count)")
        let differing = zip(ours, reference.features).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differing.isEmpty, "\(path): \(differing.count) frames differ; the first is \(differing.first.map { "frame \($0.offset): \($0.element.0) against \($0.element.1)" } ?? "")")
    }

    @Test func realSpeakersFeaturesMatchTheReferenceExactly() throws {
        for path in WakeClips.real { try compare(path) }
    }

    @Test func synthesizedSpeechAndHardSignalsMatchTheReferenceExactly() throws {
        let folder = try WakeClips.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try compare(try WakeClips.spoken("Alexa, what time is it? Hey Jarvis, okay Nabu.", in: folder, name: "spoken"))
        for path in try WakeClips.hard(in: folder) { try compare(path) }
    }

    @Test func audioFedInAnyChunksGivesTheSameFrames() {
        let samples = (0..<9_000).map { Int16(8_000 * sin(Double($0) * 0.05) + 3_000 * sin(Double($0) * 0.31)) }
        var whole = MicroFrontend()
        let expected = whole.features(samples)
        var chunked = MicroFrontend()
        var frames: [[UInt16]] = []
        var start = 0
        for size in [1, 7, 160, 333, 2, 480, 1_000] + Array(repeating: 500, count: 20) where start < samples.count {
            frames += chunked.features(Array(samples[start..<min(samples.count, start + size)]))
            start += size
        }
        #expect(frames == expected && expected.count == (9_000 - 480) / 160 + 1)
        chunked.reset()
        #expect(chunked.features(Array(samples.prefix(2_000))) == Array(expected.prefix(10)), "a reset front end starts afresh")
    }

    @Test func theFastSquareRootIsTheCsBitByBitOne() {
        var generator = SystemRandomNumberGenerator()
        var values: [UInt64] = [0, 1, 2, 3, 4, 0xFFFF, 0xFFFE_0001, 0xFFFF_FFFF, 1 << 32, (1 << 32) + 1, UInt64.max, UInt64.max - 1, 0xFFFF_FFFE_0000_0001]
        for bits in 1...64 {
            for _ in 0..<400 { values.append(UInt64.random(in: 0...UInt64.max, using: &generator) >> (64 - bits)) }
        }
        for root in [UInt64(65_535), 65_536, 4_294_967_295] { values += [root * root &- 1, root &* root, root &* root &+ root, root &* root &+ root &+ 1] }
        let differing = values.filter { MicroFrontend.squareRoot64($0) != MicroFrontend.bitwiseSquareRoot64($0) }
        #expect(differing.isEmpty, "\(differing.prefix(5))")
    }
}
