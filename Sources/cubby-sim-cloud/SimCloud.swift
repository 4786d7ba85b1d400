import ArgumentParser
import CubbyCore
import CubbyTesting
import Foundation
import UnixSignals

/// A pretend cloud for the demo and for trying the toy without an account: an OpenAI-compatible server on
/// 127.0.0.1 that transcribes the uploaded audio with PocketSphinx on this machine and answers with
/// `SimulatedModel`'s canned replies, streamed like a real model.
@main
struct SimCloud: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cubby-sim-cloud",
        abstract: "A local stand-in for an OpenAI-compatible cloud, for the demo and for development.",
        discussion: """
            Point cubbyd at it with CUBBY_CLOUD_URL=http://127.0.0.1:PORT. It prints its URL on stdout once it is \
            listening, then serves until interrupted. Not a model: it knows a handful of canned answers, and one of \
            them is deliberately unsafe so the safety filter can be seen working.
            """,
        version: "cubby-sim-cloud \(CubbyVersion.string)")

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
    var port = 8089

    @Option(name: .customLong("first-token-delay-ms"), help: "Delay before the first token, like a real model's thinking time.")
    var firstTokenDelay = 300

    @Option(name: .customLong("chunk-delay-ms"), help: "Delay between streamed chunks.")
    var chunkDelay = 40

    func run() async throws {
        let transcriber = try PocketSphinxTranscriber()
        let script = FakeOpenAIScript(
            transcribe: { wav in (try? transcriber.transcribe(wav: wav)) ?? "" },
            reply: { SimulatedModel.deltas(of: SimulatedModel.reply(to: $0)) },
            firstTokenDelay: .milliseconds(firstTokenDelay),
            interChunkDelay: .milliseconds(chunkDelay))
        let server = try await FakeOpenAIServer(script: script, port: port)
        // Written unbuffered: a script waits for this line to know the server is up.
        FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        for await _ in signals { break }
        try await server.stop()
    }
}
