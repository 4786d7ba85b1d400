import CubbyAudio
import CubbyCore
import CubbyRuntime
import CubbyTesting
import CubbyVoice
import Foundation
import GRDB
import Logging
import CubbyTestSupport
import Testing

/// The toy can be interrupted, opened by its buttons, and muted — through the daemon's real pipeline at
/// real-time speed (`--once --realtime`), against the local model server.
@Suite struct BargeInTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A long answer to the first question (about ten seconds of speech), a short one to the second.
    static func server() async throws -> FakeOpenAIServer {
        let count = Counter()
        return try await FakeOpenAIServer(script: FakeOpenAIScript(
            transcribe: { _ in count.next() == 0 ? "why is the sky blue" : "what are matches made of" },
            reply: { question in question.contains("sky") ? firstAnswer : secondAnswer }))
    }

    static let firstAnswer = ["Sunlight is made of every colour of the rainbow mixed together. ",
                              "When it comes into the air, the blue light bounces around the most. ",
                              "So wherever you look up, blue light comes down to your eyes. ",
                              "At sunset the light travels further, so the reds and oranges win. ",
                              "Isn't it wonderful how the sky changes colour through the day?"]
    static let secondAnswer = ["Matches are only for grown-ups. ", "Let's ask one together!"]

    func run(_ sandbox: Sandbox, waitForWake: Bool = true, input: String) async throws -> Daemon {
        var options = DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .once(waitForWake: waitForWake),
                                    trapSignals: false)
        options.realtime = true
        let daemon = try Daemon(options: options, logger: Self.logger)
        try await daemon.run()
        return daemon
    }

    @Test func theWakePhraseWhileTheToySpeaksStopsItAtOnceAndTheNextQuestionIsAnswered() async throws {
        let server = try await Self.server()
        let sandbox = try Sandbox(cloud: server.baseURL, extra: "[conversation]\nfollow_up = false")
        defer { sandbox.remove() }
        // The question, then the child waits about three seconds into the answer and asks something else.
        let input = try sandbox.compose("interrupt.wav", [.sample(Sandbox.skyQuestion), .silence(3),
                                                          .sample(Sandbox.matchQuestion), .silence(2)])
        let daemon = try await run(sandbox, input: input)
        try await server.stop()

        let bargeIns = daemon.journal.bargeIns
        try #require(bargeIns.count == 1, "barge-ins: \(bargeIns)")
        #expect(bargeIns[0].by == .wakeWord)
        #expect(bargeIns[0].stopMilliseconds <= 150, "playback stopped \(bargeIns[0].stopMilliseconds) ms after the barge-in")
        let turns = daemon.journal.turns
        try #require(turns.count == 2)
        #expect(turns[0].outcome == .interrupted)
        #expect(turns[1].heard == "what are matches made of" && turns[1].outcome == .answered)
        // The rest of the first answer was never played: the output is far shorter than both answers.
        let voice = daemon.current.persona.voice
        let bothAnswers = try await EspeakSynthesizerDuration.seconds(of: Self.firstAnswer.joined(), voice: voice)
            + EspeakSynthesizerDuration.seconds(of: Self.secondAnswer.joined(), voice: voice)
        let spoken = try sandbox.outputAudio()
        let spokenSeconds = Double(spoken.samples.count) / Double(spoken.format.sampleRate)
        #expect(spokenSeconds < bothAnswers - 3, "spoke \(spokenSeconds) s; both answers whole last \(bothAnswers) s")
        let stored = try sandbox.rows("SELECT outcome FROM turn ORDER BY id")
        #expect(stored.map { $0["outcome"] as String } == ["interrupted", "answered"])
        // One conversation throughout: the light stayed on across the interruption.
        #expect(try sandbox.lightStates() == ["on", "off"])
    }

    @Test func theTalkButtonOpensAConversationWithoutTheWakePhrase() async throws {
        let server = try await FakeOpenAIServer(script: .fixed(heard: "how do i light a match", reply: Self.secondAnswer))
        let button = "talk-button"
        let sandbox = try Sandbox(cloud: server.baseURL, extra: "[conversation]\nfollow_up = false",
                                  boardExtra: "[inputs.talk_button]\nkind = \"fifo\"\npath = \"\(button)\"")
        defer { sandbox.remove() }
        // Talk without the wake phrase; the button is pressed a second in.
        let input = try sandbox.compose("talk.wav", [.silence(1.5), .slice(Sandbox.sample("no-wake-phrase-talk"), seconds: 4),
                                                     .silence(2)])
        let press = Task {
            try await Task.sleep(for: .seconds(1))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: sandbox.folder + "/board/" + button))
            try handle.write(contentsOf: Data("press\n".utf8))
            try handle.close()
        }
        let daemon = try await run(sandbox, input: input)
        try await press.value
        try await server.stop()
        #expect(daemon.journal.openedBy == [.talkButton])
        #expect(daemon.journal.turns.count == 1, "turns: \(daemon.journal.turns.map { ($0.heard, $0.outcome) }), barge-ins: \(daemon.journal.bargeIns)")
        #expect(server.requests.map(\.path).first == "/v1/audio/transcriptions")
        #expect(try sandbox.rows("SELECT openedBy FROM conversation").map { $0["openedBy"] as String } == ["talk_button"])
    }

    @Test func aMutedToyHearsNothingAndSendsNothing() async throws {
        let server = try await Self.server()
        let sandbox = try Sandbox(cloud: server.baseURL)
        defer { sandbox.remove() }
        // The parent's switch, in the [device] table.
        try sandbox.write(config: try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
            .replacingOccurrences(of: "data_dir = \"data\"", with: "data_dir = \"data\"\nmuted = true"))
        let input = try sandbox.compose("muted.wav", [.sample(Sandbox.skyQuestion), .silence(1)])
        let daemon = try await run(sandbox, input: input)
        try await server.stop()
        #expect(daemon.journal.openedBy.isEmpty)
        #expect(server.connectionsAccepted == 0 && server.bytesReceived == 0)
        #expect(try sandbox.lightStates().isEmpty)
        #expect(try sandbox.lightStates("mute_light") == ["on"])
    }
}

/// How long espeak-ng takes to say a text, for comparing with what was played.
enum EspeakSynthesizerDuration {
    static func seconds(of text: String, voice: VoiceSettings) async throws -> Double {
        let speech = try await EspeakSynthesizer().synthesize(text, voice: voice)
        return Double(speech.samples.count) / Double(speech.sampleRate)
    }
}
