import CubbyAudio
import CubbyCore
import Foundation
import CubbyTestSupport
import Testing

/// The real libasound, with PCMs defined by ALSA's `file` plugin over the `null` PCM: capture returns the
/// bytes of `infile`, playback writes the samples to `file`. No sound card needed.
@Suite struct ALSATests {
    @Test func aDrainedSpeakerTakesTheNextSentence() throws {
        let folder = try ALSATestFiles.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try ALSATestFiles.writeConfig(in: folder, infile: "/dev/null")
        let writer = try ALSAPlaybackWriter(spec: ALSADeviceSpec(name: "speaker", configFile: config), sampleRate: 16_000)
        let sentence = [Int16](repeating: 1_000, count: 3_200)
        try writer.write(sentence)
        try writer.drain()
        // The reply's next sentence, after the speaker ran dry between the two.
        try writer.write(sentence)
        try writer.drain()
        try writer.close()
        let raw = try Data(contentsOf: URL(fileURLWithPath: folder + "/speaker.raw"))
        #expect(raw.count == 2 * 2 * sentence.count)
    }

    @Test func playbackWritesExactlyTheSamplesThroughLibasound() throws {
        let folder = try ALSATestFiles.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try ALSATestFiles.writeConfig(in: folder, infile: "/dev/null")
        let tone = (0..<22_050).map { Int16(8_000 * sin(Double($0) * 2 * .pi * 440 / 22_050)) }

        let writer = try ALSAPlaybackWriter(spec: ALSADeviceSpec(name: "speaker", configFile: config), sampleRate: 22_050)
        #expect(writer.format.sampleRate == 22_050)
        try writer.write(tone)
        try writer.drain()
        try writer.close()
        #expect(try ALSATestFiles.samples(inRaw: folder + "/speaker.raw") == tone)
    }

    @Test func captureAt48kStereoArrivesAs16kMono() throws {
        let folder = try ALSATestFiles.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // One second of a 300 Hz tone on the left channel only, at 48 kHz stereo.
        var interleaved: [Int16] = []
        for i in 0..<48_000 {
            interleaved.append(Int16(10_000 * sin(Double(i) * 2 * .pi * 300 / 48_000)))
            interleaved.append(0)
        }
        try ALSATestFiles.rawBytes(interleaved).write(to: URL(fileURLWithPath: folder + "/in.raw"))
        let config = try ALSATestFiles.writeConfig(in: folder, infile: folder + "/in.raw")

        let reader = try ALSACaptureReader(spec: ALSADeviceSpec(name: "mic", configFile: config, periodMilliseconds: 20),
                                           format: AudioFormat(sampleRate: 48_000, channels: 2))
        var captured: [Int16] = []
        while captured.count < 16_000, let chunk = try reader.read() { captured += chunk }
        // 20 ms periods come out as about 320 samples each at 16 kHz (the resampler's delay shifts a few).
        #expect(captured.count >= 16_000 && captured.count < 16_000 + 2 * 320)
        let level = SignalLevel.rmsDBFS(Array(captured[1_000..<15_000]))
        // A 10000-peak tone is about -13 dBFS; mixed down with a silent channel, half of it: about -19 dBFS.
        #expect(level > -22 && level < -16, "level \(level)")
        #expect(reader.xrunCount == 0)
    }

    @Test func aMissingPCMIsAClearError() {
        #expect {
            _ = try ALSACaptureReader(spec: ALSADeviceSpec(name: "nosuchpcm", configFile: "/dev/null"), format: .speech)
        } throws: { error in
            guard let error = error as? CubbyError else { return false }
            return error.code == .audio && "\(error)".contains("nosuchpcm")
        }
    }
}
