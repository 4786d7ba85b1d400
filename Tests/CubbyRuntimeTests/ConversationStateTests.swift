@testable import CubbyRuntime
import Testing

/// The conversation's rules as a plain value: no audio, no store, no clock.
@Suite struct ConversationStateTests {
    @Test func aConversationGoesIdleListeningAnsweringAndCountsItsTurns() {
        var state = ConversationState()
        #expect(state.phase == .idle)
        #expect(state.turnStarted() == nil, "no turn without an open conversation")
        state.opened(id: 7)
        #expect(state.phase == .listening)
        #expect(state.turnStarted() == 0)
        #expect(state.phase == .answering)
        #expect(state.turnStarted() == nil, "one turn at a time")
        state.turnEnded()
        #expect(state.turnStarted() == 1)
        state.turnEnded()
        state.turnEnded()
        #expect(state.closed() == .init(id: 7, turns: 2))
        #expect(state.phase == .idle)
        #expect(state.closed() == nil)
    }

    @Test func nothingOpensWhileMutedByTheButtonOrByTheParent() {
        var state = ConversationState()
        #expect(state.mayOpen(by: .talkButton))
        state.toggleMuteButton()
        #expect(state.phase == .muted && !state.mayOpen(by: .talkButton) && !state.mayOpen(by: .wakeWord))
        state.toggleMuteButton()
        state.settingsMuted = true
        #expect(!state.mayOpen(by: .touchPad))
        // A reload starts from the parent's settings: the button's mute is forgotten, the parent's kept.
        state.toggleMuteButton()
        state.reloaded(settingsMuted: false)
        #expect(state.mayOpen(by: .talkButton) && !state.buttonMuted)
    }
}
