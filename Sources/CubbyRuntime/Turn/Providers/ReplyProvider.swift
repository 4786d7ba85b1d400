import CubbyCloud
import CubbyCore

/// Where a turn's answer comes from: a cloud that hears the child and streams back sentences, audio
/// and emotions. Each implementation handles only its wire format; everything the toy decides — the
/// inbound gate, the outbound gate, the voice, the tools' effects, the record — is shared by the
/// `TurnPipeline`, so the child meets the same toy whichever cloud is behind it.
public protocol ReplyProvider: Sendable {
    /// A short name for the log ("openai-compatible", "xiaozhi").
    var name: String { get }

    /// Opens one exchange for the child's utterance and runs the device's side of the turn, `body`,
    /// inside it. The exchange (a connection, a session) is closed when `body` returns. Throws only when
    /// the exchange could not be opened or closed; what goes wrong inside `body` is `body`'s to record.
    func exchange<T: Sendable>(_ utterance: [Int16], tools: DeviceToolServer,
                               _ body: @escaping @Sendable (any ReplyExchange) async -> T) async throws -> T

    /// The conversation ended: whatever the provider kept open for it (a session) is closed.
    func close() async
}

extension ReplyProvider {
    public func close() async {}
}

/// One utterance's exchange with a provider, driven by the pipeline: hear, then reply or abort.
public protocol ReplyExchange: Sendable {
    /// The reply's sentences arrive with the provider's own audio (`ReplyEvent.audio`); otherwise the
    /// toy's voice speaks them.
    var bringsItsOwnVoice: Bool { get }
    /// The provider wants the prompt (persona, safety preamble, history) built by the device.
    var wantsPrompt: Bool { get }

    /// What the child said, as the provider heard it.
    func heard() async throws -> HeardWords

    /// Asks for the reply and hands each event to `each`, in order, until the reply ends or `each`
    /// answers `.stop` (a sentence was held back: whatever the provider still has is never heard).
    func reply(to request: ReplyRequest, _ each: (ReplyEvent) async -> ReplyControl) async throws

    /// The turn is answered on the device (a held-back request, an empty utterance): the provider is told to stop.
    func abort() async
}

/// The child's words as the provider heard them.
public struct HeardWords: Sendable, Equatable {
    public var text: String
    /// When the child's audio had been handed over: the first moment the cloud could start.
    public var sentAt: ContinuousClock.Instant
    /// The provider heard the words itself (xiaozhi): they have already left the device, unredacted.
    public var alreadyLeftTheDevice: Bool

    public init(text: String, sentAt: ContinuousClock.Instant, alreadyLeftTheDevice: Bool) {
        self.text = text
        self.sentAt = sentAt
        self.alreadyLeftTheDevice = alreadyLeftTheDevice
    }
}

/// What the device lets out of the child's words, and how the reply should be framed.
public struct ReplyRequest: Sendable {
    /// The inbound gate's text (redacted where needed).
    public var text: String
    /// The prompt, when the exchange `wantsPrompt`; the child's words come last.
    public var messages: [ChatMessage]

    public init(text: String, messages: [ChatMessage]) {
        self.text = text
        self.messages = messages
    }
}

/// What a provider sends back during a reply.
public enum ReplyEvent: Sendable, Equatable {
    /// The first sign of an answer (a token, a tool call): the model has started.
    case started
    /// One sentence of the reply; it passes the outbound gate before anything of it is heard.
    case sentence(String)
    /// Speech for the last sentence, at the speaker's rate (providers that bring their own voice).
    case audio([Int16])
    /// An emotion to show on the board.
    case emotion(String)
}

/// The pipeline's answer to each event.
public enum ReplyControl: Sendable, Equatable {
    case more
    /// Stop the reply: a sentence was held back, or the turn is over.
    case stop
}
