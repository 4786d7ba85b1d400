import CubbyAudio
import CubbyCore
import CubbyRuntime
import CubbyTesting
import Foundation
import Logging
import CubbyTestSupport
import Testing

/// The whole daemon on the real libasound, with PCMs defined by ALSA's `file` plugin (no sound card).
@Suite struct ALSADaemonTests {
    @Test func theDaemonRunsAWholeTurnOnALSADevices() async throws {
        let folder = try ALSATestFiles.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let request = try WAVAudio.read(contentsOf: Sandbox.skyQuestion)
        try ALSATestFiles.rawBytes(request.samples).write(to: URL(fileURLWithPath: folder + "/in.raw"))
        let config = try ALSATestFiles.writeConfig(in: folder, infile: folder + "/in.raw")

        let server = try await FakeOpenAIServer(script: .fixed(heard: "why is the sky blue", reply: ["Because sunlight scatters."]))
        let sandbox = try Sandbox(cloud: server.baseURL)
        defer { sandbox.remove() }
        try """
            format = 1
            name = "alsa-files"
            [audio.input]
            kind = "alsa"
            device = "mic"
            alsa_config = "\(config)"
            [audio.output]
            kind = "alsa"
            device = "speaker"
            alsa_config = "\(config)"
            sample_rate = 16000
            [events]
            log = "\(sandbox.eventsPath)"
            """.write(toFile: sandbox.folder + "/board/board.toml", atomically: true, encoding: .utf8)

        let options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        let daemon = try Daemon(options: options, environment: [:], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        try await daemon.run()
        try await server.stop()

        #expect(daemon.journal.turns.first?.said == ["Because sunlight scatters."])
        #expect(daemon.journal.openedBy == [.wakeWord])
        let spoken = try ALSATestFiles.samples(inRaw: folder + "/speaker.raw")
        #expect(spoken.count > 16_000 / 2, "played \(spoken.count) samples")
        #expect(SignalLevel.rmsDBFS(spoken) > -40)
    }
}
