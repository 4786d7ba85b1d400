import CubbyCore
import CubbyTesting
@testable import CubbyRuntime
import Foundation
import Logging
import CubbyTestSupport
import Testing

/// A persona whose pack carries a microWakeWord model wakes the daemon with the neural engine: a real
/// speaker's "alexa", then a question the local cloud answers; talk without the name wakes nothing.
@Suite struct NeuralWakeDaemonTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func sandbox(cloud: String?, persona: String) throws -> Sandbox {
        let sandbox = try Sandbox(cloud: cloud)
        let config = try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
            .replacingOccurrences(of: "persona = \"\(Sandbox.packageRoot)/Personas/teddy\"", with: "persona = \"\(persona)\"")
        try sandbox.write(config: config)
        return sandbox
    }

    @Test func aRealAlexaWakesTheToyWithItsPacksModel() async throws {
        let folder = try WakeClips.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let persona = try ReferenceWake.alexaPersona(in: folder)
        let server = try await FakeOpenAIServer(script: .fixed(heard: "why is the sky blue", reply: ["Because sunlight scatters in the air!"]))
        let sandbox = try sandbox(cloud: server.baseURL, persona: persona)
        defer { sandbox.remove() }
        let question = Sandbox.packageRoot + "/Hardware/sim/samples/no-wake-phrase-talk.wav"
        let input = try sandbox.compose("alexa-question.wav", [.silence(0.5), .sample(WakeClips.real[0]), .sample(question), .silence(2)])
        let daemon = try Daemon(options: DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .once(waitForWake: true), trapSignals: false),
                                environment: [:], logger: Self.logger)
        try await daemon.run()
        try await server.stop()
        #expect(daemon.journal.openedBy == [.wakeWord])
        #expect(try sandbox.rows("SELECT openedBy FROM conversation").map { $0["openedBy"] as String } == ["wake_word"])
        #expect(try sandbox.lightStates().first == "on", "the listening light came on with the wake")
        #expect(try sandbox.outputAudio().samples.count > 16_000, "the toy answered")
    }

    @Test func talkWithoutTheNameDoesNotWakeIt() async throws {
        let folder = try WakeClips.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let persona = try ReferenceWake.alexaPersona(in: folder)
        let sandbox = try sandbox(cloud: nil, persona: persona)
        defer { sandbox.remove() }
        let input = try sandbox.compose("talk.wav", [.sample(Sandbox.packageRoot + "/Hardware/sim/samples/no-wake-phrase-talk.wav"), .silence(1)])
        let daemon = try Daemon(options: DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .once(waitForWake: true), trapSignals: false),
                                environment: [:], logger: Self.logger)
        try await daemon.run()
        #expect(daemon.journal.openedBy.isEmpty)
        #expect(try sandbox.lightStates().isEmpty, "no audio went anywhere: the light never came on")
    }
}
