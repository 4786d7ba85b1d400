/// Where the conversation stands, as a plain value: the loop asks it before acting and tells it what
/// happened. Pure (no audio, no store, no clock), so every rule about when a conversation may open and
/// how turns are counted is testable alone. The parents' policy (quiet hours, limits) is asked in
/// `mayOpen`, the one place a conversation can start.
struct ConversationState: Equatable {
    enum Phase: Equatable {
        /// Waiting for the wake phrase or a button; nothing is kept.
        case idle
        /// A conversation is open and the child may speak.
        case listening
        /// A turn is being answered.
        case answering
        /// The microphone is off (the mute button, or the parent's setting); nothing opens.
        case muted
    }

    struct Conversation: Equatable {
        /// nil when the store could not record the conversation (a full disk): the toy still answers.
        var id: Int64?
        /// Turns finished (answered or interrupted) so far: the next turn's index.
        var turns = 0
    }

    private(set) var conversation: Conversation?
    private(set) var answering = false
    private(set) var buttonMuted = false
    /// The parent's `muted` setting.
    var settingsMuted = false

    var isMuted: Bool { buttonMuted || settingsMuted }

    var phase: Phase {
        if isMuted { return .muted }
        guard conversation != nil else { return .idle }
        return answering ? .answering : .listening
    }

    /// Whether a conversation may open now, for this reason.
    func mayOpen(by reason: OpenReason) -> Bool { !isMuted }

    mutating func opened(id: Int64?) {
        conversation = Conversation(id: id)
        answering = false
    }

    /// A turn starts; returns its index, or nil when no conversation is open to hold it.
    mutating func turnStarted() -> Int? {
        guard let conversation, !answering else { return nil }
        answering = true
        return conversation.turns
    }

    /// A turn ended (answered, stopped or interrupted); it counts whether or not it was heard to the end.
    mutating func turnEnded() {
        guard answering else { return }
        answering = false
        conversation?.turns += 1
    }

    /// The conversation closed; returns it, or nil when none was open.
    mutating func closed() -> Conversation? {
        defer {
            conversation = nil
            answering = false
        }
        return conversation
    }

    mutating func toggleMuteButton() { buttonMuted.toggle() }

    /// A reload starts from the parent's settings: the mute button's state is forgotten.
    mutating func reloaded(settingsMuted: Bool) {
        buttonMuted = false
        self.settingsMuted = settingsMuted
    }
}
