import CubbyAudio
import CubbyCore
import Foundation
import Logging
import CubbyTestSupport
import Testing

/// A device that fails as an unplugged one does: it works until `unplug()`, then every call throws.
final class Unpluggable: AudioReader, AudioWriter, @unchecked Sendable {
    let readerInside: (any AudioReader)?
    let writerInside: (any AudioWriter)?
    private(set) var unplugged = false
    init(reader: any AudioReader) { readerInside = reader; writerInside = nil }
    init(writer: any AudioWriter) { writerInside = writer; readerInside = nil }
    func unplug() { unplugged = true }
    var name: String { readerInside?.name ?? writerInside!.name }
    var format: AudioFormat { writerInside!.format }
    func read() throws(CubbyError) -> [Int16]? {
        if unplugged { throw CubbyError(.audio, "read failed: No such device", context: "ALSA device \"\(name)\"") }
        return try readerInside!.read()
    }
    func write(_ samples: [Int16]) throws(CubbyError) {
        if unplugged { throw CubbyError(.audio, "write failed: No such device", context: "ALSA device \"\(name)\"") }
        try writerInside!.write(samples)
    }
    func drain() throws(CubbyError) { try writerInside?.drain() }
    func close() throws(CubbyError) { try writerInside?.close() }
}

/// A device that disappears and comes back, through the real libasound: while its ALSA definition is
/// gone, opening it fails as opening a missing card does; the daemon's readers and writers keep going and
/// reopen it with backoff.
@Suite struct ALSARecoveryTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func aLostMicrophoneGivesSilenceThenIsReopenedWithBackoff() async throws {
        let folder = try ALSATestFiles.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tone = (0..<16_000).map { Int16(6_000 * sin(Double($0) * 0.2)) }
        try ALSATestFiles.rawBytes(tone).write(to: URL(fileURLWithPath: folder + "/in.raw"))
        let config = try ALSATestFiles.writeConfig(in: folder, infile: folder + "/in.raw")
        let spec = ALSADeviceSpec(name: "mic", configFile: config, periodMilliseconds: 20)
        let device = Unpluggable(reader: try ALSACaptureReader(spec: spec, format: .speech))
        let opens = Counter()
        let reader = ReopeningReader(name: "mic", initial: device, backoff: ReopenBackoff(first: .milliseconds(100), maximum: .milliseconds(400)),
                                     logger: Self.logger) { () throws(CubbyError) -> any AudioReader in
            _ = opens.next()
            return try ALSACaptureReader(spec: spec, format: .speech)
        }
        #expect(try reader.read()?.count == 320)
        // Unplugged, and its definition gone: reopening fails until it is back.
        device.unplug()
        let saved = try String(contentsOfFile: config, encoding: .utf8)
        try FileManager.default.removeItem(atPath: config)
        let clock = ContinuousClock()
        let started = clock.now
        var silent = 0
        while clock.now - started < .milliseconds(900) {
            let chunk = try #require(try reader.read())
            #expect(chunk.allSatisfy { $0 == 0 })
            silent += 1
        }
        #expect(!reader.isDeviceOpen)
        // About 45 chunks of 20 ms silence in 900 ms: delivered at real-time pace, not spun.
        #expect(silent > 25 && silent < 60, "\(silent) silent chunks")
        // Backoff 100, 200, 400, 400 ms…: a handful of attempts, not one per chunk.
        let attempts = opens.next()
        #expect(attempts >= 2 && attempts <= 6, "\(attempts) attempts in 900 ms")
        // Plugged back in.
        try saved.write(toFile: config, atomically: true, encoding: .utf8)
        var captured: [Int16] = []
        while clock.now - started < .seconds(3), captured.isEmpty || captured.allSatisfy({ $0 == 0 }) {
            captured = try #require(try reader.read())
        }
        #expect(reader.isDeviceOpen && reader.reopenCount == 1)
        #expect(captured == Array(tone.prefix(captured.count)), "audio flows again from the reopened device")
    }

    @Test func aLostSpeakerDropsAudioThenIsReopened() throws {
        let folder = try ALSATestFiles.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try ALSATestFiles.writeConfig(in: folder, infile: "/dev/null")
        let spec = ALSADeviceSpec(name: "speaker", configFile: config)
        let device = Unpluggable(writer: try ALSAPlaybackWriter(spec: spec, sampleRate: 16_000))
        let writer = ReopeningWriter(initial: device, backoff: ReopenBackoff(first: .milliseconds(50), maximum: .milliseconds(50)),
                                     logger: Self.logger) { () throws(CubbyError) -> any AudioWriter in
            try ALSAPlaybackWriter(spec: spec, sampleRate: 16_000)
        }
        device.unplug()
        // The failed write does not throw: the toy goes quiet, the daemon keeps running.
        try writer.write([Int16](repeating: 1, count: 320))
        try FileManager.default.removeItem(atPath: folder + "/speaker.raw")
        usleep(80_000)
        let second = (0..<320).map { Int16($0) }
        try writer.write(second)
        try writer.drain()
        try writer.close()
        #expect(writer.reopenCount == 1)
        #expect(try ALSATestFiles.samples(inRaw: folder + "/speaker.raw") == second)
    }
}
