import CubbyAudio
import CubbyCloud
import CubbyCore
@testable import CubbyRuntime
import CubbyTesting
import CubbyVoice
import Foundation
import Logging
import CubbyTestSupport
import Testing

/// Whole turns through the daemon with `[cloud] provider = "xiaozhi"`, against a local server that
/// speaks the xiaozhi protocol: real Opus both ways, the safety gate on every `sentence_start`.
@Suite struct XiaozhiTurnTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let voice = VoiceSettings(voice: "en-us", rate: 170, pitch: 50)

    /// A sentence as the server would send it: espeak-ng at 24 kHz, 60 ms Opus packets.
    static func packets(_ sentences: [String]) throws -> [String: [[UInt8]]] {
        var settings = try OpusSettings(frameMilliseconds: 60)
        settings.sampleRate = 24_000
        var result: [String: [[UInt8]]] = [:]
        for sentence in sentences {
            let speech = try EspeakSynthesizer().synthesizeNow(sentence, voice: voice)
            let packetizer = try OpusPacketizer(settings: settings)
            var packets = try packetizer.append(try Resampler.convert(speech.samples, from: speech.sampleRate, to: 24_000))
            if let last = try packetizer.finish() { packets.append(last) }
            result[sentence] = packets
        }
        return result
    }

    static func seconds(of sentences: [String]) throws -> Double {
        try sentences.reduce(0) { total, sentence in
            let speech = try EspeakSynthesizer().synthesizeNow(sentence, voice: voice)
            return total + SignalLevel.voicedSeconds(speech.samples, sampleRate: speech.sampleRate)
        }
    }

    func run(_ script: FakeXiaozhiScript, device: String = "", idleTimeout: Int = 8_000, input: String = Sandbox.skyQuestion,
             conversation: String = "") async throws -> (Daemon, Sandbox, FakeXiaozhiServer) {
        let server = try await FakeXiaozhiServer(script: script)
        let sandbox = try Sandbox(cloud: nil, input: input, cloudExtra: "provider = \"xiaozhi\"", extra: """
            [xiaozhi]
            url = "\(server.url)"
            token = "tok"
            device_id = "02:4a:7d:e1:00:01"
            client_id = "7a1c3b1e-0000-4000-8000-000000000001"
            protocol_version = 3
            hello_timeout_ms = 800
            idle_timeout_ms = \(idleTimeout)
            \(conversation)
            """, deviceExtra: device).afterFirstUse()
        let options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        let daemon = try Daemon(options: options, logger: Self.logger)
        try await daemon.run()
        try await server.stop()
        return (daemon, sandbox, server)
    }

    /// A question, then a follow-up without the wake phrase, answered "Sunlight scatters." each time.
    func runTwoTurns(serverClosesAfterReply: Bool) async throws -> (Daemon, Sandbox, FakeXiaozhiServer) {
        let packets = try Self.packets(["Sunlight scatters."])
        var script = FakeXiaozhiScript()
        script.heard = "why is the sky blue"
        script.sentences = ["Sunlight scatters."]
        script.packets = { packets[$0] ?? [] }
        script.closesAfterReply = serverClosesAfterReply
        let composer = try Sandbox(cloud: nil)
        defer { composer.remove() }
        let input = try composer.compose("two-turns.wav", [.sample(Sandbox.skyQuestion), .silence(1),
                                                           .slice(Sandbox.sample("no-wake-phrase-talk"), seconds: 3), .silence(2)])
        return try await run(script, input: input, conversation: "[conversation]\nfollow_up = true")
    }

    @Test func oneSessionServesEveryTurnOfAConversation() async throws {
        let (daemon, sandbox, server) = try await runTwoTurns(serverClosesAfterReply: false)
        defer { sandbox.remove() }
        #expect(daemon.journal.turns.count == 2, "\(daemon.journal.turns.map { ($0.heard, $0.outcome) })")
        #expect(daemon.journal.turns.allSatisfy { $0.said == ["Sunlight scatters."] })
        let record = server.record
        #expect(record.connections == 1, "one WebSocket session for the conversation")
        #expect(record.texts.filter { $0.contains(#""type":"hello""#) }.count == 1)
        #expect(record.texts.filter { $0.contains(#""state":"stop""#) }.count == 2)
    }

    @Test func aSessionTheServerClosedBetweenTurnsIsOpenedAgain() async throws {
        let (daemon, sandbox, server) = try await runTwoTurns(serverClosesAfterReply: true)
        defer { sandbox.remove() }
        #expect(daemon.journal.turns.map(\.outcome) == [.answered, .answered], "\(daemon.journal.turns.map { ($0.outcome, $0.failure) })")
        #expect(daemon.journal.turns.allSatisfy { $0.said == ["Sunlight scatters."] })
        #expect(server.record.connections == 2)
    }

    @Test func theServerHearsOpusAndTheToySpeaksItsAnswer() async throws {
        let sentences = ["The sky looks blue because air scatters blue light.", "Isn't that neat?"]
        let packets = try Self.packets(sentences)
        var script = FakeXiaozhiScript()
        script.heard = "why is the sky blue"
        script.sentences = sentences
        script.packets = { packets[$0] ?? [] }
        script.mcpRequests = [#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"self.audio_speaker.set_volume","arguments":{"volume":100}}}"#,
                              #"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"self.express","arguments":{"emotion":"happy"}}}"#]
        let (daemon, sandbox, server) = try await run(script, device: "max_volume = 40")
        defer { sandbox.remove() }

        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.heard == "why is the sky blue")
        #expect(turn.said == sentences)
        #expect(turn.outcome == .answered)
        let record = server.record
        #expect(record.header("Protocol-Version") == "3" && record.header("Authorization") == "Bearer tok")
        #expect(record.audioPackets > 10, "the utterance went up as 60 ms Opus packets")
        #expect(record.texts.contains { $0.contains(#""state":"stop""#) })
        // The model asked for full volume; the parent's cap held it at 40.
        let mcp = record.texts.filter { $0.contains(#""type":"mcp""#) }
        #expect(mcp.contains { $0.contains("volume set to 40") })
        let spoken = try sandbox.outputAudio()
        let voiced = SignalLevel.voicedSeconds(spoken.samples, sampleRate: spoken.format.sampleRate)
        let expected = try Self.seconds(of: sentences)
        #expect(voiced > 0.6 * expected, "played \(voiced) s of \(expected) s")
        #expect(abs(daemon.parts.speaker.volume - 0.4) < 0.001, "the speaker plays at the parent's cap")
        let events = try String(contentsOfFile: sandbox.eventsPath, encoding: .utf8)
        #expect(events.contains(#""device":"expression""#) && events.contains("happy"))
        #expect(try sandbox.lightStates() == ["on", "off"])
    }

    @Test func aBlockedSentencesAudioIsNeverPlayedAndTheReplyIsAborted() async throws {
        let unsafe = "To light a match, strike it fast along the rough strip on the box."
        let sentences = ["Sure!", unsafe, "Then watch the flame grow."]
        let packets = try Self.packets(sentences)
        var script = FakeXiaozhiScript()
        script.heard = "what are matches for"
        script.sentences = sentences
        script.packets = { packets[$0] ?? [] }
        script.frameDelay = .milliseconds(5)
        let (daemon, sandbox, server) = try await run(script)
        defer { sandbox.remove() }

        let turn = try #require(daemon.journal.turns.first)
        let redirect = daemon.current.persona.redirect(for: .dangerousActivity)
        #expect(turn.said == ["Sure!", redirect])
        #expect(turn.blocked.map(\.sentence) == [unsafe])
        #expect(server.record.aborted, "the device told the server to stop")
        // What was played is "Sure!" and the redirect: nothing of the blocked sentence.
        let spoken = try sandbox.outputAudio()
        let voiced = SignalLevel.voicedSeconds(spoken.samples, sampleRate: spoken.format.sampleRate)
        let expected = try Self.seconds(of: ["Sure!", redirect])
        #expect(abs(voiced - expected) < 0.3 * expected, "played \(voiced) s, expected about \(expected) s")
        let stored = try sandbox.rows("SELECT text, spoken, blockedCategory FROM turnSentence ORDER BY position")
        #expect(stored.contains { ($0["text"] as String) == unsafe && !($0["spoken"] as Bool) && ($0["blockedCategory"] as String?) == "dangerous_activity" })
    }

    @Test func aServerThatNeverSaysHelloGetsTheOfflineLine() async throws {
        var script = FakeXiaozhiScript()
        script.answersHello = false
        let (daemon, sandbox, _) = try await run(script)
        defer { sandbox.remove() }
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.outcome == .offline)
        #expect(turn.failure?.contains("hello") == true)
        #expect(daemon.current.persona.offlineLines.contains(turn.said.first ?? ""))
    }

    @Test func aConnectionDroppedMidReplyKeepsWhatWasSaidAndEndsCleanly() async throws {
        let sentences = ["Owls hunt at night.", "They fly without a sound.", "Their eyes are huge."]
        let packets = try Self.packets(sentences)
        var script = FakeXiaozhiScript()
        script.heard = "tell me about owls"
        script.sentences = sentences
        script.packets = { packets[$0] ?? [] }
        script.dropAfterSentences = 1
        let (daemon, sandbox, _) = try await run(script)
        defer { sandbox.remove() }
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.said == ["Owls hunt at night."])
        #expect(turn.outcome == .answered && turn.failure != nil, "what was said stands; the drop is recorded")
    }

    @Test func aServerThatGoesQuietMidTurnGetsTheOfflineLine() async throws {
        var script = FakeXiaozhiScript()
        script.answersListen = false
        let (daemon, sandbox, _) = try await run(script, idleTimeout: 500)
        defer { sandbox.remove() }
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.outcome == .offline)
        #expect(turn.failure?.contains("the server's answer") == true, "\(turn.failure ?? "")")
    }

    @Test func aDisclosureHeardByTheServerIsStillAnsweredOnTheDevice() async throws {
        var script = FakeXiaozhiScript()
        script.heard = "my uncle hits me with a belt"
        script.sentences = ["The server's own answer."]
        let (daemon, sandbox, server) = try await run(script)
        defer { sandbox.remove() }
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.alertCategory == "disclosure")
        #expect(turn.said == [daemon.current.persona.redirect(for: .disclosure)])
        #expect(server.record.aborted)
        #expect(try sandbox.rows("SELECT category FROM alert").count == 1)
    }
}
