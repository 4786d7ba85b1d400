/// The one error type Cubby's modules throw.
///
/// A struct rather than an enum so that new codes never break callers' `switch`es (the swift-nio and
/// swift-system way). Every error says what went wrong (`message`), where (`context`: a file and key, a
/// device name, a URL) and, when it wraps a lower-level failure, what that was (`underlying`).
public struct CubbyError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; compare against the named constants.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A configuration, persona or board file is malformed or holds an invalid value.
        public static let invalidConfiguration = Code(rawValue: "invalid-configuration")
        /// A file could not be read or written.
        public static let io = Code(rawValue: "io")
        /// An audio device or audio file could not be used.
        public static let audio = Code(rawValue: "audio")
        /// Audio data is not in a format Cubby understands.
        public static let unsupportedAudio = Code(rawValue: "unsupported-audio")
        /// The wake-word engine failed.
        public static let wake = Code(rawValue: "wake")
        /// Speech synthesis failed.
        public static let synthesis = Code(rawValue: "synthesis")
        /// The cloud model could not be reached or answered badly.
        public static let cloud = Code(rawValue: "cloud")
        /// The local database failed.
        public static let storage = Code(rawValue: "storage")
        /// A persona pack is invalid.
        public static let persona = Code(rawValue: "persona")
        /// A C library returned an error code.
        public static let library = Code(rawValue: "library")
    }

    public var code: Code
    public var message: String
    /// Where it happened: a file path (with key), a device, an endpoint.
    public var context: String?
    public var underlying: (any Error & Sendable)?
    /// The same request may succeed if tried again soon (HTTP 429 or 5xx: the server answered and said
    /// so). Only such failures of idempotent steps are retried; a dead host is not, so the offline line
    /// still follows within a second.
    public var isTransient = false

    public init(_ code: Code, _ message: String, context: String? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }

    public var description: String {
        var text = context.map { "\($0): \(message)" } ?? message
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
