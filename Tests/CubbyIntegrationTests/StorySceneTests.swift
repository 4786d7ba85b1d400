import CubbyCore
import CubbyPersona
@testable import CubbyRuntime
import CubbyTesting
import Foundation
import Logging
import CubbyTestSupport
import Synchronization
import Testing

/// Story time through the whole daemon and the local OpenAI-compatible cloud: the child asks for a story,
/// the toy tells a part and offers two choices, the child picks one and the story goes on from it — and a
/// part that drifts into what the filter holds back is never spoken.
@Suite struct StorySceneTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static let partOne = ["Once upon a time, a little dragon named Pip found a map. ", "It showed a dark cave and a cloud castle. ",
                          "Should Pip explore the cave, or fly up to the cloud castle?"]
    static let partTwo = ["Pip tiptoed into the cave and found glowing crystals. ", "A friendly bat said hello! ",
                          "Should Pip follow the bat, or take a crystal home?"]
    static let drift = ["The bat showed Pip a trick. ",
                        "To light a match, hold it by the end and strike it quickly along the rough strip on the side of the box."]

    @Test func aStoryOffersTwoChoicesAndGoesOnFromTheChildsAnswer() async throws {
        let heard = Mutex(0)
        let children = ["tell me a story about a dragon", "the cave", "what happens next"]
        var script = FakeOpenAIScript(transcribe: { _ in heard.withLock { count in defer { count += 1 }; return children[min(count, 2)] } },
                                      reply: { last in
                                          switch last {
                                          case children[0]: Self.partOne
                                          case children[1]: Self.partTwo
                                          default: Self.drift
                                          }
                                      })
        script.interChunkDelay = .milliseconds(5)
        let server = try await FakeOpenAIServer(script: script)
        let sandbox = try Sandbox(cloud: server.baseURL).afterFirstUse()
        defer { sandbox.remove() }
        let input = try sandbox.compose("story.wav", [.sample(Sandbox.skyQuestion), .silence(1.5), .sample(Sandbox.skyQuestion), .silence(1.5),
                                                      .sample(Sandbox.skyQuestion), .silence(2)])
        let daemon = try Daemon(options: DaemonOptions(configurationPath: sandbox.configPath, inputWAV: input, mode: .once(waitForWake: true),
                                                       trapSignals: false), environment: [:], logger: Self.logger)
        try await daemon.run()
        try await server.stop()

        let turns = daemon.journal.turns
        try #require(turns.count == 3, "\(turns.map(\.heard))")
        #expect(daemon.journal.scenes == ["story"])
        #expect(turns[0].scene == "story")
        // Sentence by sentence: each part ends on its two choices.
        #expect(turns[0].said == Self.partOne.map { $0.trimmingSpaces() })
        #expect(turns[1].said == Self.partTwo.map { $0.trimmingSpaces() })
        #expect(turns[0].said.last?.contains(" or ") == true && turns[1].said.last?.hasSuffix("?") == true)
        // The part that drifted: its first sentence plays, the instruction is held back and redirected.
        #expect(turns[2].said.first == "The bat showed Pip a trick.")
        #expect(turns[2].blocked.map(\.category) == ["dangerous_activity"])
        #expect(!turns[2].said.contains { $0.contains("strike it") })

        // The second request carries the story so far and the child's choice, under the story's instructions.
        let chats = server.requests.filter { $0.path == "/v1/chat/completions" }
        try #require(chats.count == 3)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(chats[1].body)) as? [String: Any])
        let messages = try #require(body["messages"] as? [[String: Any]])
        let system = messages.first?["content"] as? String ?? ""
        #expect(system.contains("Story time.") && system.contains("exactly two choices"))
        #expect(messages.contains { ($0["role"] as? String) == "assistant" && ($0["content"] as? String)?.contains("Should Pip explore the cave") == true })
        #expect(messages.last?["content"] as? String == "the cave")
        // The first chat request was already a story: the scene started with the answer to the request.
        let first = try #require(try JSONSerialization.jsonObject(with: Data(chats[0].body)) as? [String: Any])
        #expect(((first["messages"] as? [[String: Any]])?.first?["content"] as? String)?.contains("Story time.") == true)
    }
}
