import CubbyAudio
import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyMemory
import CubbyPersona
@testable import CubbyRuntime
import CubbyRoutines
import CubbyScenes
import CubbySafety
import CubbyVoice
import Foundation
import Logging
import CubbyTestSupport
import Synchronization
import Testing

/// A turn inside a scene: what the model reads, how the toy sounds, which tools it has, and what a child
/// may ask for by voice (a scene, a timer) — with the scripted provider standing in for the cloud.
@Suite struct SceneTurnTests {
    typealias Scripted = TurnPipelineTests.ScriptedProvider

    /// espeak-ng, with a note of the voice settings each line was synthesized with.
    final class RecordingSynthesizer: SpeechSynthesizer {
        let real = EspeakSynthesizer()
        let voices = Mutex<[VoiceSettings]>([])
        func synthesize(_ text: String, voice: VoiceSettings) async throws(CubbyError) -> SynthesizedSpeech {
            voices.withLock { $0.append(voice) }
            return try await real.synthesize(text, voice: voice)
        }
    }

    struct Run {
        var report: TurnReport
        var output: [Int16]
        var store: CubbyDatabase
        var voices: [VoiceSettings]
        var persona: Persona
        var changed: Int
    }

    func run(_ provider: Scripted?, scene: String? = nil, config: String = "", at date: Date = Date()) async throws -> Run {
        let configuration = try ConfigurationLoader.decode(try TOMLSection.parse("[child]\nage = 5\n" + config, file: "test.toml"), folder: "/tmp", environment: [:])
        let persona = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/teddy")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scene-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let speaker = SpeakerQueue(writer: try WAVFileWriter(path: path, sampleRate: 16_000))
        let store = try CubbyDatabase()
        let synthesizer = RecordingSynthesizer()
        var parts = TurnPipeline.Parts(persona: persona, configuration: configuration, provider: provider, filter: TurnPipelineTests.filter,
                                       synthesizer: synthesizer, speaker: speaker, database: store)
        parts.clock = ManualClock(date: date)
        parts.scene = scene.flatMap { SceneCatalog(persona: persona)[$0] }
        let changed = Mutex(0)
        parts.routinesChanged = { changed.withLock { $0 += 1 } }
        let report = await TurnPipeline(parts, logger: TurnPipelineTests.logger)
            .run(TurnInput(utterance: [Int16](repeating: 0, count: 1_600), conversationID: nil, index: 0, endOfSpeech: .now))
        try speaker.close()
        return Run(report: report, output: try WAVAudio.read(contentsOf: path).samples, store: store, voices: synthesizer.voices.withLock { $0 },
                   persona: persona, changed: changed.withLock { $0 })
    }

    static let answer = "The little owl closed her eyes and dreamed of stars."

    @Test func bedtimesInstructionsReachTheModelAndItsSlowSoftVoiceReachesTheSynthesizer() async throws {
        let chatProvider = Scripted(heardText: "what do owls dream about", events: [.sentence(Self.answer)], bringsItsOwnVoice: false)
        let chat = try await run(chatProvider)
        let bedtimeProvider = Scripted(heardText: "what do owls dream about", events: [.sentence(Self.answer)], bringsItsOwnVoice: false)
        let bedtime = try await run(bedtimeProvider, scene: "bedtime")

        let system = try #require(bedtimeProvider.log.requests.first?.messages.first?.content)
        #expect(system.contains("It is bedtime. Speak calmly and softly"), "the scene's instructions are in the prompt")
        #expect(system.range(of: "It is bedtime")!.lowerBound > system.range(of: bedtime.persona.primary.prompt.prefix(30))!.lowerBound,
                "after the persona and the safety preamble, which they never replace")
        #expect(chatProvider.log.requests.first?.messages.first?.content.contains("It is bedtime") == false)

