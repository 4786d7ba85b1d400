import CubbyCloud
import CubbyAudio
import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyPersona
import CubbySafety
import CubbyVoice
@testable import CubbyRuntime
import CubbyTesting
import Foundation
import Logging
import CubbyTestSupport
import Testing

/// Every fault of the OpenAI-compatible cloud ends in the offline line or a clean retry: never a crash,
/// never a hang.
@Suite struct CloudFaultTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let reply = ["Owls can turn ", "their heads very far ", "around. Isn't that ", "amazing?"]

    struct Outcome {
        var report: TurnReport
        var offlineLines: [String]
        var server: FakeOpenAIServer
        var took: Duration
    }

    /// One turn through the real turn runner (HTTP client, filter, espeak-ng, speaker queue, SQLite),
    /// without the wake engine: these tests are about the cloud.
    func runTurn(_ script: FakeOpenAIScript, timeoutMilliseconds: Int = 3000) async throws -> Outcome {
        let server = try await FakeOpenAIServer(script: script)
        let configuration = try ConfigurationLoader.decode(try TOMLSection.parse("""
            [cloud]
            base_url = "\(server.baseURL)"
            connect_timeout_ms = 5000
            first_token_timeout_ms = \(timeoutMilliseconds)
            idle_timeout_ms = \(timeoutMilliseconds)
            transcription_timeout_ms = \(timeoutMilliseconds + 1000)
            max_response_bytes = 65536
            """, file: "test.toml"), folder: "/tmp", environment: [:])
        let persona = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/teddy")
        let client = OpenAICompatibleClient(settings: try #require(configuration.cloud), logger: Self.logger)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fault-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: output, sampleRate: 16_000))
        let pipeline = TurnPipeline(.init(persona: persona, configuration: configuration, provider: OpenAIReplyProvider(client: client, logger: Self.logger),
                                          filter: Self.filter, synthesizer: EspeakSynthesizer(), speaker: speaker, database: try CubbyDatabase()),
                                    logger: Self.logger)
        let started = ContinuousClock.now
        let report = await pipeline.run(TurnInput(utterance: [Int16](repeating: 300, count: 16_000), conversationID: nil, index: 0, endOfSpeech: started))
        let took = ContinuousClock.now - started
        try speaker.close()
        await client.shutdown()
        try await server.stop()
        return Outcome(report: report, offlineLines: persona.offlineLines, server: server, took: took)
    }

    static let filter = try! OnDeviceFilter.builtIn()

    @Test(arguments: [FakeOpenAIScript.Fault.status(401), .status(429), .status(500), .stall, .malformedChunk, .dropAfter(deltas: 1), .endless])
    func aChatFaultEndsInTheOfflineLineOrAnHonestPartialAnswer(fault: FakeOpenAIScript.Fault) async throws {
        var script = FakeOpenAIScript.fixed(heard: "tell me about owls", reply: Self.reply)
        script.chatFault = fault
        let outcome = try await runTurn(script)
        let turn = outcome.report
        #expect(turn.failure != nil, "the fault is recorded")
        if turn.outcome == .offline {
            #expect(outcome.offlineLines.contains(turn.said.first ?? ""))
        } else {
            #expect(turn.outcome == .answered && !turn.said.isEmpty, "\(turn.outcome): what was said stands, the rest is dropped")
        }
        // Every fault is bounded by the timeouts above (a few seconds, generous for a busy test machine);
        // a hang would run on.
        #expect(outcome.took < .seconds(30), "no hang: \(outcome.took)")
    }

    @Test(arguments: [FakeOpenAIScript.Fault.status(401), .status(500), .stall, .malformedChunk])
    func aTranscriptionFaultEndsInTheOfflineLine(fault: FakeOpenAIScript.Fault) async throws {
        var script = FakeOpenAIScript.fixed(heard: "tell me about owls", reply: Self.reply)
        script.transcriptionFault = fault
        let outcome = try await runTurn(script)
        let (turn, server) = (outcome.report, outcome.server)
        #expect(turn.outcome == .offline)
        #expect(turn.failure != nil, "\(turn.failure ?? "")")
        #expect(!server.requests.contains { $0.path == "/v1/chat/completions" })
        // 401 is not worth repeating; 500 is retried once; a stall is not retried (it already took its time).
        let transcriptions = server.requests.filter { $0.path == "/v1/audio/transcriptions" }.count
        #expect(transcriptions == (fault == .status(500) ? 2 : 1), "\(transcriptions) transcription requests; \(turn.failure ?? "")")
    }

    @Test func aTransientFailureIsRetriedAndTheTurnAnswered() async throws {
        var script = FakeOpenAIScript.fixed(heard: "tell me about owls", reply: Self.reply)
        script.transcriptionFault = .status(503)
        script.chatFault = .status(429)
        script.faultCount = 1
        // Nothing stalls here, so the timeouts can be long: a busy test machine must not turn a retry into a timeout.
        let outcome = try await runTurn(script, timeoutMilliseconds: 15_000)
        let (turn, server) = (outcome.report, outcome.server)
        #expect(turn.outcome == .answered, "\(turn.failure ?? "")")
        #expect(turn.said == ["Owls can turn their heads very far around.", "Isn't that amazing?"])
        #expect(server.requests.map(\.path) == ["/v1/audio/transcriptions", "/v1/audio/transcriptions", "/v1/chat/completions", "/v1/chat/completions"])
    }
}

