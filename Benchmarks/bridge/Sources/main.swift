// The latency Cubby itself adds to a turn, for both cloud providers, against local servers at fixed
// delays (so the servers' own time is known and left out):
//   - end of speech → request sent (OpenAI: the transcription request; xiaozhi: the last Opus packet
//     and listen stop, after connecting and the hello exchange);
//   - first token → first audio sample handed to ALSA (OpenAI: the first sentence arrives in one
//     delta, then the safety check, espeak-ng synthesis and resampling; xiaozhi: the sentence_start
//     check, then the first Opus packet decoded and resampled).
// Usage: cubby-bridge-bench [--turns N] [--json PATH]   (run from the package root)
import CubbyAudio
import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyPersona
import CubbyRuntime
import CubbySafety
import CubbyTesting
import CubbyVoice
import Foundation
import Logging

struct Sample {
    var toRequest: Double
    var firstTokenToAudio: Double
    /// End of speech → first audio at ALSA, the server's own time included.
    var total: Double
    var added: Double { toRequest + firstTokenToAudio }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

@main
struct BridgeBench {
    static func main() async throws {
        var turns = 100
        var jsonPath: String?
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--turns": turns = Int(arguments.popFirst() ?? "") ?? turns
            case "--json": jsonPath = arguments.popFirst()
            default: FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8)); exit(64)
            }
        }
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let persona = try PersonaPackLoader.load(directory: "Personas/teddy")
        let wav = try WAVAudio.read(contentsOf: "Hardware/sim/samples/hey-teddy-why-is-the-sky-blue.wav")
        let utterance = try Resampler.convert(wav.mono(), from: wav.format.sampleRate, to: 16_000)
        let filter = try OnDeviceFilter.builtIn()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-bridge-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Real libasound: a null PCM consumes the audio as a sound card would, without one.
        try "pcm.speaker { type null }\n".write(toFile: folder + "/asound.conf", atomically: true, encoding: .utf8)
        let speaker = SpeakerQueue(writer: try ALSAPlaybackWriter(spec: ALSADeviceSpec(name: "speaker", configFile: folder + "/asound.conf"),
                                                                  sampleRate: 22_050))
        let sentences = ["The sky looks blue because the air scatters blue light the most.", "Isn't that neat?"]
        let thinkDelay = Duration.milliseconds(300)

        func configuration(_ extra: String) throws -> DaemonConfiguration {
            try ConfigurationLoader.decode(try TOMLSection.parse("[conversation]\nhistory_turns = 0\n" + extra, file: "bench.toml"),
                                           folder: folder, environment: [:])
        }

        func measure(_ name: String, configuration: DaemonConfiguration, cloud: OpenAICompatibleClient?) async throws -> [Sample] {
            var samples: [Sample] = []
            let store = try CubbyDatabase()
            // One provider for the run, as for one conversation: a xiaozhi session is kept from turn to turn.
            let provider = ReplyProviders.choose(configuration: configuration, cloud: cloud, speakerRate: speaker.format.sampleRate, logger: logger)
            do {
                for index in 0..<(turns + 3) {
                    let pipeline = TurnPipeline(.init(persona: persona, configuration: configuration, provider: provider, filter: filter,
                                                      synthesizer: EspeakSynthesizer(), speaker: speaker, database: store), logger: logger)
                    let stamp = speaker.stampNextWrite()
                    let endOfSpeech = ContinuousClock.now
                    let report = await pipeline.run(TurnInput(utterance: utterance, conversationID: nil, index: index, endOfSpeech: endOfSpeech))
                    try await speaker.waitUntilIdle()
                    guard report.outcome == .answered, let toRequest = report.timings.toRequestMs, let toToken = report.timings.toFirstTokenMs,
                          let audio = stamp.instant else {
                        throw CubbyError(.cloud, "\(name) turn \(index) did not answer: \(report.outcome) \(report.failure ?? "")")
                    }
                    // The first three turns warm caches and connections; they are not counted.
                    if index >= 3 {
                        samples.append(Sample(toRequest: Double(toRequest), firstTokenToAudio: milliseconds(audio - endOfSpeech) - Double(toToken),
                                              total: milliseconds(audio - endOfSpeech)))
                    }
                }
            } catch {
                await provider?.close()
                throw error
            }
            await provider?.close()
            return samples
        }

        // OpenAI-compatible: transcription and a chat stream whose first delta is the whole first sentence.
        var openAIScript = FakeOpenAIScript.fixed(heard: "why is the sky blue", reply: sentences.map { $0 + " " })
        openAIScript.firstTokenDelay = thinkDelay
        let openAIServer = try await FakeOpenAIServer(script: openAIScript)
        let openAIConfiguration = try configuration("[cloud]\nbase_url = \"\(openAIServer.baseURL)\"\n")
        guard let cloudSettings = openAIConfiguration.cloud else { throw CubbyError(.invalidConfiguration, "no cloud settings") }
        let client = OpenAICompatibleClient(settings: cloudSettings, logger: logger)
        let openAI: [Sample]
        do {
            openAI = try await measure("openai", configuration: openAIConfiguration, cloud: client)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
        try await openAIServer.stop()

        // Story time: the child asks for a story; the scene starts with that answer (its instructions in the
        // prompt), and the first sentence of the story is timed from the end of the child's words to ALSA,
        // the fake cloud's 300 ms of thinking included.
        var storyScript = FakeOpenAIScript.fixed(heard: "tell me a story about a dragon",
                                                 reply: ["Once upon a time, a little dragon named Pip found a map. ", "Should Pip follow it, or fly home?"])
        storyScript.firstTokenDelay = thinkDelay
        let storyServer = try await FakeOpenAIServer(script: storyScript)
        let storyConfiguration = try configuration("[cloud]\nbase_url = \"\(storyServer.baseURL)\"\n")
        guard let storySettings = storyConfiguration.cloud else { throw CubbyError(.invalidConfiguration, "no cloud settings") }
        let storyClient = OpenAICompatibleClient(settings: storySettings, logger: logger)
        let story: [Sample]
        do {
            story = try await measure("story", configuration: storyConfiguration, cloud: storyClient)
            await storyClient.shutdown()
        } catch {
            await storyClient.shutdown()
            throw error
        }
        try await storyServer.stop()

        // xiaozhi: the server's speech at 24 kHz in 60 ms Opus packets, sent as fast as the socket takes them.
        var opus = try OpusSettings(frameMilliseconds: 60)
        opus.sampleRate = 24_000
        var packets: [String: [[UInt8]]] = [:]
        for sentence in sentences {
            let speech = try EspeakSynthesizer().synthesizeNow(sentence, voice: persona.voice)
            let packetizer = try OpusPacketizer(settings: opus)
            var list = try packetizer.append(try Resampler.convert(speech.samples, from: speech.sampleRate, to: 24_000))
            if let last = try packetizer.finish() { list.append(last) }
            packets[sentence] = list
        }
        var xiaozhiScript = FakeXiaozhiScript()
        xiaozhiScript.heard = "why is the sky blue"
        xiaozhiScript.sentences = sentences
        let fixedPackets = packets
        xiaozhiScript.packets = { fixedPackets[$0] ?? [] }
        xiaozhiScript.frameDelay = .zero
        let xiaozhiServer = try await FakeXiaozhiServer(script: xiaozhiScript)
        let xiaozhi = try await measure("xiaozhi", configuration: try configuration("""
            [cloud]
            provider = "xiaozhi"
            [xiaozhi]
            url = "\(xiaozhiServer.url)"
            device_id = "02:00:00:00:00:01"
            client_id = "00000000-0000-4000-8000-000000000001"
            protocol_version = 3
            """), cloud: nil)
        try await xiaozhiServer.stop()
        try speaker.close()

        var report: [String: Any] = ["turns": turns]
        print("provider  | end of speech → request sent | first token → first audio at ALSA | added (sum)")
        print("          |   p50      p95               |   p50      p95                     |   p50      p95")
        print("          (end of speech → request is timed in whole milliseconds: 0.0 means under 1 ms)")
        for (name, samples) in [("openai", openAI), ("xiaozhi", xiaozhi)] {
            let request = samples.map(\.toRequest), audio = samples.map(\.firstTokenToAudio), added = samples.map(\.added)
            print(name.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: " | %6.1f  %6.1f ms               | %6.1f  %6.1f ms                   | %6.1f  %6.1f ms",
                         percentile(request, 0.5), percentile(request, 0.95), percentile(audio, 0.5), percentile(audio, 0.95),
                         percentile(added, 0.5), percentile(added, 0.95)))
            report[name] = ["request_p50": percentile(request, 0.5), "request_p95": percentile(request, 0.95),
                            "audio_p50": percentile(audio, 0.5), "audio_p95": percentile(audio, 0.95),
                            "added_p50": percentile(added, 0.5), "added_p95": percentile(added, 0.95)]
        }
        let totals = story.map(\.total)
        print(String(format: "story     | the child asks for a story → its first sentence at ALSA, the cloud's 300 ms included: p50 %.1f  p95 %.1f  max %.1f ms",
                     percentile(totals, 0.5), percentile(totals, 0.95), totals.max() ?? 0))
        report["story"] = ["first_sentence_p50": percentile(totals, 0.5), "first_sentence_p95": percentile(totals, 0.95), "first_sentence_max": totals.max() ?? 0,
                           "added_p50": percentile(story.map(\.added), 0.5), "added_p95": percentile(story.map(\.added), 0.95)]
        if let jsonPath {
            try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: jsonPath))
        }
    }
}

