import CubbyAudio
import CubbyCore
import Foundation
import Testing

/// A deterministic speech-like signal: a few harmonics with a slowly moving pitch and a syllable envelope.
func speechLike(seconds: Double, seed: Double, level: Double = 6_000) -> [Int16] {
    let count = Int(seconds * 16_000)
    return (0..<count).map { n in
        let t = Double(n) / 16_000
        let pitch = 140 + 40 * sin(2 * .pi * 0.7 * t + seed)
        let envelope = 0.5 + 0.5 * sin(2 * .pi * 3.1 * t + seed)
        var value = 0.0
        for harmonic in 1...5 { value += sin(2 * .pi * pitch * Double(harmonic) * t + seed * Double(harmonic)) / Double(harmonic) }
        return Int16(max(-32_000, min(32_000, level * envelope * value / 2)))
    }
}

func energy(_ samples: ArraySlice<Int16>) -> Double {
    samples.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(samples.count, 1))
}

@Suite struct FrontEndTests {
    @Test func ringReadersKeepTheirOwnPlaceAndASlowOneLosesTheOldestAudio() {
        let ring = AudioRing(capacitySeconds: 1)
        let fast = ring.makeReader(at: 0)
        let slow = ring.makeReader(at: 0)
        ring.write((0..<8_000).map { Int16($0 % 1000) })
        let first = fast.read()
        #expect(first.startSample == 0 && first.samples.count == 8_000)
        ring.write((8_000..<24_000).map { Int16($0 % 1000) })
        #expect(fast.read().startSample == 8_000)
        // The slow reader fell 24 000 samples behind a 16 000-sample ring: it loses the oldest 8 000.
        let late = slow.read()
        #expect(late.startSample == 8_000)
        #expect(late.samples.count == 16_000)
        #expect(slow.lostSamples == 8_000)
        #expect(late.samples.first == Int16(8_000 % 1000))
        // Looking back by absolute index, as the uplink does at a wake.
        let back = ring.read(from: 23_000, maxCount: 500).chunk
        #expect(back.startSample == 23_000 && back.samples == (23_000..<23_500).map { Int16($0 % 1000) })
        #expect(ring.startIndex == 8_000 && ring.endIndex == 24_000)
    }

    @Test func echoCancellationRemovesTheToysOwnVoiceAndKeepsTheChilds() throws {
        var settings = FrontEndSettings.bypass
        settings.echoCancellation = true
        let reference = EchoReference()
        let frontEnd = try VoiceFrontEnd(settings: settings, reference: reference)
        let toy = speechLike(seconds: 8, seed: 1)
        let child = speechLike(seconds: 8, seed: 4, level: 3_000)
        // The room: the microphone hears the toy 5 ms later at 60 % plus a weaker reflection 12 ms later.
        let echo = (0..<toy.count).map { n -> Int16 in
            let direct = n >= 80 ? 0.6 * Double(toy[n - 80]) : 0
            let reflection = n >= 192 ? 0.2 * Double(toy[n - 192]) : 0
            return Int16(direct + reflection)
        }
        var echoOut: [Int16] = []
        var doubleTalkOut: [Int16] = []
        for start in stride(from: 0, to: toy.count, by: 320) {
            let range = start..<min(start + 320, toy.count)
            reference.push(Array(toy[range]))
            // First 6 s: only the toy is heard. Last 2 s: the child talks over it.
            let mic = range.map { n in n < 96_000 ? echo[n] : Int16(clamping: Int(echo[n]) + Int(child[n])) }
            let cleaned = frontEnd.process(AudioChunk(startSample: Int64(start), samples: mic)).samples
            if start < 96_000 { echoOut += cleaned } else { doubleTalkOut += cleaned }
        }
        // Echo return loss enhancement after the filter has converged (seconds 3–6).
        let erle = 10 * log10(energy(echo[48_000..<96_000]) / max(energy(echoOut[48_000..<96_000]), 1))
        #expect(erle > 15, "ERLE \(erle) dB")
        // During double talk the child's voice is still there.
        let childEnergy = energy(child[96_000...])
        let kept = energy(doubleTalkOut[...])
        #expect(kept > childEnergy * 0.25, "child energy \(childEnergy), after the canceller \(kept)")
    }

