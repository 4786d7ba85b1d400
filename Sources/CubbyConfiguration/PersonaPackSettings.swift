/// `[personas]`: which makers' packs this toy installs, and where it picks packs up.
public struct PersonaPackSettings: Sendable, Equatable {
    /// A folder of makers' public keys (`*.pub`, from `cubby-pack keygen`), or one key file.
    public var trustedKeys = "/etc/cubby/trusted-keys"
    /// Installs unsigned packs too: for makers developing a persona, never for a child's toy.
    public var developerMode = false
    /// Packs dropped here (`*.cubbypack`) are installed and made active; each then moves to `done/` or,
    /// refused, to `rejected/` with a note saying why.
    public var inbox: String
    public var inboxPollMilliseconds = 2_000

    public init(dataDirectory: String) {
        inbox = dataDirectory + "/inbox"
    }
}