        #expect(chat.voices.map(\.rate) == [chat.persona.rate])
        #expect(bedtime.voices.map(\.rate) == [chat.persona.rate * 80 / 100], "bedtime speaks at 80 % of the persona's rate")
        #expect(bedtime.output.count > chat.output.count, "slower speech is longer")
        let loud = SignalLevel.rmsDBFS(chat.output), soft = SignalLevel.rmsDBFS(bedtime.output)
        #expect(loud - soft > 3.5 && loud - soft < 5.5, "bedtime is at 60 % of the volume (-4.4 dB): \(loud) vs \(soft)")
        #expect(bedtime.report.said == [Self.answer])
    }

    @Test func askingForAStoryStartsTheSceneWithThatVeryAnswer() async throws {
        let provider = Scripted(heardText: "Can you tell me a scary story about a dragon?", events: [.sentence("Once upon a time there was a dragon.")],
                                bringsItsOwnVoice: false)
        let story = try await run(provider)
        #expect(story.report.scene == "story")
        let system = try #require(provider.log.requests.first?.messages.first?.content)
        #expect(system.contains("Story time.") && system.contains("exactly two choices"))
        #expect(system.contains("Nothing scary at all"), "a five-year-old's scary story is a cosy mystery")
        #expect(story.report.said == ["Once upon a time there was a dragon."])
    }

    @Test func offlineAStorySaysThePersonasOwnStoryAndChatItsOfflineLine() async throws {
        let story = try await run(nil, scene: "story")
        #expect(story.report.outcome == .offline)
        #expect(story.report.said == story.persona.primary.sceneLines["story"]?.offline, "teddy's own honey-pot story")
        let chat = try await run(nil)
        #expect(chat.persona.offlineLines.contains(chat.report.said.first ?? ""))
    }

    @Test func aSceneTheParentHasNotAllowedIsDeclinedKindlyOnTheDevice() async throws {
        let provider = Scripted(heardText: "let's play a game", events: [.sentence("Never asked.")], bringsItsOwnVoice: false)
        let run = try await run(provider, config: "[scenes]\nallowed = [\"story\", \"bedtime\"]\n")
        #expect(provider.log.requests.isEmpty, "the model is not asked")
        #expect(run.report.said == [BuiltInScenes.notNow(locale: "en")])
        #expect(run.report.scene == nil)
    }

    @Test func aChildsTimerIsKeptOnceAndTheSchedulerToldOfIt() async throws {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let provider = Scripted(heardText: "remind me in ten minutes", events: [.sentence("Never asked.")], bringsItsOwnVoice: false)
        let run = try await run(provider, at: now)
        #expect(provider.log.requests.isEmpty)
        #expect(run.report.said == ["Okay! I'll tell you when ten minutes are up."])
        let timers = try run.store.routines.all()
        #expect(timers.count == 1)
        #expect(timers.first?.addedBy == .child && timers.first?.onceAt == now.addingTimeInterval(600) && timers.first?.weekdays == nil)
        #expect(timers.first?.text == "Ding ding! Your ten minutes are up!")
        #expect(run.changed == 1)
    }

    @Test(arguments: ["remind me every day to brush my teeth", "每天晚上八点提醒我刷牙"])
    func aChildsRecurringRoutineIsRefusedKindly(text: String) async throws {
        let provider = Scripted(heardText: text, events: [.sentence("Sure, every day!")], bringsItsOwnVoice: false)
        let run = try await run(provider)
        #expect(provider.log.requests.isEmpty, "the model never gets to promise it")
        #expect(try run.store.routines.all().isEmpty)
        // teddy speaks English only: the refusal is in its language.
        #expect(run.report.said == [TimerLines.english.onlyGrownUpsRepeat], "\(run.report.said)")
        #expect(run.changed == 0)
    }

    @Test func inTheLearningGameTheModelKeepsScoreThroughItsTool() async throws {
        let provider = Scripted(heardText: "seven", events: [.sentence("Yes, seven is right!")], bringsItsOwnVoice: false)
        let run = try await run(provider, scene: "learning_game")
        let system = try #require(provider.log.requests.first?.messages.first?.content)
        #expect(system.contains("A learning game.") && system.contains("counting up to ten"))
        // The score tool is the game's alone: offered in it, not in chat.
        let server = TurnTools(persona: run.persona, maxVolume: 80, speaker: SpeakerQueue(writer: try WAVFileWriter(path: "/dev/null", sampleRate: 16_000)),
                               memories: run.store.memories, filter: TurnPipelineTests.filter, context: SafetyContext(childAge: 5), clock: ManualClock(),
                               expression: { _ in }, scene: BuiltInScenes.learningGame,
                               score: .init(settings: run.store.settings, calendar: .current)).server(effects: ToolEffects())
        #expect(server.tools.map(\.name).contains(DeviceTools.score))
        _ = await server.call(DeviceTools.score, arguments: Data(#"{"correct": true}"#.utf8))
        _ = await server.call(DeviceTools.score, arguments: Data(#"{"correct": false}"#.utf8))
        let today = try GameScore.today(run.store.settings, day: GameScore.day(of: Date(), calendar: .current))
        #expect(today.right == 1 && today.asked == 2)
    }
}
