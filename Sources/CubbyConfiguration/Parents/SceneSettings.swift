/// The parent's `[scenes]`: which scenes the toy may go into, and how long it rests after bedtime.
public struct SceneSettings: Sendable, Equatable {
    /// Scene names the toy may enter (by the child's request, a routine or the parent); nil is every scene.
    /// "chat" is always allowed: it is the toy's ordinary self.
    public var allowed: [String]?
    /// After bedtime's goodnight the toy sleeps this long: the wake phrase gets a sleepy line, not a chat.
    public var sleepMinutes = 30

    public init() {}

    public func allows(_ scene: String) -> Bool { scene == "chat" || allowed.map { $0.contains(scene) } ?? true }
}