    @Test func noiseSuppressionLowersStationaryNoise() throws {
        var settings = FrontEndSettings.bypass
        settings.noiseSuppressionDB = -25
        let frontEnd = try VoiceFrontEnd(settings: settings, reference: nil)
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<48_000).map { _ in Int16.random(in: -800...800, using: &generator) }
        let cleaned = frontEnd.process(AudioChunk(startSample: 0, samples: noise)).samples
        let reduction = 10 * log10(energy(noise[32_000...]) / max(energy(cleaned[32_000...]), 1))
        #expect(reduction > 10, "noise reduced by \(reduction) dB")
    }

    @Test func frontEndOutputKeepsAbsoluteIndicesAcrossOddChunkSizes() throws {
        let frontEnd = try VoiceFrontEnd(settings: FrontEndSettings(), reference: EchoReference())
        var next: Int64 = 0
        var start: Int64 = 0
        for size in [100, 333, 160, 7, 900, 1] {
            let out = frontEnd.process(AudioChunk(startSample: start, samples: [Int16](repeating: 100, count: size)))
            start += Int64(size)
            if !out.samples.isEmpty { #expect(out.startSample == next) }
            next = out.endSample > next ? out.endSample : next
            #expect(out.samples.count % VoiceFrontEnd.frameSamples == 0)
        }
        #expect(next == 1_440)  // 1 501 samples in: nine whole frames out, 61 waiting
    }

    @Test func speakerStopSilencesWithinABlockAndDropsTheRest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-speaker-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let reference = EchoReference()
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: folder + "/out.wav", sampleRate: 22_050), paced: true,
                                   echoReference: reference)
        // Two seconds of reply queued; interrupt after about half a second (the machine may be busy, so the
        // real time elapsed is measured rather than assumed).
        let clock = ContinuousClock()
        let queued = clock.now
        try speaker.enqueue([Int16](repeating: 1_000, count: 22_050))
        try speaker.enqueue([Int16](repeating: 1_000, count: 22_050))
        usleep(500_000)
        let took = speaker.stop()
        let elapsed = clock.now - queued
        let playedAtStop = speaker.samplesPlayed
        usleep(200_000)
        #expect(took < .milliseconds(150), "stop took \(took)")
        #expect(!speaker.isPlaying)
        #expect(speaker.samplesPlayed == playedAtStop, "nothing more was played after stop")
        try speaker.close()
        let written = try WAVAudio.read(contentsOf: folder + "/out.wav").samples.count
        // Paced: no more than the time that passed (plus one block) was written, and never the whole reply.
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let allowed = Int((seconds + 0.02) * 22_050)
        #expect(written > 22_050 / 4 && written <= allowed && written < 44_100, "wrote \(written) samples in \(elapsed)")
        // What was played reached the echo reference at 16 kHz, and stop cleared what was pending.
        #expect(reference.pull(160).allSatisfy { $0 == 0 })
    }

    @Test func opusPacketsRoundTripAtTheUplinkAndServerRates() throws {
        let settings = try OpusSettings(frameMilliseconds: 60)
        let packetizer = try OpusPacketizer(settings: settings)
        let voice = speechLike(seconds: 1, seed: 2)
        var packets = try packetizer.append(Array(voice.prefix(10_000)))
        packets += try packetizer.append(Array(voice.dropFirst(10_000)))
        if let last = try packetizer.finish() { packets.append(last) }
        #expect(packets.count == 17)  // 16 000 samples = 16 whole 960-sample frames + a padded remainder
        let decoder16 = try OpusDecoder(sampleRate: 16_000)
        let decoded = try packets.flatMap { try decoder16.decode(packet: $0) }
        #expect(decoded.count == 17 * 960)
        // Opus has a few ms of look-ahead; compare energy in the steady middle.
        let ratio = energy(decoded[4_000..<12_000]) / energy(voice[4_000..<12_000])
        #expect(ratio > 0.5 && ratio < 2, "energy ratio \(ratio)")
        // A server that announces 24 kHz gets 1 440 samples per 60 ms packet.
        let decoder24 = try OpusDecoder(sampleRate: 24_000)
        #expect(try decoder24.decode(packet: packets[3]).count == 1_440)
        #expect(throws: CubbyError.self) { try OpusSettings(frameMilliseconds: 30) }
        #expect(throws: CubbyError.self) { try OpusDecoder(sampleRate: 16_000).decode(packet: [0xFF, 0xFF, 0xFF]) }
    }
}
