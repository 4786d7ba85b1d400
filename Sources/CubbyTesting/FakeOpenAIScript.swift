import Foundation

/// What the fake OpenAI-compatible server answers, and how it misbehaves.
public struct FakeOpenAIScript: Sendable {
    /// Turns the uploaded WAV into text (`POST /v1/audio/transcriptions`).
    public var transcribe: @Sendable (_ wav: [UInt8]) -> String
    /// The reply to a chat request, as the deltas to stream (`POST /v1/chat/completions`). The argument is
    /// the last user message.
    public var reply: @Sendable (_ lastUserMessage: String) -> [String]
    /// Waited before the first token of a chat reply.
    public var firstTokenDelay: Duration
    /// Waited between deltas.
    public var interChunkDelay: Duration
    public var transcriptionFault: Fault?
    public var chatFault: Fault?
    /// Tool calls the model makes first (name, arguments JSON), streamed in pieces with finish_reason
    /// "tool_calls"; the text reply comes in the request that carries the tools' results.
    public var toolCalls: [ToolCallScript] = []

    public struct ToolCallScript: Sendable {
        public var name: String
        public var arguments: String
        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }
    }

    /// The cloud voice (`POST /v1/audio/speech`, response_format pcm): 24 kHz samples for a sentence.
    /// By default a 440 Hz tone of 0.8 s, easy to tell from espeak-ng in the output.
    public var speech: @Sendable (_ input: String) -> [Int16] = { _ in
        (0..<19_200).map { Int16(8_000 * sin(Double($0) * 2 * .pi * 440 / 24_000)) }
    }
    public var speechFault: Fault?

    /// How many requests each fault applies to (then the server answers normally): a transient failure.
    public var faultCount = Int.max
    /// The guard model (`POST /v1/moderations`): the flagged category names for an input, or nil for
    /// safe; answered after `moderationDelay`, or failed by `moderationFault`.
    public var moderate: @Sendable (_ input: String) -> [String]? = { _ in nil }
    public var moderationDelay: Duration = .zero
    public var moderationFault: Fault?

    public enum Fault: Sendable, Equatable {
        /// Answer with this status and a JSON error body.
        case status(Int)
        /// Send the response head and this many deltas, then close the connection.
        case dropAfter(deltas: Int)
        /// Accept the request and never answer.
        case stall
        /// Send a line that is not valid SSE/JSON in the middle of the stream.
        case malformedChunk
        /// Stream deltas without end until the client gives up (for size limits).
        case endless
    }

    public init(transcribe: @escaping @Sendable ([UInt8]) -> String = { _ in "" },
                reply: @escaping @Sendable (String) -> [String] = { _ in [] },
                firstTokenDelay: Duration = .zero, interChunkDelay: Duration = .zero,
                transcriptionFault: Fault? = nil, chatFault: Fault? = nil) {
        self.transcribe = transcribe
        self.reply = reply
        self.firstTokenDelay = firstTokenDelay
        self.interChunkDelay = interChunkDelay
        self.transcriptionFault = transcriptionFault
        self.chatFault = chatFault
    }

    /// A server that always hears `heard` and answers with `deltas`.
    public static func fixed(heard: String, reply deltas: [String]) -> FakeOpenAIScript {
        FakeOpenAIScript(transcribe: { _ in heard }, reply: { _ in deltas })
    }
}
