/// An optional second opinion on what the toy is about to say, from a guard model behind an
/// OpenAI-compatible endpoint. The on-device filter always runs first and its flags are final; the
/// guard can only add a flag.
public struct GuardSettings: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// `POST /v1/moderations` (OpenAI's moderation endpoint, or one that copies it).
        case moderation
        /// `POST /v1/chat/completions` to a guard model (Llama Guard, Qwen3Guard served by vLLM) whose
        /// answer starts with "safe" or "unsafe" (or "Safety: Safe/Unsafe").
        case chat
    }

    /// What to do when the guard is slow, down or answers nonsense.
    public enum OnFailure: String, Sendable, CaseIterable {
        /// The on-device verdict stands (the default: the toy keeps talking).
        case allow
        /// Treat the sentence as flagged (stricter; the toy goes quiet when the guard is down).
        case block
    }

    public var baseURL: String
    public var apiKey: String?
    public var model: String
    public var kind: Kind
    /// The longest a sentence may wait for the guard before `onFailure` decides.
    public var timeoutMilliseconds: Int
    public var onFailure: OnFailure
    public var allowInsecureHTTP: Bool

    public init(baseURL: String, apiKey: String? = nil, model: String, kind: Kind, timeoutMilliseconds: Int = 400,
                onFailure: OnFailure = .allow, allowInsecureHTTP: Bool = false) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.kind = kind
        self.timeoutMilliseconds = timeoutMilliseconds
        self.onFailure = onFailure
        self.allowInsecureHTTP = allowInsecureHTTP
    }
}

extension GuardSettings: CustomStringConvertible {
    /// Never shows the key.
    public var description: String { "\(baseURL) (\(kind.rawValue), model \(model), key \(apiKey == nil ? "none" : "set"))" }
}
