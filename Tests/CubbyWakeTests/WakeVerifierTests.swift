import CubbyAudio
import CubbyCore
import CubbyWake
import CubbyTestSupport
import Testing

@Suite struct WakeVerifierTests {
    @Test func nearMissesComeFromThePronunciationDictionaryButAccentsDoNot() throws {
        let verifier = try NearMissVerifier(phrases: ["hey teddy"], pronunciations: [:])
        #expect(verifier.nearMisses.contains("hey daddy"))
        #expect(verifier.nearMisses.contains("hey eddie"))
        // "taddy" is "teddy" with one vowel changed: an accent, not another word.
        #expect(!verifier.nearMisses.contains("hey taddy"))
        #expect(!verifier.nearMisses.contains("hey teddy"))
        #expect(verifier.nearMisses.count <= 2 * NearMissVerifier.neighboursPerWord)
    }

    @Test func theRealPhraseWinsAndANearMissDoesNot() throws {
        let verifier = try NearMissVerifier(phrases: ["hey teddy"], pronunciations: [:])
        // "hey teddy" in the sample runs from about 0.3 s to 1.24 s.
        let phrase = try WAVAudio.read(contentsOf: Sandbox.skyQuestion).mono()
        #expect(verifier.confirms(Array(phrase[4_800..<19_840])))
        // The talk sample's "hey daddy", which PocketSphinx alone takes for the phrase at sensitivity 0.6.
        let talk = try WAVAudio.read(contentsOf: Sandbox.sample("no-wake-phrase-talk")).mono()
        #expect(!verifier.confirms(Array(talk[24_160..<37_120])))
    }

    @Test func theSpotterDropsTheNearMissItWouldOtherwiseReport() throws {
        let talk = try WAVAudio.read(contentsOf: Sandbox.sample("no-wake-phrase-talk")).mono()
        var plain = WakeSettings(phrases: ["hey teddy"], sensitivity: 0.8)
        plain.verifyNearMisses = false
        var checked = plain
        checked.verifyNearMisses = true
        func detections(_ settings: WakeSettings) throws -> [WakeDetection] {
            let spotter = try PocketSphinxSpotter(settings: settings)
            return try stride(from: 0, to: talk.count, by: 320).compactMap { start in
                try spotter.process(AudioChunk(startSample: Int64(start), samples: Array(talk[start..<min(start + 320, talk.count)])))
            }
        }
        #expect(!(try detections(plain)).isEmpty, "without the check, PocketSphinx wakes on the near miss")
        #expect(try detections(checked).isEmpty)
    }
}