@Suite struct ResilienceTests {
    @Test func retryDelaysAreJitteredAndCapped() {
        let policy = RetryPolicy(retries: 3, baseDelay: .milliseconds(100), maximumDelay: .milliseconds(300))
        #expect(policy.delay(before: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(before: 2, random: 1) == .milliseconds(200))
        #expect(policy.delay(before: 3, random: 1) == .milliseconds(300), "capped")
        #expect(policy.delay(before: 2, random: 0) == .zero)
        #expect(policy.delay(before: 2, random: 0.5) == .milliseconds(100))
    }

    @Test func onlyTransientErrorsAreRetried() async {
        let policy = RetryPolicy(retries: 2, baseDelay: .milliseconds(1))
        let calls = Counter()
        var transient = CubbyError(.cloud, "HTTP 503")
        transient.isTransient = true
        await #expect(throws: CubbyError.self) {
            try await policy.run { () throws(CubbyError) -> Int in calls.next(); throw transient }
        }
        #expect(calls.value == 3, "the first try and two retries")
        let permanent = Counter()
        await #expect(throws: CubbyError.self) {
            try await policy.run { () throws(CubbyError) -> Int in permanent.next(); throw CubbyError(.cloud, "HTTP 401") }
        }
        #expect(permanent.value == 1)
    }

    @Test func theBreakerOpensRestsAndTriesAgain() {
        let breaker = CircuitBreaker(threshold: 3, coolDown: .seconds(30))
        let start = ContinuousClock.now
        for _ in 0..<2 { breaker.recordFailure(at: start) }
        #expect(breaker.allowsRequest(at: start), "two failures are not yet a pattern")
        breaker.recordFailure(at: start)
        #expect(!breaker.allowsRequest(at: start + .seconds(10)), "open: no request for the cool-down")
        #expect(breaker.allowsRequest(at: start + .seconds(31)), "one trial after the cool-down")
        breaker.recordFailure(at: start + .seconds(31))
        #expect(!breaker.allowsRequest(at: start + .seconds(32)), "a failed trial opens it again")
        #expect(breaker.allowsRequest(at: start + .seconds(62)))
        breaker.recordSuccess()
        #expect(breaker.currentState == .closed)
    }
}

