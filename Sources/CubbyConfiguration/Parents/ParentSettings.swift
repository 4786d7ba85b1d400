/// The parent's `[parents]`: who may read without the PIN, how long an unlock lasts, and the command
/// that carries each new alert to them.
public struct ParentSettings: Sendable, Equatable {
    /// Members of the `cubby` group may read status, history and alerts without the PIN.
    public var readWithoutPIN = true
    /// After `cubby unlock`, changes need no PIN for this many minutes.
    public var unlockMinutes = 10
    /// Run for each new alert (program and arguments, no shell), with the alert as JSON on its input and
    /// in `CUBBY_ALERT_*` variables; nil is none.
    public var alertCommand: [String]?
    /// How long the alert command may run before it is stopped.
    public var alertCommandTimeoutSeconds = 20

    public init() {}
}
