import CubbyCore
import Foundation

/// Where the toy's cloud model is and how patient to be with it.
public struct CloudSettings: Sendable, Equatable {
    /// e.g. https://api.openai.com — the `/v1/...` paths are appended.
    public var baseURL: String
    /// Never logged; `description` hides it.
    public var apiKey: String?
    public var chatModel: String
    public var transcriptionModel: String
    /// The child's language hint for transcription (ISO 639-1), or nil to let the service detect it.
    public var transcriptionLanguage: String?
    public var connectTimeoutMilliseconds: Int
    /// From sending the chat request to its first text.
    public var firstTokenTimeoutMilliseconds: Int
    /// Longest silence between two chunks of a stream.
    public var idleTimeoutMilliseconds: Int
    /// Whole transcription request, upload included.
    public var transcriptionTimeoutMilliseconds: Int
    public var maximumResponseBytes: Int
    public var maximumReplyTokens: Int
    /// Plain http:// to a non-loopback host only when this is set.
    public var allowInsecureHTTP: Bool
    /// Speech-to-text from another vendor: its address and key (nil: the chat's).
    public var transcriptionBaseURL: String?
    public var transcriptionAPIKey: String?

    public init(baseURL: String, apiKey: String? = nil, chatModel: String = "gpt-4o-mini",
                transcriptionModel: String = "whisper-1", transcriptionLanguage: String? = nil,
                connectTimeoutMilliseconds: Int = 700, firstTokenTimeoutMilliseconds: Int = 8_000,
                idleTimeoutMilliseconds: Int = 5_000, transcriptionTimeoutMilliseconds: Int = 10_000,
                maximumResponseBytes: Int = 1 << 20, maximumReplyTokens: Int = 300, allowInsecureHTTP: Bool = false) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.chatModel = chatModel
        self.transcriptionModel = transcriptionModel
        self.transcriptionLanguage = transcriptionLanguage
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.firstTokenTimeoutMilliseconds = firstTokenTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.transcriptionTimeoutMilliseconds = transcriptionTimeoutMilliseconds
        self.maximumResponseBytes = maximumResponseBytes
        self.maximumReplyTokens = maximumReplyTokens
        self.allowInsecureHTTP = allowInsecureHTTP
    }

    /// Checks the URL: a scheme, a host, and https unless the host is loopback or insecure HTTP is allowed.
    /// Returns nil when valid, or what is wrong.
    public static func problem(withBaseURL text: String, allowInsecureHTTP: Bool) -> String? {
        EndpointAddress.problem(with: text, secure: "https", plain: "http", allowInsecure: allowInsecureHTTP,
                              example: "https://api.example.com", setting: "allow_insecure_http")
    }

    public func url(_ path: String, base override: String? = nil) -> String {
        EndpointAddress.url(override ?? baseURL, path)
    }
}