/// The model using the toy's tools over the OpenAI API.
@Suite struct ChatToolTests {
    @Test func theModelSetsTheVolumeUnderTheCapAndThenAnswers() async throws {
        var script = FakeOpenAIScript.fixed(heard: "make it really loud", reply: ["Okay, a bit louder! ", "What shall we sing?"])
        script.toolCalls = [.init(name: "self_audio_speaker_set_volume", arguments: #"{"volume": 100}"#),
                            .init(name: "self_express", arguments: #"{"emotion": "happy"}"#)]
        let server = try await FakeOpenAIServer(script: script)
        let sandbox = try Sandbox(cloud: server.baseURL, deviceExtra: "max_volume = 30")
        defer { sandbox.remove() }
        let options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        let daemon = try Daemon(options: options, logger: CloudFaultTests.logger)
        try await daemon.run()
        try await server.stop()

        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.said == ["Okay, a bit louder!", "What shall we sing?"])
        #expect(abs(daemon.parts.speaker.volume - 0.3) < 0.001, "held at the parent's cap")
        let chats = server.requests.filter { $0.path == "/v1/chat/completions" }.compactMap(\.json)
        try #require(chats.count == 2)
        let offered = try #require(chats[0]["tools"] as? [[String: Any]])
        #expect(offered.compactMap { ($0["function"] as? [String: Any])?["name"] as? String }
                == ["self_audio_speaker_set_volume", "self_express", "self_end_conversation", "self_memory_remember", "self_memory_forget"])
        let second = try #require(chats[1]["messages"] as? [[String: Any]])
        let toolAnswers = second.filter { $0["role"] as? String == "tool" }
        #expect(toolAnswers.map { $0["tool_call_id"] as? String } == ["call_0", "call_1"])
        #expect((toolAnswers.first?["content"] as? String)?.contains("volume set to 30") == true)
        let assistant = try #require(second.first { $0["role"] as? String == "assistant" && $0["tool_calls"] != nil })
        #expect((assistant["tool_calls"] as? [[String: Any]])?.count == 2)
        let events = try String(contentsOfFile: sandbox.eventsPath, encoding: .utf8)
        #expect(events.contains(#""state":"happy""#))
        // Teddy shows happiness his own way: the pack's expression map.
        #expect(events.contains(#""device":"motion","state":"wiggle""#) && events.contains(#""device":"light_pattern","state":"rainbow""#), "\(events)")
    }
}

@Suite struct DeviceToolPermissionTests {
    @Test func aToolThePersonaDoesNotAllowIsNeitherOfferedNorRun() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tools-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: folder, sampleRate: 16_000))
        defer { try? speaker.close() }
        let tools = DeviceTools.server(speaker: speaker, maxVolume: 80, allowed: ["express"], express: { _ in }, endConversation: {})
        #expect(tools.chatTools.map(\.name) == ["self_express"])
        let refused = await tools.call(DeviceTools.setVolume, arguments: Data(#"{"volume": 10}"#.utf8))
        #expect((try? refused.get()) == nil)
        #expect(speaker.volume == 1)
    }
}

/// A cloud voice for the model's sentences, with the device's voice behind it.
@Suite struct CloudVoiceTests {
    func run(_ script: FakeOpenAIScript) async throws -> (Daemon, Sandbox, FakeOpenAIServer) {
        let server = try await FakeOpenAIServer(script: script)
        let sandbox = try Sandbox(cloud: server.baseURL, extra: "[speech]\nengine = \"openai\"\nvoice = \"nova\"\nmodel = \"tts-test\"").afterFirstUse()
        let options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        let daemon = try Daemon(options: options, logger: CloudFaultTests.logger)
        try await daemon.run()
        try await server.stop()
        return (daemon, sandbox, server)
    }

    static let reply = ["Owls can turn their heads very far around. ", "Isn't that amazing?"]

    @Test func eachAdmittedSentenceIsSpokenInTheCloudVoice() async throws {
        let (daemon, sandbox, server) = try await run(.fixed(heard: "tell me about owls", reply: Self.reply))
        defer { sandbox.remove() }
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.said == ["Owls can turn their heads very far around.", "Isn't that amazing?"])
        let speech = server.requests.filter { $0.path == "/v1/audio/speech" }.compactMap(\.json)
        #expect(speech.map { $0["input"] as? String } == turn.said)
        #expect(speech.allSatisfy { $0["voice"] as? String == "nova" && $0["model"] as? String == "tts-test" && $0["response_format"] as? String == "pcm" })
        let spoken = try sandbox.outputAudio()
        let voiced = SignalLevel.voicedSeconds(spoken.samples, sampleRate: spoken.format.sampleRate)
        #expect(abs(voiced - 1.6) < 0.3, "two 0.8 s tones, not espeak-ng: \(voiced) s")
    }

    @Test func aFailingCloudVoiceFallsBackToTheDevicesVoice() async throws {
        var script = FakeOpenAIScript.fixed(heard: "tell me about owls", reply: Self.reply)
        script.speechFault = .status(500)
        let (daemon, sandbox, _) = try await run(script)
        defer { sandbox.remove() }
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.outcome == .answered)
        #expect(turn.said == ["Owls can turn their heads very far around.", "Isn't that amazing?"])
        let spoken = try sandbox.outputAudio()
        let voiced = SignalLevel.voicedSeconds(spoken.samples, sampleRate: spoken.format.sampleRate)
        #expect(voiced > 2.0, "espeak-ng said both sentences: \(voiced) s")
    }
}

