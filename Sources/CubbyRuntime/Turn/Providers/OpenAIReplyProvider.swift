import CubbyAudio
import CubbyCloud
import CubbyCore
import Foundation
import Logging
import Synchronization

/// An OpenAI-compatible cloud: the utterance is transcribed first, so the device sees the child's words
/// before anything of them reaches the model; the reply streams as text, cut into sentences here.
/// When the model calls the toy's tools they run on the device and the answer continues in a second
/// request (at most three rounds); what was said before the call stays said.
public struct OpenAIReplyProvider: ReplyProvider {
    public let name = "openai-compatible"
    let client: OpenAICompatibleClient
    /// Retries for the steps that are safe to repeat.
    var retry = RetryPolicy()
    let clock: any CubbyClock
    let logger: Logger

    public init(client: OpenAICompatibleClient, clock: any CubbyClock = SystemClock(), logger: Logger) {
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    public func exchange<T: Sendable>(_ utterance: [Int16], tools: DeviceToolServer,
                                      _ body: @escaping @Sendable (any ReplyExchange) async -> T) async throws -> T {
        await body(Exchange(provider: self, utterance: utterance, tools: tools))
    }

    struct Exchange: ReplyExchange {
        let provider: OpenAIReplyProvider
        let utterance: [Int16]
        let tools: DeviceToolServer
        var bringsItsOwnVoice: Bool { false }
        var wantsPrompt: Bool { true }

        func heard() async throws -> HeardWords {
            let (client, logger) = (provider.client, provider.logger)
            let wav = WAVAudio(format: .speech, samples: utterance).encoded()
            // Marked once the upload is built and handed to the HTTP client: what the device itself took.
            let sentAt = provider.clock.now
            let text = try await provider.retry.run({ () throws(CubbyError) in try await client.transcribe(wav: wav) }, onRetry: { error, attempt in
                logger.notice("retrying the transcription", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
            })
            return HeardWords(text: text, sentAt: sentAt, alreadyLeftTheDevice: false)
        }

        func reply(to request: ReplyRequest, _ each: (ReplyEvent) async -> ReplyControl) async throws {
            var messages = request.messages
            for round in 0..<3 {
                let offered = round < 2 ? tools.chatTools : []
                guard case .calls(let calls) = try await streamRound(messages: messages, tools: offered, each), !calls.isEmpty else { return }
                messages.append(ChatMessage(role: .assistant, content: "", toolCalls: calls))
                for call in calls {
                    try Task.checkCancellation()
                    messages.append(ChatMessage(role: .tool, content: await run(call), toolCallID: call.id))
                }
            }
        }

        func abort() async {}

        private enum RoundEnd { case stopped, calls([ToolCall]) }

        /// One streamed request. The stream is read on a child task and the sentences handled on this one,
        /// so speaking never stalls the socket; stopping cancels the read.
        private func streamRound(messages: [ChatMessage], tools offered: [DeviceTool],
                                 _ each: (ReplyEvent) async -> ReplyControl) async throws -> RoundEnd {
            // Not dropped, and so not bounded here: the client stops a response past `max_response_bytes`,
            // which bounds what can wait while the toy speaks.
            let (events, continuation) = AsyncThrowingStream<ChatStreamEvent, any Error>.makeStream()
            let (client, retry, logger) = (provider.client, provider.retry, provider.logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let started = StartedFlag()
                    do {
                        // Asking again is safe only while nothing of the answer has arrived.
                        try await retry.run({ () throws(CubbyError) in
                            try await client.streamChat(messages: messages, tools: offered) { event in
                                started.set()
                                continuation.yield(event)
                            }
                        }, shouldRetry: { $0.isTransient && !started.isSet }, onRetry: { error, attempt in
                            logger.notice("retrying the chat request", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                        })
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                defer { group.cancelAll() }
                var segmenter = SentenceSegmenter()
                var calls = ToolCallAccumulator()
                for try await event in events {
                    switch event {
                    case .text(let delta):
                        _ = await each(.started)
                        for sentence in segmenter.append(delta) where await each(.sentence(sentence)) == .stop { return .stopped }
                    case .toolCall(let index, let id, let name, let arguments):
                        _ = await each(.started)
                        calls.add(index: index, id: id, name: name, arguments: arguments)
                    case .finished:
                        continue
                    }
                }
                // A cancelled read ends the stream without an error: that is an interruption, not the end
                // of the answer, so the half sentence is not judged and no tool runs.
                try Task.checkCancellation()
                if let last = segmenter.finish(), await each(.sentence(last)) == .stop { return .stopped }
                return .calls(calls.toolCalls)
            }
        }

        private func run(_ call: ToolCall) async -> String {
            let result: String
            if let name = tools.toolName(forChatName: call.name) {
                switch await tools.call(name, arguments: Data(call.arguments.utf8)) {
                case .success(let text): result = text
                case .failure(let problem): result = "error: \(problem.message)"
                }
            } else {
                result = "error: no tool named \(call.name)"
            }
            provider.logger.info("the model used a tool", metadata: ["tool": "\(call.name)", "result": "\(result)"])
            return result
        }
    }
}

/// Whether any of a streamed answer has arrived (set from the stream's callback).
final class StartedFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