@Suite struct SplitVendorTests {
    @Test func transcriptionAndChatCanComeFromDifferentVendorsWithTheirOwnKeys() async throws {
        let listener = try await FakeOpenAIServer(script: .fixed(heard: "tell me about owls", reply: ["Never asked here."]))
        let thinker = try await FakeOpenAIServer(script: .fixed(heard: "never asked here", reply: ["Owls are night birds."]))
        let sandbox = try Sandbox(cloud: thinker.baseURL, cloudExtra: """
            api_key = "chat-key"
            transcription_base_url = "\(listener.baseURL)"
            transcription_api_key_file = "stt.key"
            """)
        defer { sandbox.remove() }
        try "stt-key\n".write(toFile: sandbox.folder + "/stt.key", atomically: true, encoding: .utf8)
        let options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        let daemon = try Daemon(options: options, logger: CloudFaultTests.logger)
        try await daemon.run()
        try await listener.stop()
        try await thinker.stop()

        #expect(daemon.journal.turns.first?.said == ["Owls are night birds."])
        #expect(listener.requests.map(\.path) == ["/v1/audio/transcriptions"])
        #expect(listener.requests.first?.header("Authorization") == "Bearer stt-key")
        #expect(thinker.requests.map(\.path) == ["/v1/chat/completions"])
        #expect(thinker.requests.first?.header("Authorization") == "Bearer chat-key")
    }
}


/// The model keeping what the child shares, through the safety filter, and forgetting it on request.
@Suite struct MemoryToolTests {
    func run(_ sandbox: Sandbox, _ script: FakeOpenAIScript) async throws -> FakeOpenAIServer {
        let server = try await FakeOpenAIServer(script: script)
        try sandbox.write(config: try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
            .replacing(#/base_url = "http://127.0.0.1:\d+"/#, with: "base_url = \"\(server.baseURL)\""))
        let options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        try await Daemon(options: options, logger: CloudFaultTests.logger).run()
        try await server.stop()
        return server
    }

    @Test func factsAreKeptRecalledAndForgotten() async throws {
        let sandbox = try Sandbox(cloud: "http://127.0.0.1:9")
        defer { sandbox.remove() }
        var first = FakeOpenAIScript.fixed(heard: "my cat is called biscuit", reply: ["What a lovely name!"])
        first.toolCalls = [.init(name: "self_memory_remember", arguments: #"{"fact": "Her cat is called Biscuit"}"#),
                           .init(name: "self_memory_remember", arguments: #"{"fact": "She lives at 42 Oak Tree Road"}"#)]
        let server = try await run(sandbox, first)
        let answers = try #require(server.requests.last?.json?["messages"] as? [[String: Any]]).filter { $0["role"] as? String == "tool" }
        #expect((answers.first?["content"] as? String)?.hasPrefix("remembered") == true)
        #expect((answers.last?["content"] as? String)?.contains("personal details") == true, "an address is never kept")
        #expect(try sandbox.rows("SELECT text FROM memory").map { $0["text"] as String } == ["Her cat is called Biscuit"])

        var second = FakeOpenAIScript.fixed(heard: "please forget my cat", reply: ["Okay, I forgot."])
        second.toolCalls = [.init(name: "self_memory_forget", arguments: #"{"about": "biscuit"}"#)]
        let later = try await run(sandbox, second)
        let prompt = try #require((later.requests.first { $0.path == "/v1/chat/completions" }?.json?["messages"] as? [[String: Any]])?.first?["content"] as? String)
        #expect(prompt.contains("earlier conversations:\n- Her cat is called Biscuit"), "recalled in the next conversation")
        #expect(try sandbox.rows("SELECT text FROM memory").isEmpty, "forgotten on request")
    }
}
